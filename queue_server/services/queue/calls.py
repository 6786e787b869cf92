"""Calling tickets to a window: call next (the ordering), call a specific ticket (audited), recall;
and the replay of calls for displays that missed some (``calls.since``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import update
from sqlmodel import Session, SQLModel, col, select

from queue_server.domain.ordering import Candidate, after_call, pick_next
from queue_server.domain.policies import in_lunch_break
from queue_server.domain.schedule import day_schedule, may_call
from queue_server.errors import (
    BadRequestError,
    InvalidStateError,
    NotFoundError,
    QueueEmptyError,
    RefusedError,
)
from queue_server.protocol.messages import (
    CallEvent,
    CallKind,
    CallsSinceResult,
    ErrorCode,
    TicketState,
    WindowOpResult,
    WindowStatus,
)
from queue_server.services.engine.access import authorize_window, require_status
from queue_server.services.engine.lookup import (
    service_by_id,
    staff_by_id,
    ticket_by_public_id,
    window_by_number,
    window_services,
)
from queue_server.services.engine.rules import hall_policy, hall_schedule
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.people.staff import qualified
from queue_server.services.ports import Actor
from queue_server.services.queue import reads
from queue_server.services.views.snapshots import call_event, ticket_status, window_state
from queue_server.store.counters import next_hall_seq
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Call, Matter, Service, Ticket, Window

# Another window may win the race for our best candidate; we then take the next one.
MAX_CLAIM_ATTEMPTS = 8


def call_next(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    window = window_by_number(tx, window_no, lock=True)
    authorize_window(tx, actor, window)
    require_status(window, WindowStatus.IDLE)
    require_calling_hours(tx, window)
    served = lunch_served(tx, window_services(tx, window))
    if not served:
        raise QueueEmptyError(window=window.number, reason="lunch_break")
    profile = reads.window_profile(tx, window, served)
    policy = reads.service_policy(tx, [service for service, _ in served])
    lost: set[int] = set()
    licensing = qualified_at(tx, window)
    for _attempt in range(MAX_CLAIM_ATTEMPTS):
        candidates = reads.window_candidates(tx, window, served, lost, licensing=licensing)
        picked = pick_next(candidates, profile, policy, tx.now)
        if picked is None:
            raise QueueEmptyError(window=window.number)
        ticket = _claim(tx, picked.ticket_id, (TicketState.WAITING,), window)
        if ticket is not None:
            window.consecutive_priority_calls = after_call(window.consecutive_priority_calls, picked)
            return _called(tx, window, ticket, "call_next")
        lost.add(picked.ticket_id)
    raise QueueEmptyError(window=window.number, reason="contention")


def call_specific(tx: Tx, window_no: str, ticket_token: str, reason: str, actor: Actor) -> WindowOpResult:
    """Call one ticket out of order; the reason is required and kept in the audit trail."""
    if not reason.strip():
        raise BadRequestError("点名呼叫须填写原因。", field="reason")
    window = window_by_number(tx, window_no, lock=True)
    authorize_window(tx, actor, window)
    require_status(window, WindowStatus.IDLE)
    require_calling_hours(tx, window)
    target = ticket_by_public_id(tx, ticket_token)
    if target.service_day != tx.today:
        raise InvalidStateError("只能呼叫当日的号票。", ticket=target.number)
    service = service_by_id(tx, target.service_id)
    if service is not None and not lunch_served(tx, [(service, 0)]):
        raise RefusedError(
            "午间休息时间，本窗口只办理午间不休的业务。", ticket=target.number, window=window.number
        )
    if is_licensing(tx, target) and not qualified_at(tx, window):
        raise RefusedError(
            "该号票办理行政许可事项，须由持有效执法资格证的人员呼叫办理。",
            code=ErrorCode.NOT_ELIGIBLE,
            ticket=target.number,
            window=window.number,
        )
    ticket = _claim(tx, pk(target), (TicketState.WAITING, TicketState.HELD), window)
    if ticket is None:
        raise InvalidStateError(ticket=target.number, state=target.state)
    window.consecutive_priority_calls = after_call(window.consecutive_priority_calls, _as_candidate(ticket))
    return _called(tx, window, ticket, "call_specific", reason=reason.strip())


def require_calling_hours(tx: Tx, window: Window) -> None:
    """After the hall's last closing only extended-hours windows call (``domain.schedule.may_call``)."""
    schedule = hall_schedule(tx.hall)
    if schedule is not None and not may_call(
        schedule, tx.calendar, tx.now_local, extended_window=window.extended_hours
    ):
        raise RefusedError("已过今日办公时间，本窗口不提供延时服务，不能再叫号。", window=window.number)
    duty = hall_policy(tx).lunch
    if duty.kept and not duty.may_call(window.number, lunch_break=lunch_break(tx)):
        raise RefusedError("午间休息时间，本窗口不在午间值班，不能叫号。", window=window.number)


def lunch_break(tx: Tx) -> bool:
    """Whether the hall is between two sessions of today (its lunch break)."""
    schedule = hall_schedule(tx.hall)
    return schedule is not None and in_lunch_break(
        day_schedule(schedule, tx.calendar, tx.today), tx.now_local
    )


def lunch_served(tx: Tx, served: list[tuple[Service, int]]) -> list[tuple[Service, int]]:
    """The services a window calls now: in the lunch break, of a hall keeping lunch duty, only the
    lunch-duty services (午间不休; none named: all of them)."""
    duty = hall_policy(tx).lunch
    if not duty.kept or not lunch_break(tx):
        return served
    return [(s, w) for s, w in served if duty.serves(s.code, lunch_break=True)]


