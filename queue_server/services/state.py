"""Builders of the snapshots the doors publish: WindowState, HallState, TicketStatusResult, CallEvent.

``HallState.recent_calls`` is chronological (oldest first), like ``calls.since``.
"""

from __future__ import annotations

from sqlmodel import col, func, select

from queue_server.domain.masking import mask_name
from queue_server.domain.schedule import HallMode as DomainMode
from queue_server.domain.schedule import hall_status, issue_verdict
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
from queue_server.services import queue
from queue_server.services.rules import hall_schedule, service_schedule
from queue_server.services.tx import Tx, pk
from queue_server.store.counters import current_hall_seq
from queue_server.store.tables import Call, Pause, Service, Staff, Ticket, Window, WindowService

RECENT_CALLS = 10

_MODES: dict[DomainMode, HallMode] = {
    DomainMode.OPEN: HallMode.OPEN,
    DomainMode.EXTENDED: HallMode.EXTENDED,
    DomainMode.CLOSED: HallMode.CLOSED,
    DomainMode.WEEKEND_SERVICE: HallMode.WEEKEND,
    DomainMode.LUNCH_BREAK: HallMode.LUNCH_BREAK,
}
_PENDING = (TicketState.WAITING.value, TicketState.CALLED.value, TicketState.SERVING.value)


def call_event(call: Call) -> CallEvent:
    return CallEvent(
        seq=call.seq,
        kind=CallKind(call.kind),
        ticket=call.number,
        window=call.window_no,
        window_name=call.window_name,
        say=call.say,
        ts=call.ts.timestamp(),
        ticket_id=call.citizen_token,
        service=call.service,
    )


def window_state(tx: Tx, window: Window) -> WindowState:
    session = tx.session
    ticket = None if window.current_ticket_id is None else session.get(Ticket, window.current_ticket_id)
    staff = None if window.staff_id is None else session.get(Staff, window.staff_id)
    pause = None if window.pause_id is None else session.get(Pause, window.pause_id)
    codes = session.exec(
        select(Service.code)
        .join(WindowService, col(WindowService.service_id) == col(Service.id))
        .where(WindowService.window_id == window.id)
        .order_by(col(WindowService.weight).desc(), col(Service.code))
    ).all()
    return WindowState(
        window=window.number,
        name=window.name,
        status=WindowStatus(window.status),
        ticket=None if ticket is None else ticket.number,
        ticket_id=None if ticket is None else ticket.citizen_token,
        staff=None if staff is None else mask_name(staff.name),
        staff_id=None if staff is None else staff.login,
        pause_reason=None if pause is None else pause.reason,
        services=list(codes),
        ts=tx.now.timestamp(),
    )


def ticket_status(tx: Tx, ticket: Ticket) -> TicketStatusResult:
    service = tx.session.get(Service, ticket.service_id)
    assert service is not None
    position, ahead = queue.position(tx, ticket, service)
    eta = None
    if ahead is not None:
        windows = queue.serving_windows(tx.session, tx.hall_id).get(pk(service), 0)
        recent = queue.recent_handling(tx.session, tx.hall_id, ticket.service_day)
        eta = queue.eta_minutes(service, ahead, windows, recent)
    window = None if ticket.window_id is None else tx.session.get(Window, ticket.window_id)
    return TicketStatusResult(
        ticket_id=ticket.citizen_token,
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


def service_infos(tx: Tx, waiting: dict[int, int], serving: dict[int, int]) -> list[ServiceInfo]:
    services = tx.session.exec(
        select(Service)
        .where(Service.hall_id == tx.hall_id, col(Service.active))
        .order_by(col(Service.position), col(Service.code))
    ).all()
    recent = queue.recent_handling(tx.session, tx.hall_id, tx.today)
    infos = []
    for service in services:
        sid = pk(service)
        schedule = service_schedule(service, tx.hall)
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
                eta_min=queue.eta_minutes(service, count, serving.get(sid, 0), recent),
            )
        )
    return infos


def hall_state(tx: Tx, catalog_etag: str = "") -> HallState:
    session = tx.session
    waiting = queue.waiting_counts(session, tx.hall_id, tx.today)
    serving = queue.serving_windows(session, tx.hall_id)
    infos = service_infos(tx, waiting, serving)
    mode = _mode(tx)
    calls = session.exec(
        select(Call).where(Call.hall_id == tx.hall_id).order_by(col(Call.seq).desc()).limit(RECENT_CALLS)
    ).all()
    return HallState(
        seq=current_hall_seq(session, tx.hall_id),
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


def _mode(tx: Tx) -> HallMode:
    schedule = hall_schedule(tx.hall)
    if schedule is None:
        return HallMode.OPEN
    pending = tx.session.exec(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.hall_id == tx.hall_id, Ticket.service_day == tx.today, col(Ticket.state).in_(_PENDING))
    ).one()
    return _MODES[hall_status(schedule, tx.calendar, tx.now_local, pending_tickets=pending).mode]


def _window_briefs(tx: Tx) -> dict[str, WindowBrief]:
    rows = tx.session.exec(
        select(Window, Ticket.number, Staff.name)
        .outerjoin(Ticket, col(Ticket.id) == col(Window.current_ticket_id))
        .outerjoin(Staff, col(Staff.id) == col(Window.staff_id))
        .where(Window.hall_id == tx.hall_id)
        .order_by(col(Window.id))
    ).all()
    return {
        window.number: WindowBrief(
            status=WindowStatus(window.status),
            ticket=number,
            staff=None if name is None else mask_name(name),
        )
        for window, number, name in rows
    }
