"""Builders of the snapshots the doors publish: WindowState, HallState, TicketStatusResult, CallEvent.

``HallState.recent_calls`` is chronological (oldest first), like ``calls.since``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy import Table, bindparam
from sqlmodel import SQLModel

from queue_server.domain.masking import mask_name
from queue_server.domain.privacy import opaque_staff_id
from queue_server.domain.schedule import HallMode as DomainMode
from queue_server.domain.schedule import ServiceSchedule, hall_status, issue_verdict
from queue_server.protocol.messages import (
    CallEvent,
    CallKind,
    HallMode,
    HallState,
    ServiceInfo,
    TicketState,
    TicketStatusResult,
    WindowBrief,
    WindowState,
    WindowStatus,
)
from queue_server.services.engine.lookup import SERVICES, service_by_id, staff_by_id
from queue_server.services.engine.rules import hall_schedule, service_schedule
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.queue import reads
from queue_server.store.counters import CALLS
from queue_server.store.prepared import Prepared
from queue_server.store.tables import (
    Call,
    Hall,
    HallSequence,
    Pause,
    Service,
    Staff,
    Ticket,
    Window,
    WindowService,
)

RECENT_CALLS = 10
# The purpose of the key behind the staff numbers on public topics (``domain/privacy.py``).
STAFF_ID_KEY = "staff-id"

_MODES: dict[DomainMode, HallMode] = {
    DomainMode.OPEN: HallMode.OPEN,
    DomainMode.EXTENDED: HallMode.EXTENDED,
    DomainMode.CLOSED: HallMode.CLOSED,
    DomainMode.WEEKEND_SERVICE: HallMode.WEEKEND,
    DomainMode.LUNCH_BREAK: HallMode.LUNCH_BREAK,
}


class _CallRow(Protocol):
    """A ``call`` row: the ORM object or a Core row of its columns."""

    seq: int
    kind: str
    number: str
    window_no: str
    window_name: str
    say: str
    ts: datetime
    public_id: str
    service: str


def call_event(call: _CallRow | Call) -> CallEvent:
    return CallEvent(
        seq=call.seq,
        kind=CallKind(call.kind),
        ticket=call.number,
        window=call.window_no,
        window_name=call.window_name,
        say=call.say,
        ts=call.ts.timestamp(),
        ticket_id=call.public_id,
        service=call.service,
    )


def window_state(tx: Tx, window: Window) -> WindowState:
    session = tx.session
    ticket = None if window.current_ticket_id is None else session.get(Ticket, window.current_ticket_id)
    # Staff and service rows are shared catalogue-like reads past the session (no autoflush here).
    staff = None if window.staff_id is None else staff_by_id(tx, window.staff_id)
    pause = None if window.pause_id is None else session.get(Pause, window.pause_id)
    # The window's services, read past the session: nothing pending in it changes them, and a flush
    # here would only move the commit's work earlier.
    codes = [code for (code,) in _WINDOW_CODES.rows(tx.conn, {"window_id": window.id})]
    return WindowState(
        window=window.number,
        name=window.name,
        status=WindowStatus(window.status),
        ticket=None if ticket is None else ticket.number,
        ticket_id=None if ticket is None else ticket.public_id,
        staff=None if staff is None else mask_name(staff.name),
        staff_id=None if staff is None else opaque_staff_id(tx.settings.derive_key(STAFF_ID_KEY), pk(staff)),
        pause_reason=None if pause is None else pause.reason,
        services=list(codes),
        ts=tx.now.timestamp(),
    )


def ticket_status(tx: Tx, ticket: Ticket) -> TicketStatusResult:
    service = service_by_id(tx, ticket.service_id)
    assert service is not None
    position, ahead = reads.position(tx, ticket, service)
    eta = None
    if ahead is not None:
        windows = reads.serving_windows(tx.conn, tx.hall_id).get(pk(service), 0)
        recent = reads.recent_handling(tx.conn, tx.hall_id, ticket.service_day)
        eta = reads.eta_minutes(service, ahead, windows, recent)
    window = None if ticket.window_id is None else tx.session.get(Window, ticket.window_id)
    return TicketStatusResult(
        ticket_id=ticket.public_id,
        number=ticket.number,
        state=TicketState(ticket.state),
        service=service.code,
        position=position,
        people_ahead=ahead,
        eta_min=eta,
        window=None if window is None else window.number,
        window_name=None if window is None else window.name,
        case_number=ticket.case_number,
    )


def service_hours(service: Service, hall: Hall) -> ServiceSchedule | None:
    """``rules.service_schedule``, parsed once per distinct schedule (it is parsed from JSON)."""
    used = (
        service.schedule,
        service.rest_day_schedule,
        service.cutoff_min,
        service.extended_hours,
        hall.schedule,
        hall.rest_day_schedule,
        service.code in hall.lunch_services,  # 午间不休 (policies)
    )
    key = (id(service), id(hall))
    known = _HOURS.get(key)
    if known is not None and known[0] is service and known[1] is hall and known[2] == used:
        return known[3]
    schedule = service_schedule(service, hall)
    if len(_HOURS) >= 1024:
        _HOURS.clear()
    _HOURS[key] = (service, hall, used, schedule)  # the objects kept: their ids are not reused
    return schedule


_HOURS: dict[tuple[int, int], tuple[Service, Hall, tuple[Any, ...], ServiceSchedule | None]] = {}


def service_infos(tx: Tx, waiting: dict[int, int], serving: dict[int, int]) -> list[ServiceInfo]:
    fields, rows = _ACTIVE_SERVICES.named_rows(tx.conn, {"hall_id": tx.hall_id})
    services = [SERVICES.adopt(fields, row) for row in rows]
    recent = reads.recent_handling(tx.conn, tx.hall_id, tx.today)
    infos = []
    for service in services:
        sid = pk(service)
        schedule = service_hours(service, tx.hall)
        verdict = None if schedule is None else issue_verdict(schedule, tx.calendar, tx.now_local)
        count = waiting.get(sid, 0)
        infos.append(
            ServiceInfo(
                code=service.code,
                name=service.name,
                open=verdict is None or verdict.ok,
                reason="" if verdict is None or verdict.code is None else verdict.code.value,
                next_open=None
                if verdict is None or verdict.next_open is None
                else verdict.next_open.timestamp(),
                waiting=count,
                eta_min=reads.eta_minutes(service, count, serving.get(sid, 0), recent),
            )
        )
    return infos


def hall_state(tx: Tx, catalog_etag: str = "") -> HallState:
    """The retained hall snapshot: a handful of index-only statements, none growing with the history
    (the counts read the queue index of today's pending tickets, nothing else)."""
    counts = reads.queue_counts(tx.conn, tx.hall_id, tx.today)
    waiting = {sid: n for (sid, state), n in counts.items() if state == TicketState.WAITING.value}
    infos = service_infos(tx, waiting, reads.serving_windows(tx.conn, tx.hall_id))
    mode = _mode(tx, pending=sum(counts.values()))
    params = {"hall_id": tx.hall_id}
    calls = _RECENT_CALLS.records(tx.conn, params)
    seq = _CALL_SEQ.scalar(tx.conn, params)
    return HallState(
        seq=seq or 0,
        open=mode in (HallMode.OPEN, HallMode.WEEKEND, HallMode.EXTENDED),
        extended=mode is HallMode.EXTENDED,
        mode=mode,
        hall_name=tx.hall.name,
        recent_calls=[call_event(c) for c in reversed(calls)],
        windows=_window_briefs(tx),
        waiting={info.code: info.waiting for info in infos},
        eta_min={info.code: info.eta_min for info in infos},
        services=infos,
        notice=tx.hall.notice,
        catalog_etag=catalog_etag,
        ts=tx.now.timestamp(),
    )


def _mode(tx: Tx, pending: int) -> HallMode:
    schedule = hall_schedule(tx.hall)
    if schedule is None:
        return HallMode.OPEN
    return _MODES[hall_status(schedule, tx.calendar, tx.now_local, pending_tickets=pending).mode]


def _window_briefs(tx: Tx) -> dict[str, WindowBrief]:
    rows = _WINDOW_BRIEFS.rows(tx.conn, {"hall_id": tx.hall_id})
    return {
        number: WindowBrief(
            status=WindowStatus(status),
            ticket=ticket,
            staff=None if name is None else mask_name(name),
        )
        for number, status, ticket, name in rows
    }


# The statements of the hall state, built once (building SQL costs more Python than running it).
_CALL: Table = SQLModel.metadata.tables[Call.__tablename__]
_SEQ: Table = SQLModel.metadata.tables[HallSequence.__tablename__]
_WINDOW: Table = SQLModel.metadata.tables[Window.__tablename__]
_TICKET: Table = SQLModel.metadata.tables[Ticket.__tablename__]
_STAFF: Table = SQLModel.metadata.tables[Staff.__tablename__]
_SERVICE: Table = SQLModel.metadata.tables[Service.__tablename__]
_ACTIVE_SERVICES = Prepared(
    sa.select(_SERVICE)
    .where(_SERVICE.c.hall_id == bindparam("hall_id"), _SERVICE.c.active)
    .order_by(_SERVICE.c.position, _SERVICE.c.code)
)
_RECENT_CALLS = Prepared(
    sa.select(_CALL)
    .where(_CALL.c.hall_id == bindparam("hall_id"))
    .order_by(_CALL.c.seq.desc())
    .limit(RECENT_CALLS)
)
_CALL_SEQ = Prepared(
    sa.select(_SEQ.c.value).where(_SEQ.c.hall_id == bindparam("hall_id"), _SEQ.c.name == CALLS)
)
_WINDOW_SERVICE: Table = SQLModel.metadata.tables[WindowService.__tablename__]
_WINDOW_CODES = Prepared(
    sa.select(_SERVICE.c.code)
    .join(_WINDOW_SERVICE, _WINDOW_SERVICE.c.service_id == _SERVICE.c.id)
    .where(_WINDOW_SERVICE.c.window_id == bindparam("window_id"))
    .order_by(_WINDOW_SERVICE.c.weight.desc(), _SERVICE.c.code)
)
_WINDOW_BRIEFS = Prepared(
    sa.select(_WINDOW.c.number, _WINDOW.c.status, _TICKET.c.number, _STAFF.c.name)
    .outerjoin(_TICKET, _TICKET.c.id == _WINDOW.c.current_ticket_id)
    .outerjoin(_STAFF, _STAFF.c.id == _WINDOW.c.staff_id)
    .where(_WINDOW.c.hall_id == bindparam("hall_id"))
    .order_by(_WINDOW.c.id)
)
