"""Transferring a visit to another service or to a specific window (转移).

The ticket keeps its number: the visit continues as a child row (``parent_ticket_id``) that keeps the
citizen's place (``queued_at``) in the new queue; the parent ends as "transferred". The citizen's token
still finds the visit (status follows the chain).
"""

from __future__ import annotations

from sqlmodel import select

from queue_server.errors import BadRequestError
from queue_server.protocol.messages import TicketState, WindowOpResult, WindowStatus
from queue_server.services.engine.access import authorize_window, require_status
from queue_server.services.engine.lookup import (
    service_by_code,
    staff_by_login,
    window_by_number,
    window_services,
)
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.people.security import new_citizen_token
from queue_server.services.ports import Actor
from queue_server.services.queue.calls import current_ticket
from queue_server.services.queue.models import TransferRequest
from queue_server.services.queue.tickets import new_public_id
from queue_server.services.views.snapshots import ticket_status, window_state
from queue_server.store.tables import Service, Ticket, Window


def transfer(tx: Tx, window_no: str, request: TransferRequest, actor: Actor) -> WindowOpResult:
    """Transfer to a service, a window, or a person (to the window they are signed in at)."""
    targets = [request.to_service, request.to_window, request.to_staff]
    if sum(t is not None for t in targets) != 1:
        raise BadRequestError(
            "请指定转往的业务、窗口或工作人员（三选一）。", fields=["to_service", "to_window", "to_staff"]
        )
    to_service, to_window = request.to_service, request.to_window
    if request.to_staff is not None:
        person = staff_by_login(tx, request.to_staff)
        to_window = tx.session.exec(select(Window.number).where(Window.staff_id == person.id)).first()
        if to_window is None:
            raise BadRequestError(f"{person.name}未在任何窗口签到。", field="to_staff")
    window = window_by_number(tx, window_no, lock=True)
    authorize_window(tx, actor, window)
    require_status(window, WindowStatus.CALLING, WindowStatus.SERVING)
    ticket = current_ticket(tx, window)
    target_window = None
    if to_window is not None:
        if to_window == window.number:
            raise BadRequestError("不能转给本窗口。", field="to_window")
        target_window = window_by_number(tx, to_window)
        service = _service_for(tx, target_window, ticket)
    else:
        assert to_service is not None
        service = service_by_code(tx, to_service)
    child = _continue(tx, ticket, service, window, target_window)
    ticket.state = TicketState.TRANSFERRED.value
    ticket.finished_at = tx.now
    window.current_ticket_id = None
    window.status = WindowStatus.IDLE.value
    window.status_since = tx.now
    tx.changes.touch(window)
    if target_window is not None:
        tx.changes.touch(target_window)
    tx.event(
        "transfer",
        ticket=ticket,
        window=window,
        number=ticket.number,
        child_ticket=child.id,
        to_service=service.code,
        to_window=None if target_window is None else target_window.number,
        note=request.note,
    )
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, child))


def _service_for(tx: Tx, target: Window, ticket: Ticket) -> Service:
    """The ticket's service if the target window serves it, else that window's primary service."""
    served = window_services(tx, target)
    if not served:
        raise BadRequestError("目标窗口未配置业务。", window=target.number)
    for service, _weight in served:
        if service.id == ticket.service_id:
            return service
    return served[0][0]


def _continue(tx: Tx, ticket: Ticket, service: Service, window: Window, target: Window | None) -> Ticket:
    child = Ticket(
        hall_id=tx.hall_id,
        service_id=pk(service),
        service_day=ticket.service_day,
        number=ticket.number,
        seq=ticket.seq,
        state=TicketState.WAITING.value,
        lane=ticket.lane,
        special=ticket.special,
        special_reason=ticket.special_reason,
        priority_class=ticket.priority_class,
        priority_basis=ticket.priority_basis,
        priority_confirmed=ticket.priority_confirmed,
        id_hash=ticket.id_hash,
        phone=ticket.phone,
        materials=list(ticket.materials),
        matter_id=ticket.matter_id,
        appointment_id=ticket.appointment_id,
        return_for=ticket.return_for,
        citizen_token=new_citizen_token(),
        public_id=new_public_id(),
        issued_at=tx.now,
        queued_at=ticket.queued_at,
        target_window_id=None if target is None else target.id,
        parent_ticket_id=ticket.id,
        transferred_from_window_id=window.id,
    )
    tx.session.add(child)
    tx.session.flush()
    tx.event("transferred_in", ticket=child, window=target, parent_ticket=ticket.id, service=service.code)
    return child