def qualified_at(tx: Tx, window: Window) -> bool:
    """Whether the person signed in at the window holds a valid law-enforcement qualification today:
    only such a person calls the tickets of licensing matters (办理行政许可业务的人员必须具有行政执法资格)."""
    staff = None if window.staff_id is None else staff_by_id(tx, window.staff_id)
    return staff is not None and qualified(staff, tx.today)


def is_licensing(tx: Tx, ticket: Ticket) -> bool:
    if ticket.matter_id is None:
        return False
    return bool(_MATTER_LICENSING.scalar(tx.conn, {"id": ticket.matter_id}))


def waiting_by_number(tx: Tx, number: str) -> str:
    """The public id of today's callable ticket with this number (the newest of a transfer chain)."""
    ticket = tx.session.exec(
        select(Ticket)
        .where(
            Ticket.hall_id == tx.hall_id,
            Ticket.service_day == tx.today,
            Ticket.number == number,
            col(Ticket.state).in_([TicketState.WAITING.value, TicketState.HELD.value]),
        )
        .order_by(col(Ticket.id).desc())
    ).first()
    if ticket is None:
        raise NotFoundError(f"今日没有等候中的{number}号。", what="ticket", number=number)
    return ticket.public_id


def recall(tx: Tx, window_no: str, actor: Actor) -> WindowOpResult:
    window = window_by_number(tx, window_no, lock=True)
    authorize_window(tx, actor, window)
    require_status(window, WindowStatus.CALLING)
    ticket = current_ticket(tx, window)
    ticket.recall_count += 1
    ticket.called_at = tx.now
    call = make_call(tx, window, ticket, CallKind.RECALL)
    tx.event("recall", ticket=ticket, window=window, seq=call.seq, recall_count=ticket.recall_count)
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, ticket), call=call)


def current_ticket(tx: Tx, window: Window) -> Ticket:
    ticket = None if window.current_ticket_id is None else tx.session.get(Ticket, window.current_ticket_id)
    if ticket is None:
        raise InvalidStateError("该窗口当前没有号票。", window=window.number)
    return ticket


def make_call(tx: Tx, window: Window, ticket: Ticket, kind: CallKind) -> CallEvent:
    """Number the call with the hall's ``seq`` (from the database: it survives restarts) and keep it."""
    # The shared catalogue row (no ORM load, no autoflush of the ticket's pending changes here).
    service = service_by_id(tx, ticket.service_id)
    assert service is not None
    row = Call(
        hall_id=tx.hall_id,
        seq=next_hall_seq(tx.session, tx.hall_id),
        kind=kind.value,
        ticket_id=pk(ticket),
        window_id=pk(window),
        number=ticket.number,
        window_no=window.number,
        window_name=window.name,
        service=service.code,
        public_id=ticket.public_id,
        say=f"请{ticket.number}号到{window.name}办理",
        ts=tx.now,
    )
    tx.session.add(row)
    event = call_event(row)
    tx.changes.calls.append(event)
    tx.changes.touch(window)
    return event


def calls_since(session: Session, hall_id: int, seq: int, limit: int) -> CallsSinceResult:
    rows = session.exec(
        select(Call).where(Call.hall_id == hall_id, Call.seq > seq).order_by(col(Call.seq)).limit(limit + 1)
    ).all()
    return CallsSinceResult(calls=[call_event(row) for row in rows[:limit]], more=len(rows) > limit)


def _claim(tx: Tx, ticket_id: int, from_states: tuple[TicketState, ...], window: Window) -> Ticket | None:
    """Take the ticket for this call with ONE conditional UPDATE: two windows never get the same one.

    The same statement writes everything the call changes on the ticket, so the ticket's row changes
    once per call (its triggers, the statistics' included, run once) and the ORM has nothing left to
    flush for it; RETURNING loads the row (SQLite 3.35+ and PostgreSQL)."""
    return tx.session.scalars(
        update(Ticket)
        .where(col(Ticket.id) == ticket_id, col(Ticket.state).in_([s.value for s in from_states]))
        .values(
            state=TicketState.CALLED.value,
            window_id=window.id,
            staff_id=window.staff_id,
            target_window_id=None,
            called_at=tx.now,
            # The literal typed as the column: stored as the other timestamps are (UTC).
            first_called_at=sa.func.coalesce(
                col(Ticket.first_called_at), sa.literal(tx.now, _FIRST_CALLED.type)
            ),
        )
        .returning(Ticket)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).one_or_none()


def _called(tx: Tx, window: Window, ticket: Ticket, kind: str, **data: Any) -> WindowOpResult:
    """The window's side of a call the claim made (``_claim`` wrote the ticket's)."""
    window.status = WindowStatus.CALLING.value
    window.status_since = tx.now
    window.current_ticket_id = ticket.id
    call = make_call(tx, window, ticket, CallKind.CALL)
    tx.event(kind, ticket=ticket, window=window, seq=call.seq, number=ticket.number, **data)
    return WindowOpResult(window=window_state(tx, window), ticket=ticket_status(tx, ticket), call=call)


def _as_candidate(ticket: Ticket) -> Candidate:
    return Candidate(
        ticket_id=pk(ticket),
        service="",
        issued_at=ticket.queued_at,
        priority_class=ticket.priority_class,
        special=ticket.special,
        appointment_slot_start=ticket.appointment_slot_start,
        held=False,
        day=ticket.service_day,
    )


_MATTER: sa.Table = SQLModel.metadata.tables[Matter.__tablename__]
_FIRST_CALLED = SQLModel.metadata.tables[Ticket.__tablename__].c.first_called_at
_MATTER_LICENSING = Prepared(sa.select(_MATTER.c.licensing).where(_MATTER.c.id == sa.bindparam("id")))
