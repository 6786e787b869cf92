"""The facade's queue use cases: tickets, appointments, special tickets, window actions, door visits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from pydantic import BaseModel

from queue_server.errors import NotAuthorizedError
from queue_server.protocol.messages import (
    AppointmentCheckinArgs,
    CatalogResult,
    Op,
    TicketIssueArgs,
    TicketResult,
    TicketStatusResult,
    WindowFinishArgs,
    WindowOpResult,
    WindowPauseArgs,
)
from queue_server.services.casework.models import (
    CaseRequest,
)
from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.tx import Tx
from queue_server.services.people.devices import device_window
from queue_server.services.ports import Actor, IssueDone, Role, WindowOpDone
from queue_server.services.queue import appointments, calls, special, tickets, transfer, windows
from queue_server.services.queue.models import (
    AppointmentResult,
    DoorVisitRequest,
    DoorVisitView,
    SpecialGrantView,
    SpecialTicket,
    TransferRequest,
)
from queue_server.services.usecases import UseCase
from queue_server.services.views import catalog

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class QueueUseCases(FacadePart):
    # --- tickets ----------------------------------------------------------------------------------

    def catalog(self, hall: str, etag: str | None) -> CatalogResult:
        return self._read(hall, lambda tx: catalog.catalog(tx, etag))

    def issue_ticket(
        self, hall: str, args: TicketIssueArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        use_case, fn = self._issue(args)
        return self._write(hall, use_case, fn, TicketResult, request_id=request_id, device_id=device_id)

    def issue_ticket_async(
        self, hall: str, args: TicketIssueArgs, done: IssueDone, *, request_id: str, device_id: str | None
    ) -> None:
        use_case, fn = self._issue(args)
        self.runner.write_async(
            hall, use_case, fn, TicketResult, done, request_id=request_id, device_id=device_id
        )

    @staticmethod
    def _issue(args: TicketIssueArgs) -> tuple[UseCase, Callable[[Tx], TicketResult]]:
        """The use case a kiosk's ``ticket.issue`` means: a walk-in ticket, or an appointment's."""
        if args.appointment is not None:
            checkin = AppointmentCheckinArgs(code=args.appointment)
            return UseCase.CHECK_IN_APPOINTMENT, lambda tx: appointments.checkin(tx, checkin)
        return UseCase.ISSUE_TICKET, lambda tx: tickets.issue(tx, args)

    def checkin_appointment(
        self, hall: str, args: AppointmentCheckinArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        return self._write(
            hall,
            UseCase.CHECK_IN_APPOINTMENT,
            lambda tx: appointments.checkin(tx, args),
            TicketResult,
            request_id=request_id,
            device_id=device_id,
        )

    def book_appointment(
        self,
        hall: str,
        service: str,
        slot_start: datetime,
        slot_end: datetime,
        *,
        id_hash: str | None = None,
        name: str = "",
        phone: str | None = None,
        matter: str | None = None,
        request_id: str | None = None,
    ) -> AppointmentResult:
        def run(tx: Tx) -> AppointmentResult:
            return appointments.book(
                tx, service, slot_start, slot_end, id_hash=id_hash, name=name, phone=phone, matter_code=matter
            )

        return self._write(hall, UseCase.BOOK_APPOINTMENT, run, AppointmentResult, request_id=request_id)

    def issue_special(
        self, hall: str, service: str, reason: str, *, actor: Actor, request_id: str | None = None
    ) -> SpecialTicket:
        """特事特办: a supervisor's ticket, called before all others, its grant on the managers' list."""
        return self._write(
            hall,
            UseCase.ISSUE_SPECIAL,
            lambda tx: special.issue_special(tx, service, reason, actor),
            SpecialTicket,
            actor,
            request_id,
        )

    def special_grants(self, hall: str, day: date, *, actor: Actor) -> list[SpecialGrantView]:
        return self._read(hall, lambda tx: special.grants(tx, day, actor))

    def ticket_status(self, hall: str, ticket_id: str) -> TicketStatusResult:
        return self._read(hall, lambda tx: tickets.status(tx, ticket_id))

    def hold_ticket(
        self, hall: str, ticket_id: str, *, actor: Actor, request_id: str | None = None
    ) -> TicketStatusResult:
        return self._write(
            hall,
            UseCase.HOLD_TICKET,
            lambda tx: tickets.hold(tx, ticket_id, actor),
            TicketStatusResult,
            actor,
            request_id,
        )

    def resume_ticket(
        self, hall: str, ticket_id: str, *, actor: Actor, request_id: str | None = None
    ) -> TicketStatusResult:
        return self._write(
            hall,
            UseCase.RESUME_TICKET,
            lambda tx: tickets.resume(tx, ticket_id, actor),
            TicketStatusResult,
            actor,
            request_id,
        )

    # --- windows: the device door's ops and the console's ------------------------------------------

    def _window_op(
        self,
        hall: str,
        use_case: UseCase,
        fn: Callable[[Tx], WindowOpResult],
        actor: Actor,
        request_id: str | None,
    ) -> WindowOpResult:
        return self._write(hall, use_case, fn, WindowOpResult, actor, request_id)

    def window_op_async(
        self,
        hall: str,
        device_id: str,
        op: Op,
        args: BaseModel,
        done: WindowOpDone,
        *,
        request_id: str,
    ) -> None:
        use_case, act = _agent_op(op, args)

        def run(tx: Tx) -> WindowOpResult:
            # Only the agent bound to a window by its configuration acts for it (docs/design/PROTOCOL.md):
            # the window comes from the binding, read here, never from the request.
            window = device_window(tx.conn, tx.hall_id, device_id)
            if window is None:
                raise NotAuthorizedError(device=device_id, op=op.value)
            return act(tx, window, Actor(Role.DEVICE, device_id, window))

        self.runner.write_async(
            hall,
            use_case,
            run,
            WindowOpResult,
            done,
            request_id=request_id,
            device_id=device_id,
            actor=Actor(Role.DEVICE, device_id),
        )

    def call_next(self, hall: str, window: str, *, actor: Actor, request_id: str | None) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.CALL_NEXT, lambda tx: calls.call_next(tx, window, actor), actor, request_id
        )

    def call_ticket(
        self,
        hall: str,
        window: str,
        reason: str,
        *,
        ticket_id: str | None = None,
        number: str | None = None,
        actor: Actor,
        request_id: str | None = None,
    ) -> WindowOpResult:
        """Call one ticket out of order, by its id or by today's number; the reason is audited."""

        def run(tx: Tx) -> WindowOpResult:
            token = calls.waiting_by_number(tx, number) if number is not None else ticket_id
            if token is None:
                raise ValueError("call_ticket needs a ticket id or a number")
            return calls.call_specific(tx, window, token, reason, actor)

        return self._window_op(hall, UseCase.CALL_TICKET, run, actor, request_id)

    def recall(self, hall: str, window: str, *, actor: Actor, request_id: str | None) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.RECALL, lambda tx: calls.recall(tx, window, actor), actor, request_id
        )

    def start(self, hall: str, window: str, *, actor: Actor, request_id: str | None) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.START, lambda tx: windows.start(tx, window, actor), actor, request_id
        )

    def finish(
        self, hall: str, window: str, outcome: str | None, *, actor: Actor, request_id: str | None
    ) -> WindowOpResult:
        """Finish the visit with its case type alone (a keypad); the console uses ``finish_case``."""
        return self._window_op(
            hall, UseCase.FINISH, lambda tx: windows.finish(tx, window, outcome, actor), actor, request_id
        )

    def no_show(self, hall: str, window: str, *, actor: Actor, request_id: str | None) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.NO_SHOW, lambda tx: windows.no_show(tx, window, actor), actor, request_id
        )

    def pause(
        self, hall: str, window: str, reason: str, *, actor: Actor, request_id: str | None
    ) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.PAUSE, lambda tx: windows.pause(tx, window, reason, actor), actor, request_id
        )

    def resume(self, hall: str, window: str, *, actor: Actor, request_id: str | None) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.RESUME, lambda tx: windows.resume(tx, window, actor), actor, request_id
        )

    def open_window(
        self, hall: str, window: str, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.OPEN_WINDOW, lambda tx: windows.open_window(tx, window, actor), actor, request_id
        )

    def close_window(
        self, hall: str, window: str, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        return self._window_op(
            hall, UseCase.CLOSE_WINDOW, lambda tx: windows.close_window(tx, window, actor), actor, request_id
        )

    def transfer(
        self, hall: str, window: str, request: TransferRequest, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        """Transfer to a service, a window, or a person (to the window they are signed in at)."""
        return self._window_op(
            hall,
            UseCase.TRANSFER,
            lambda tx: transfer.transfer(tx, window, request, actor),
            actor,
            request_id,
        )

    def confirm_priority(
        self, hall: str, window: str, confirmed: bool, *, actor: Actor, request_id: str | None = None
    ) -> WindowOpResult:
        return self._window_op(
            hall,
            UseCase.CONFIRM_PRIORITY,
            lambda tx: tickets.confirm_priority(tx, window, confirmed, actor),
            actor,
            request_id,
        )

    def book_visit(
        self, hall: str, request: DoorVisitRequest, *, actor: Actor, request_id: str | None = None
    ) -> DoorVisitView:
        return self._write(
            hall,
            UseCase.BOOK_DOOR_VISIT,
            lambda tx: special.book_visit(tx, request, actor),
            DoorVisitView,
            actor,
            request_id,
        )

    def visits(self, hall: str, day: date, *, actor: Actor) -> list[DoorVisitView]:
        return self._read(hall, lambda tx: special.visits(tx, day, actor))

    def record_visit(
        self, hall: str, visit: int, request: CaseRequest, *, actor: Actor, request_id: str | None = None
    ) -> DoorVisitView:
        return self._write(
            hall,
            UseCase.RECORD_DOOR_VISIT,
            lambda tx: special.record_visit(tx, visit, request, actor),
            DoorVisitView,
            actor,
            request_id,
        )

    def cancel_visit(
        self, hall: str, visit: int, *, actor: Actor, request_id: str | None = None
    ) -> DoorVisitView:
        return self._write(
            hall,
            UseCase.CANCEL_DOOR_VISIT,
            lambda tx: special.cancel_visit(tx, visit, actor),
            DoorVisitView,
            actor,
            request_id,
        )


AgentAct = Callable[[Tx, str, Actor], WindowOpResult]


def _agent_op(op: Op, args: BaseModel) -> tuple[UseCase, AgentAct]:
    """What a window agent's ``window.*`` request does: its use case, and the act on its window."""
    match op:
        case Op.WINDOW_NEXT:
            return UseCase.CALL_NEXT, calls.call_next
        case Op.WINDOW_RECALL:
            return UseCase.RECALL, calls.recall
        case Op.WINDOW_START:
            return UseCase.START, windows.start
        case Op.WINDOW_NO_SHOW:
            return UseCase.NO_SHOW, windows.no_show
        case Op.WINDOW_FINISH if isinstance(args, WindowFinishArgs):
            outcome = args.outcome
            return UseCase.FINISH, lambda tx, window, actor: windows.finish(tx, window, outcome, actor)
        case Op.WINDOW_PAUSE if isinstance(args, WindowPauseArgs):
            reason = args.reason
            return UseCase.PAUSE, lambda tx, window, actor: windows.pause(tx, window, reason, actor)
        case Op.WINDOW_RESUME:
            return UseCase.RESUME, windows.resume
    raise TypeError(f"no window operation {op.value} with {type(args).__name__}")
