"""The managers' live overview of a hall: every window, the waiting per service, today's totals and
every device (``supervision.devices``: online by its status and heartbeat, paper, boots), read from the
store in one read transaction.

The page that shows it refetches on each live event (call, window, hall, alerts, device), so what it
shows is at most one event behind; minutes are counted by the page from the ``since`` times, so it
needs no refetch to let a pause grow. Staff names are masked as on the hall displays and the console
(``domain.masking.mask_name``); the login is the opaque id a manager looks people up by.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import col, func, select

from queue_server.domain.masking import mask_name
from queue_server.protocol.messages import TicketState, WindowStatus
from queue_server.services.engine.models import Reply
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.supervision.devices import device_statuses
from queue_server.services.supervision.models import DeviceStatusView
from queue_server.services.views.snapshots import hall_state
from queue_server.store.tables import Pause, Service, Staff, Ticket, Window, WindowService

# Ticket states a visit is "at a window" in.
_AT_WINDOW = (TicketState.CALLED.value, TicketState.SERVING.value)


class OverviewWindow(Reply):
    window: str
    name: str
    status: WindowStatus
    since: float | None  # when the window entered its status (epoch seconds)
    ticket: str | None
    service: str | None  # the current ticket's service code
    staff: str | None  # masked name
    staff_id: str | None  # login
    pause_reason: str | None
    minutes: int | None  # in the current visit (calling/serving) or pause, when read


class OverviewService(Reply):
    code: str
    name: str
    waiting: int
    longest_wait_min: int | None
    target_wait_min: int
    over_target: bool
    windows_open: int  # windows handling this service and not closed


class OverviewTotals(Reply):
    issued: int  # tickets issued today (transfer segments not counted again)
    waiting: int
    at_window: int  # called or being served
    served: int
    no_show: int
    transferred: int
    voided: int


class Overview(Reply):
    hall: str
    hall_name: str
    mode: str
    ts: float
    windows: list[OverviewWindow]
    services: list[OverviewService]
    totals: OverviewTotals
    devices: list[DeviceStatusView]  # as supervision sees them (online by status and heartbeat)


def overview(tx: Tx) -> Overview:
    state = hall_state(tx)
    windows = list(
        tx.session.exec(select(Window).where(Window.hall_id == tx.hall_id).order_by(col(Window.id)))
    )
    return Overview(
        hall=tx.hall.code,
        hall_name=tx.hall.name,
        mode=state.mode.value,
        ts=tx.now.timestamp(),
        windows=[_window(tx, w) for w in windows],
        services=_services(tx, windows),
        totals=_totals(tx),
        devices=device_statuses(tx).devices,
    )


def _window(tx: Tx, window: Window) -> OverviewWindow:
    ticket = None if window.current_ticket_id is None else tx.session.get(Ticket, window.current_ticket_id)
    service = None if ticket is None else tx.session.get(Service, ticket.service_id)
    staff = None if window.staff_id is None else tx.session.get(Staff, window.staff_id)
    pause = None if window.pause_id is None else tx.session.get(Pause, window.pause_id)
    status = WindowStatus(window.status)
    since = _since(window, ticket, pause)
    counted = status in (WindowStatus.CALLING, WindowStatus.SERVING, WindowStatus.PAUSED)
    return OverviewWindow(
        window=window.number,
        name=window.name,
        status=status,
        since=None if since is None else since.timestamp(),
        ticket=None if ticket is None else ticket.number,
        service=None if service is None else service.code,
        staff=None if staff is None else mask_name(staff.name),
        staff_id=None if staff is None else staff.login,
        pause_reason=None if pause is None else pause.reason,
        minutes=_minutes(since, tx.now) if counted and since is not None else None,
    )


def _since(window: Window, ticket: Ticket | None, pause: Pause | None) -> datetime | None:
    """When the citizen was called to the window (the start of handling does not restart the count; a
    recall does, as the citizen is called again), the pause's start, else when the window took its
    status."""
    if pause is not None and window.status == WindowStatus.PAUSED.value:
        return _aware(pause.started_at)
    if ticket is not None and ticket.called_at is not None:
        return _aware(ticket.called_at)
    return None if window.status_since is None else _aware(window.status_since)


def _services(tx: Tx, windows: list[Window]) -> list[OverviewService]:
    services = list(
        tx.session.exec(
            select(Service)
            .where(Service.hall_id == tx.hall_id, col(Service.active))
            .order_by(col(Service.position), col(Service.code))
        )
    )
    rows = tx.session.exec(
        select(Ticket.service_id, func.count(), func.min(Ticket.queued_at))
        .where(
            Ticket.hall_id == tx.hall_id,
            Ticket.service_day == tx.today,
            Ticket.state == TicketState.WAITING.value,
        )
        .group_by(col(Ticket.service_id))
    ).all()
    loads = {int(sid): (int(count), oldest) for sid, count, oldest in rows}
    open_windows = _open_windows(tx, windows)
    result = []
    for service in services:
        count, oldest = loads.get(pk(service), (0, None))
        longest = None if oldest is None else _minutes(_aware(oldest), tx.now)
        result.append(
            OverviewService(
                code=service.code,
                name=service.name,
                waiting=count,
                longest_wait_min=longest,
                target_wait_min=service.target_wait_min,
                over_target=longest is not None and longest > service.target_wait_min,
                windows_open=open_windows.get(pk(service), 0),
            )
        )
    return result


def _open_windows(tx: Tx, windows: list[Window]) -> dict[int, int]:
    staffed = [pk(w) for w in windows if w.status != WindowStatus.CLOSED.value]
    if not staffed:
        return {}
    rows = tx.session.exec(
        select(WindowService.service_id, func.count())
        .where(col(WindowService.window_id).in_(staffed))
        .group_by(col(WindowService.service_id))
    ).all()
    return {int(sid): int(n) for sid, n in rows}


def _totals(tx: Tx) -> OverviewTotals:
    rows = tx.session.exec(
        select(Ticket.state, col(Ticket.parent_ticket_id).is_(None), func.count())
        .where(Ticket.hall_id == tx.hall_id, Ticket.service_day == tx.today)
        .group_by(col(Ticket.state), col(Ticket.parent_ticket_id).is_(None))
    ).all()
    by_state: dict[str, int] = {}
    issued = 0
    for state, first, count in rows:
        by_state[state] = by_state.get(state, 0) + int(count)
        issued += int(count) if first else 0
    return OverviewTotals(
        issued=issued,
        waiting=by_state.get(TicketState.WAITING.value, 0) + by_state.get(TicketState.HELD.value, 0),
        at_window=sum(by_state.get(s, 0) for s in _AT_WINDOW),
        served=by_state.get(TicketState.DONE.value, 0),
        no_show=by_state.get(TicketState.NO_SHOW.value, 0),
        transferred=by_state.get(TicketState.TRANSFERRED.value, 0),
        voided=by_state.get(TicketState.VOID.value, 0),
    )


def _minutes(since: datetime, now: datetime) -> int:
    return max(0, int((now - since).total_seconds() // 60))


def _aware(value: datetime) -> datetime:
    # Aggregates bypass the column type: SQLite hands min(queued_at) back naive (stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
