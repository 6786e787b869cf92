"""The counter console's picture of one window: its queue in the real call order, the citizen at the
window with everything to check, what the window can transfer to, and its latest cases.

"Next tickets" are ranked by ``domain.ordering.call_order``, the function call-next itself uses, with
the window's own profile (skill weights, military flag, interleave count): what the console lists is
what the next calls will bring, as long as nothing changes meanwhile.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sqlmodel import col, func, or_, select

from queue_server.domain.cases import CaseType
from queue_server.domain.ordering import Candidate, call_order
from queue_server.domain.priority import PriorityBasis, PriorityClass
from queue_server.protocol.messages import TicketState
from queue_server.services.casework import case_views, rectification
from queue_server.services.casework.models import CaseBrief
from queue_server.services.engine.access import authorize_window
from queue_server.services.engine.lookup import window_by_number, window_services
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor
from queue_server.services.queue import guide, reads
from queue_server.services.views.citizen_visit import material_lines
from queue_server.services.views.models import (
    CaseTypeOption,
    ConsoleView,
    CurrentCitizen,
    Option,
    PriorityInfo,
    QueueService,
    QueueTicket,
)
from queue_server.services.views.snapshots import window_state
from queue_server.store.tables import (
    Appointment,
    Case,
    Department,
    Event,
    Matter,
    Service,
    Staff,
    Ticket,
    Window,
)
from queue_server.store.tables.casework import WindowPrinter

NEXT_TICKETS = 6
RECENT_CASES = 5
# Waiting tickets read to rank the next few; a queue longer than this is ranked on its oldest part.
QUEUE_READ_LIMIT = 2000


def console(tx: Tx, window_no: str, actor: Actor) -> ConsoleView:
    # First, so that whatever is read after it is at least as new as the version says (on PostgreSQL
    # each statement of a read sees the latest commits).
    version = view_version(tx)
    window = window_by_number(tx, window_no)
    authorize_window(tx, actor, window)
    served = window_services(tx, window)
    department = None if window.department_id is None else tx.session.get(Department, window.department_id)
    staff = None if window.staff_id is None else tx.session.get(Staff, window.staff_id)
    return ConsoleView(
        hall=tx.hall.code,
        hall_name=tx.hall.name,
        window=window_state(tx, window),
        department="" if department is None else department.name,
        licensing=window.licensing,
        services=_service_loads(tx, served),
        next_tickets=_next_tickets(tx, window, served),
        held=_held(tx, window),
        current=_current(tx, window),
        recent_cases=_recent_cases(tx, window),
        transfer_services=_services(tx),
        transfer_windows=_windows(tx, window),
        transfer_staff=_staff(tx, window),
        departments=[
            Option(code=d.code, name=d.name)
            for d in tx.session.exec(
                select(Department).where(Department.hall_id == tx.hall_id).order_by(col(Department.code))
            )
        ],
        case_types=[
            CaseTypeOption(
                code=t.value,
                label=t.label_zh,
                accepted=t.accepted,
                has_deadline=t.has_deadline,
                documents=[d.label_zh for d in t.documents],
            )
            for t in CaseType
        ],
        open_rectifications=0 if staff is None else rectification.open_count_for(tx, staff),
        has_printer=tx.session.get(WindowPrinter, pk(window)) is not None,
        ts=tx.now.timestamp(),
        version=version,
    )


def view_version(tx: Tx) -> int:
    """The latest event id of the database: every state change appends an event in its transaction
    and events are never deleted, so a read made later never gets a smaller value.

    The whole table's, not the hall's: ``max(id)`` is one step down the primary key, while the hall's
    newest event has no index to find it by. Writes are serialised per database on SQLite (ids in
    commit order); on PostgreSQL two halls commit in parallel, so two pictures can share a version
    without sharing every change: the console breaks such ties by the order it asked for them.
    """
    return int(tx.session.exec(select(func.max(Event.id))).one() or 0)


def _minutes(since: datetime, now: datetime) -> int:
    return max(0, math.floor((now - since).total_seconds() / 60))


def _service_loads(tx: Tx, served: list[tuple[Service, int]]) -> list[QueueService]:
    ids = [pk(s) for s, _ in served]
    rows = tx.session.exec(
        select(Ticket.service_id, func.count(), func.min(Ticket.queued_at))
        .where(
            Ticket.hall_id == tx.hall_id,
            Ticket.service_day == tx.today,
            Ticket.state == TicketState.WAITING.value,
            col(Ticket.service_id).in_(ids),
        )
        .group_by(col(Ticket.service_id))
    ).all()
    loads = {int(sid): (int(count), oldest) for sid, count, oldest in rows}
    result = []
    for service, weight in served:
        count, oldest = loads.get(pk(service), (0, None))
        result.append(
            QueueService(
                code=service.code,
                name=service.name,
                waiting=count,
                longest_wait_min=None if oldest is None else _minutes(_aware(oldest), tx.now),
                target_wait_min=service.target_wait_min,
                weight=weight,
            )
        )
    return result


def _aware(value: datetime) -> datetime:
    # An aggregate bypasses the column type: SQLite hands min(queued_at) back naive (stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _next_tickets(tx: Tx, window: Window, served: list[tuple[Service, int]]) -> list[QueueTicket]:
    codes = {pk(s): s.code for s, _ in served}
    rows = tx.session.exec(
        select(Ticket)
        .where(
            Ticket.hall_id == tx.hall_id,
            Ticket.service_day == tx.today,
            Ticket.state == TicketState.WAITING.value,
            col(Ticket.service_id).in_(list(codes)),
            or_(col(Ticket.target_window_id).is_(None), Ticket.target_window_id == window.id),
        )
        .order_by(col(Ticket.queued_at), col(Ticket.id))
        .limit(QUEUE_READ_LIMIT)
    ).all()
    by_id = {pk(t): t for t in rows}
    candidates = [
        Candidate(
            ticket_id=pk(t),
            service=codes[t.service_id],
            issued_at=t.queued_at,
            priority_class=t.priority_class,
            special=t.special,
            appointment_slot_start=t.appointment_slot_start,
            held=False,
            day=t.service_day,
        )
        for t in rows
    ]
    profile = reads.window_profile(tx, window, served)
    policy = reads.service_policy(tx, [s for s, _ in served])
    order = call_order(candidates, profile, policy, tx.now, limit=NEXT_TICKETS)
    return [_queue_ticket(tx, by_id[c.ticket_id]) for c in order]


def _held(tx: Tx, window: Window) -> list[QueueTicket]:
    rows = tx.session.exec(
        select(Ticket)
        .where(
            Ticket.hall_id == tx.hall_id,
            Ticket.service_day == tx.today,
            Ticket.state == TicketState.HELD.value,
            Ticket.target_window_id == window.id,
        )
        .order_by(col(Ticket.queued_at))
    ).all()
    return [_queue_ticket(tx, t) for t in rows]


def _queue_ticket(tx: Tx, ticket: Ticket) -> QueueTicket:
    service = tx.session.get(Service, ticket.service_id)
    matter = None if ticket.matter_id is None else tx.session.get(Matter, ticket.matter_id)
    return QueueTicket(
        ticket_id=ticket.public_id,
        number=ticket.number,
        service="" if service is None else service.code,
        service_name="" if service is None else service.name,
        matter_name=None if matter is None else matter.name,
        priority_label=_priority_label(ticket.priority_class),
        special=ticket.special,
        appointment=ticket.appointment_id is not None,
        waited_min=_minutes(ticket.issued_at, tx.now),
    )


def _priority_label(code: str | None) -> str | None:
    if code is None:
        return None
    try:
        return PriorityClass(code).label_zh
    except ValueError:
        return code


def _current(tx: Tx, window: Window) -> CurrentCitizen | None:
    if window.current_ticket_id is None:
        return None
    ticket = tx.session.get(Ticket, window.current_ticket_id)
    if ticket is None:
        return None
    service = tx.session.get(Service, ticket.service_id)
    matter = None if ticket.matter_id is None else tx.session.get(Matter, ticket.matter_id)
    appointment = (
        None if ticket.appointment_id is None else tx.session.get(Appointment, ticket.appointment_id)
    )
    first = None
    if ticket.return_for is not None:
        found = tx.session.exec(
            select(Case).where(Case.hall_id == tx.hall_id, Case.case_number == ticket.return_for)
        ).first()
        first = None if found is None else case_views.brief(tx, found)
    return CurrentCitizen(
        ticket_id=ticket.public_id,
        number=ticket.number,
        state=ticket.state,
        service="" if service is None else service.code,
        service_name="" if service is None else service.name,
        matter=None if matter is None else matter.code,
        matter_name=None if matter is None else matter.name,
        matter_case_type=None if matter is None else matter.case_type,
        department=_department_code(tx, matter),
        promised_days=None if matter is None else matter.promised_days,
        priority=_priority(tx, ticket),
        special_reason=ticket.special_reason,
        appointment=None if appointment is None else appointment.code,
        materials=[] if matter is None else material_lines(tx, matter, ticket.materials),
        return_for=first,
        return_for_number=ticket.return_for,
        earlier_cases=case_views.earlier_cases(tx, ticket),
        waited_min=_minutes(ticket.issued_at, ticket.first_called_at or tx.now),
        recall_count=ticket.recall_count,
        called_at=None if ticket.called_at is None else ticket.called_at.timestamp(),
        started_at=None if ticket.started_at is None else ticket.started_at.timestamp(),
        deadlines=case_views.deadline_previews(tx, matter),
        guide=guide.guide_note(tx, ticket),
    )


def _department_code(tx: Tx, matter: Matter | None) -> str | None:
    if matter is None or matter.department_id is None:
        return None
    department = tx.session.get(Department, matter.department_id)
    return None if department is None else department.code


def _priority(tx: Tx, ticket: Ticket) -> PriorityInfo | None:
    if ticket.priority_class is None:
        return None
    # The ticket stores False both for "declared, not yet confirmed" and "rejected"; the audit trail
    # tells them apart.
    confirmed = ticket.priority_confirmed
    if not confirmed:
        rejected = tx.session.exec(
            select(Event.id).where(Event.ticket_id == ticket.id, Event.kind == "priority_rejected")
        ).first()
        confirmed = False if rejected is not None else None
    basis = None
    try:
        basis = None if ticket.priority_basis is None else PriorityBasis(ticket.priority_basis)
    except ValueError:
        basis = None
    return PriorityInfo(
        code=ticket.priority_class,
        label=_priority_label(ticket.priority_class) or ticket.priority_class,
        basis=ticket.priority_basis,
        basis_label="" if basis is None else basis.label_zh,
        confirmed=confirmed,
        needs_confirmation=basis is PriorityBasis.DECLARED,
    )


def _recent_cases(tx: Tx, window: Window) -> list[CaseBrief]:
    rows = tx.session.exec(
        select(Case)
        .join(Ticket, col(Ticket.id) == col(Case.ticket_id))
        .where(Case.hall_id == tx.hall_id, Case.accepted_on == tx.today, Ticket.window_id == window.id)
        .order_by(col(Case.id).desc())
        .limit(RECENT_CASES)
    ).all()
    return [case_views.brief(tx, case) for case in rows]


def _services(tx: Tx) -> list[Option]:
    rows = tx.session.exec(
        select(Service)
        .where(Service.hall_id == tx.hall_id, col(Service.active))
        .order_by(col(Service.position), col(Service.code))
    ).all()
    return [Option(code=s.code, name=s.name) for s in rows]


_STATUS_ZH = {"idle": "空闲", "calling": "呼叫中", "serving": "办理中", "paused": "暂停", "closed": "关闭"}


def _windows(tx: Tx, here: Window) -> list[Option]:
    rows = tx.session.exec(
        select(Window, Staff.name)
        .outerjoin(Staff, col(Staff.id) == col(Window.staff_id))
        .where(Window.hall_id == tx.hall_id, Window.id != here.id)
        .order_by(col(Window.id))
    ).all()
    return [
        Option(
            code=w.number,
            name=w.name,
            note=_STATUS_ZH.get(w.status, w.status) + (f" · {name}" if name else ""),
        )
        for w, name in rows
    ]


def _staff(tx: Tx, here: Window) -> list[Option]:
    rows = tx.session.exec(
        select(Staff, Window)
        .join(Window, col(Window.staff_id) == col(Staff.id))
        .where(Staff.hall_id == tx.hall_id, Window.id != here.id)
        .order_by(col(Window.id))
    ).all()
    return [Option(code=s.login, name=s.name, note=w.name) for s, w in rows]
