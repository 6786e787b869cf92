"""``Desk``: the window's use cases behind one object, beside the core ``Services`` it builds on.

Each method is one transaction through the core's ``Runner`` (idempotent by request id where the
caller gives one, announced after commit). Printing is I/O and runs after the commit that issued the
documents; its outcome is written back in a transaction of its own. The live channel (``LiveHub``) is
attached to the core services here, so consoles and citizen pages hear every call and change,
whichever door (HTTP, MQTT) it came through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from sqlmodel import Session, select

from devices.printer import PrinterConfig, open_printer
from queue_server.documents import load_content, render_a4
from queue_server.errors import BadRequestError
from queue_server.protocol.messages import WindowOpResult
from queue_server.services import (
    calls,
    casework,
    citizen,
    console,
    documents,
    rectification,
    special,
    transfer,
)
from queue_server.services.desk_models import (
    CaseRequest,
    CaseView,
    CitizenView,
    ConsoleView,
    DoorVisitRequest,
    DoorVisitView,
    FinishResult,
    PrintOutcome,
    PromisedCases,
    RatingAck,
    RatingRow,
    RectificationList,
    RectificationView,
    SpecialGrantView,
    SpecialTicket,
    TransferRequest,
)
from queue_server.services.documents import PrinterFactory
from queue_server.services.hall import Services
from queue_server.services.live import LiveHub
from queue_server.services.lookup import staff_by_login
from queue_server.services.models import Ack
from queue_server.services.ports import Actor
from queue_server.services.tx import Tx
from queue_server.store.engine import reader
from queue_server.store.tables import Window

T = TypeVar("T")

NO_PRINTER = "该窗口未配置打印机，请打印A4文书。"


class _Flag(Ack):
    """A yes/no result through the runner (it stores replies as models)."""


class Desk:
    """The counter console, cases, documents, ratings and the citizen page, for every hall."""

    def __init__(
        self, services: Services, hub: LiveHub | None = None, printer_factory: PrinterFactory = open_printer
    ) -> None:
        self.services = services
        self.runner = services.runner
        self.hub = hub or LiveHub()
        self.printer_factory = printer_factory
        services.add_announcer(self.hub)

    def _read(self, hall: str, fn: Callable[[Tx], T]) -> T:
        return self.runner.read(hall, fn)

    # --- console ------------------------------------------------------------------------------

    def console(self, hall: str, window: str, *, actor: Actor) -> ConsoleView:
        return self._read(hall, lambda tx: console.console(tx, window, actor))

    def finish(
        self, hall: str, window: str, request: CaseRequest, *, actor: Actor, request_id: str | None = None
    ) -> FinishResult:
        """Finish the visit as a case, issue its documents, print them at the window."""

        def run(tx: Tx) -> FinishResult:
            op, case = casework.finish(tx, window, request, actor)
            return FinishResult(op=op, case=casework.case_view(tx, case))

        result = self.runner.write(hall, "case.finish", run, FinishResult, request_id=request_id, actor=actor)
        number = result.case.case_number
        pending = self._read(hall, lambda tx: documents.pending_documents(tx, number))
        printing = [self._print(hall, document_id) for document_id in pending]
        case = self.case(hall, number)
        self.hub.notify(hall, "case", {"case_number": number, "window": window}, window=window)
        return FinishResult(op=result.op, case=case, printing=printing)

    def transfer(
        self, hall: str, window: str, request: TransferRequest, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        """Transfer to a service, a window, or a person (to the window they are signed in at)."""
        targets = [request.to_service, request.to_window, request.to_staff]
        if sum(t is not None for t in targets) != 1:
            raise BadRequestError(
                "请指定转往的业务、窗口或工作人员（三选一）。", fields=["to_service", "to_window", "to_staff"]
            )

        def run(tx: Tx) -> WindowOpResult:
            to_window = request.to_window
            if request.to_staff is not None:
                person = staff_by_login(tx, request.to_staff)
                at = tx.session.exec(select(Window.number).where(Window.staff_id == person.id)).first()
                if at is None:
                    raise BadRequestError(f"{person.name}未在任何窗口签到。", field="to_staff")
                to_window = at
            return transfer.transfer(
                tx, window, actor, to_service=request.to_service, to_window=to_window, note=request.note
            )

        return self.runner.write(
            hall, "window.transfer", run, WindowOpResult, request_id=request_id, actor=actor
        )

    def call_number(
        self, hall: str, window: str, number: str, reason: str, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        """Call today's ticket with this number out of order (the reason is audited)."""

        def run(tx: Tx) -> WindowOpResult:
            return calls.call_specific(tx, window, console.ticket_token(tx, number), reason, actor)

        return self.runner.write(hall, "window.call", run, WindowOpResult, request_id=request_id, actor=actor)

    # --- cases --------------------------------------------------------------------------------

    def case(self, hall: str, number: str) -> CaseView:
        return self._read(hall, lambda tx: casework.case_view(tx, casework.case_by_number(tx, number)))

    def add_details(
        self, hall: str, number: str, request: CaseRequest, *, actor: Actor, request_id: str | None = None
    ) -> CaseView:
        def run(tx: Tx) -> CaseView:
            return casework.case_view(tx, casework.add_details(tx, number, request, actor))

        view = self.runner.write(hall, "case.details", run, CaseView, request_id=request_id, actor=actor)
        self.hub.notify(hall, "case", {"case_number": number, "window": view.window}, window=view.window)
        return view

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
        def run(tx: Tx) -> CaseView:
            return casework.case_view(tx, casework.complete_part(tx, number, department, note, actor))

        view = self.runner.write(hall, "case.part_done", run, CaseView, request_id=request_id, actor=actor)
        self.hub.notify(hall, "case", {"case_number": number, "window": view.window})
        return view

    def close_case(
        self, hall: str, number: str, result: str, *, actor: Actor, request_id: str | None = None
    ) -> CaseView:
        def run(tx: Tx) -> CaseView:
            return casework.case_view(tx, casework.close_case(tx, number, result, actor))

        view = self.runner.write(hall, "case.close", run, CaseView, request_id=request_id, actor=actor)
        self.hub.notify(hall, "case", {"case_number": number, "window": view.window})
        return view

    def promised(self, hall: str, department: str | None = None) -> PromisedCases:
        return self._read(hall, lambda tx: casework.promised_cases(tx, department))

    # --- documents ----------------------------------------------------------------------------

    def document_page(self, hall: str, document_id: int) -> str:
        return self._read(hall, lambda tx: documents.a4_page(tx, document_id))

    def print_document(self, hall: str, document_id: int) -> PrintOutcome:
        outcome = self._print(hall, document_id)
        self.hub.notify(hall, "document", outcome)
        return outcome

    def _print(self, hall: str, document_id: int) -> PrintOutcome:
        row, config = self._read(hall, lambda tx: documents.print_job(tx, document_id))
        if config is None:
            return PrintOutcome(document_id=document_id, kind=row.kind, printed=False, error=NO_PRINTER)
        error = documents.send(row, config, self.printer_factory)
        return self.runner.write(
            hall,
            "document.print",
            lambda tx: documents.record_print(tx, document_id, error),
            PrintOutcome,
            request_id=None,
        )

    def set_window_printer(
        self, hall: str, window: str, config: PrinterConfig | None, *, actor: Actor
    ) -> bool:
        def run(tx: Tx) -> _Flag:
            return _Flag(ok=documents.set_window_printer(tx, window, config, actor))

        return self.runner.write(hall, "window.printer", run, _Flag, request_id=None, actor=actor).ok

    def window_printer(self, hall: str, window: str) -> PrinterConfig | None:
        return self._read(hall, lambda tx: documents.window_printer(tx, window))

    # --- citizen page -------------------------------------------------------------------------

    def citizen_hall(self, token: str) -> str:
        with Session(reader(self.services.engine)) as session:
            return citizen.hall_of_token(session, token)

    def citizen(self, token: str) -> CitizenView:
        return self._read(self.citizen_hall(token), lambda tx: citizen.view(tx, token))

    def citizen_live(self, token: str) -> tuple[CitizenView, frozenset[str]]:
        """The view and the tokens of the visit's tickets (whose calls concern this page)."""
        return self._read(
            self.citizen_hall(token), lambda tx: (citizen.view(tx, token), citizen.tokens(tx, token))
        )

    def citizen_rate(self, token: str, score: int) -> RatingAck:
        hall = self.citizen_hall(token)
        ack = self.runner.write(
            hall, "citizen.rating", lambda tx: citizen.rate(tx, token, score), RatingAck, request_id=None
        )
        if ack.bad:
            self.hub.notify(hall, "rectification", {"opened": True})
        return ack

    def citizen_document(self, token: str, document_id: int) -> str:
        def page(tx: Tx) -> str:
            return render_a4(load_content(citizen.document_page_row(tx, token, document_id).content))

        return self._read(self.citizen_hall(token), page)

    # --- ratings and rectification ------------------------------------------------------------

    def ratings(self, hall: str, *, actor: Actor) -> list[RatingRow]:
        return self._read(hall, lambda tx: rectification.ratings(tx, actor))

    def rectifications(self, hall: str, *, actor: Actor, include_closed: bool = False) -> RectificationList:
        # A write: it opens the items of pad ratings that have none yet.
        return self.runner.write(
            hall,
            "rectification.list",
            lambda tx: rectification.listing(tx, actor, include_closed=include_closed),
            RectificationList,
            request_id=None,
            actor=actor,
        )

    def assign_rectification(self, hall: str, item: int, login: str, *, actor: Actor) -> RectificationView:
        return self._rectify(
            hall, "rectification.assign", lambda tx: rectification.assign(tx, item, login, actor), actor
        )

    def note_rectification(self, hall: str, item: int, text: str, *, actor: Actor) -> RectificationView:
        return self._rectify(
            hall, "rectification.note", lambda tx: rectification.add_note(tx, item, text, actor), actor
        )

    def close_rectification(self, hall: str, item: int, measures: str, *, actor: Actor) -> RectificationView:
        return self._rectify(
            hall, "rectification.close", lambda tx: rectification.close(tx, item, measures, actor), actor
        )

    def _rectify(
        self, hall: str, op: str, fn: Callable[[Tx], RectificationView], actor: Actor
    ) -> RectificationView:
        view = self.runner.write(hall, op, fn, RectificationView, request_id=None, actor=actor)
        self.hub.notify(hall, "rectification", {"id": view.id, "state": view.state})
        return view

    # --- special tickets and door-to-door -----------------------------------------------------

    def issue_special(
        self, hall: str, service: str, reason: str, *, actor: Actor, request_id: str | None = None
    ) -> SpecialTicket:
        return self.runner.write(
            hall,
            "ticket.special_grant",
            lambda tx: special.issue_special(tx, service, reason, actor),
            SpecialTicket,
            request_id=request_id,
            actor=actor,
        )

    def special_grants(self, hall: str, day: date, *, actor: Actor) -> list[SpecialGrantView]:
        return self._read(hall, lambda tx: special.grants(tx, day, actor))

    def book_visit(
        self, hall: str, request: DoorVisitRequest, *, actor: Actor, request_id: str | None = None
    ) -> DoorVisitView:
        return self.runner.write(
            hall,
            "door_visit.book",
            lambda tx: special.book_visit(tx, request, actor),
            DoorVisitView,
            request_id=request_id,
            actor=actor,
        )

    def visits(self, hall: str, day: date, *, actor: Actor) -> list[DoorVisitView]:
        return self._read(hall, lambda tx: special.visits(tx, day, actor))

    def record_visit(
        self, hall: str, visit: int, request: CaseRequest, *, actor: Actor, request_id: str | None = None
    ) -> DoorVisitView:
        return self.runner.write(
            hall,
            "door_visit.record",
            lambda tx: special.record_visit(tx, visit, request, actor),
            DoorVisitView,
            request_id=request_id,
            actor=actor,
        )

    def cancel_visit(self, hall: str, visit: int, *, actor: Actor) -> DoorVisitView:
        return self.runner.write(
            hall,
            "door_visit.cancel",
            lambda tx: special.cancel_visit(tx, visit, actor),
            DoorVisitView,
            request_id=None,
            actor=actor,
        )
