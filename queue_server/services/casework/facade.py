"""The facade's casework use cases: cases and their documents, ratings, rectification."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from devices.printer import PrinterConfig
from queue_server.protocol.messages import (
    RatingEvent,
    RatingSubmitArgs,
)
from queue_server.services.casework import case_views, cases, documents, ratings, rectification
from queue_server.services.casework.models import (
    CaseRequest,
    CaseView,
    FinishResult,
    PrintOutcome,
    PromisedCases,
    RatingRow,
    RectificationList,
    RectificationView,
)
from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.models import Ack
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role
from queue_server.services.usecases import UseCase
from queue_server.store.tables import Case

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class CaseworkUseCases(FacadePart):
    # --- cases and documents ----------------------------------------------------------------------

    def finish_case(
        self, hall: str, window: str, request: CaseRequest, *, actor: Actor, request_id: str | None = None
    ) -> FinishResult:
        """Finish the visit as a case, issue its documents, print them at the window."""

        def run(tx: Tx) -> FinishResult:
            op, case = cases.finish(tx, window, request, actor)
            return FinishResult(op=op, case=case_views.case_view(tx, case))

        result = self._write(hall, UseCase.FINISH_CASE, run, FinishResult, actor, request_id)
        number = result.case.case_number
        pending = self._read(hall, lambda tx: documents.pending_documents(tx, number))
        printing = [self.printer.print(hall, document_id) for document_id in pending]
        case = self.case(hall, number)
        self.hub.notify(hall, "case", {"case_number": number, "window": window}, window=window)
        return FinishResult(op=result.op, case=case, printing=printing)

    # --- door-to-door visits ----------------------------------------------------------------------

    def case(self, hall: str, number: str) -> CaseView:
        return self._read(hall, lambda tx: case_views.case_view(tx, cases.case_by_number(tx, number)))

    def _case_write(
        self, hall: str, use_case: UseCase, fn: Callable[[Tx], Case], actor: Actor, request_id: str | None
    ) -> CaseView:
        def run(tx: Tx) -> CaseView:
            return case_views.case_view(tx, fn(tx))

        view = self._write(hall, use_case, run, CaseView, actor, request_id)
        self.hub.notify(
            hall, "case", {"case_number": view.case_number, "window": view.window}, window=view.window
        )
        return view

    def add_details(
        self, hall: str, number: str, request: CaseRequest, *, actor: Actor, request_id: str | None = None
    ) -> CaseView:
        return self._case_write(
            hall,
            UseCase.ADD_CASE_DETAILS,
            lambda tx: cases.add_details(tx, number, request, actor),
            actor,
            request_id,
        )

    def complete_part(
        self,
        hall: str,
        number: str,
        department: str,
        note: str,
        *,
        actor: Actor,
        request_id: str | None = None,
    ) -> CaseView:
        return self._case_write(
            hall,
            UseCase.COMPLETE_CASE_PART,
            lambda tx: cases.complete_part(tx, number, department, note, actor),
            actor,
            request_id,
        )

    def close_case(
        self, hall: str, number: str, result: str, *, actor: Actor, request_id: str | None = None
    ) -> CaseView:
        return self._case_write(
            hall,
            UseCase.CLOSE_CASE,
            lambda tx: cases.close_case(tx, number, result, actor),
            actor,
            request_id,
        )

    def promised(self, hall: str, department: str | None = None) -> PromisedCases:
        return self._read(hall, lambda tx: case_views.promised_cases(tx, department))

    def document_page(self, hall: str, document_id: int) -> str:
        return self._read(hall, lambda tx: documents.a4_page(tx, document_id))

    def print_document(self, hall: str, document_id: int) -> PrintOutcome:
        outcome = self.printer.print(hall, document_id)
        self.hub.notify(hall, "document", outcome)
        return outcome

    def set_window_printer(
        self,
        hall: str,
        window: str,
        config: PrinterConfig | None,
        *,
        actor: Actor,
        request_id: str | None = None,
    ) -> bool:
        return self._write(
            hall,
            UseCase.SET_WINDOW_PRINTER,
            lambda tx: Ack(ok=documents.set_window_printer(tx, window, config, actor)),
            Ack,
            actor,
            request_id,
        ).ok

    def window_printer(self, hall: str, window: str) -> PrinterConfig | None:
        return self._read(hall, lambda tx: documents.window_printer(tx, window))

    # --- ratings and rectification ----------------------------------------------------------------

    def record_rating(self, hall: str, window: str, rating: RatingEvent, *, device_id: str) -> None:
        """A rating pad's event: tied to the visit the window served last."""
        actor = Actor(Role.DEVICE, device_id, window)
        self._write(
            hall,
            UseCase.RATE_VISIT,
            lambda tx: ratings.record(tx, window, rating, actor),
            Ack,
            actor,
            f"rating:{device_id}:{rating.id}",
        )

    def submit_rating(
        self, hall: str, window: str, args: RatingSubmitArgs, *, device_id: str, request_id: str
    ) -> Ack:
        """A rating pad's rating as a request (``rating.submit``): the agent keeps it until this reply,
        and a resent request id gets the stored reply (exactly once across server restarts)."""
        actor = Actor(Role.DEVICE, device_id, window)
        rating = RatingEvent(id=str(request_id), score=args.score, visit=args.visit)
        return self._write(
            hall,
            UseCase.RATE_VISIT,
            lambda tx: ratings.record(tx, window, rating, actor),
            Ack,
            actor,
            request_id,
        )

    def rate_visit(self, hall: str, window: str, rating: RatingEvent, *, actor: Actor) -> Ack:
        """A rating entered for a window by a person (a pad wired to the console)."""
        return self._write(
            hall,
            UseCase.RATE_VISIT,
            lambda tx: ratings.record(tx, window, rating, actor),
            Ack,
            actor,
            f"rating:{actor.id}:{rating.id}",
        )

    def ratings(self, hall: str, *, actor: Actor) -> list[RatingRow]:
        return self._read(hall, lambda tx: rectification.ratings(tx, actor))

    def rectifications(self, hall: str, *, actor: Actor, include_closed: bool = False) -> RectificationList:
        # A write: it opens the items of pad ratings that have none yet.
        return self._write(
            hall,
            UseCase.OPEN_RECTIFICATIONS,
            lambda tx: rectification.listing(tx, actor, include_closed=include_closed),
            RectificationList,
            actor,
        )

    def assign_rectification(
        self, hall: str, item: int, login: str, *, actor: Actor, request_id: str | None = None
    ) -> RectificationView:
        return self._rectify(
            hall,
            UseCase.ASSIGN_RECTIFICATION,
            lambda tx: rectification.assign(tx, item, login, actor),
            actor,
            request_id,
        )

    def note_rectification(
        self, hall: str, item: int, text: str, *, actor: Actor, request_id: str | None = None
    ) -> RectificationView:
        return self._rectify(
            hall,
            UseCase.NOTE_RECTIFICATION,
            lambda tx: rectification.add_note(tx, item, text, actor),
            actor,
            request_id,
        )

    def close_rectification(
        self, hall: str, item: int, measures: str, *, actor: Actor, request_id: str | None = None
    ) -> RectificationView:
        return self._rectify(
            hall,
            UseCase.CLOSE_RECTIFICATION,
            lambda tx: rectification.close(tx, item, measures, actor),
            actor,
            request_id,
        )

    def _rectify(
        self,
        hall: str,
        use_case: UseCase,
        fn: Callable[[Tx], RectificationView],
        actor: Actor,
        request_id: str | None,
    ) -> RectificationView:
        view = self._write(hall, use_case, fn, RectificationView, actor, request_id)
        self.hub.notify(hall, "rectification", {"id": view.id, "state": view.state})
        return view
