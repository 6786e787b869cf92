"""The hall as the supervision rules see it: a ``SupervisionSnapshot`` read from the store, and the
hall's thresholds (``hall_supervision``, from the hall file) as ``AlertRules``.

Reads only; a handful of small queries over today's rows, the hall's windows and devices, and what is
still open from earlier days. A hall with a year of history holds over a million cases and hundreds of
thousands of ratings: the open ones are read through partial or leading-column indexes (migration
0023), only the columns the rules use, and only the promised cases the rules can raise (due within
the horizon or overdue). Measured on the year benchmark hall (1.1 M cases, 6,109 open; 700 k ratings,
1,508 bad ones not rectified): the two reads took 490 and 160 ms (each hall, every evaluation, much
of it holding the interpreter lock the hall's writes need); docs/managers.md has the figures after.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, func, select

from queue_server.domain.alerts import (
    AlertRules,
    DeviceSeen,
    IdleWindow,
    NoShowRun,
    OpenCase,
    RecentRating,
    ServiceLoad,
    SupervisionSnapshot,
    WindowPause,
    case_horizon,
    paper_of,
)
from queue_server.protocol.messages import TicketState, WindowStatus
from queue_server.services.engine.tx import Tx
from queue_server.store.tables import (
    Case,
    Device,
    Event,
    HallSupervision,
    Pause,
    Rating,
    Service,
    Ticket,
    Window,
    WindowService,
)

# The events that end (or begin) a visit at a window, newest first, decide a no-show streak.
_VISIT_EVENTS = ("start", "finish", "no_show")


def rules_of(tx: Tx) -> AlertRules:
    """The hall's thresholds: its hall file's ``[supervision]``, else the defaults."""
    row = tx.session.get(HallSupervision, tx.hall_id)
    if row is None:
        return AlertRules(tz=tx.zone)
    return AlertRules(
        max_waiting_per_window=row.max_waiting_per_window,
        max_pause=timedelta(minutes=row.max_pause_min),
        pause_limits={reason: timedelta(minutes=int(m)) for reason, m in row.pause_limits_min.items()},
        case_due_within_working_days=row.case_due_within_working_days,
        idle_with_waiting=timedelta(minutes=row.idle_with_waiting_min),
        no_show_streak=row.no_show_streak,
        device_offline_after=timedelta(seconds=row.device_offline_after_s),
        tz=tx.zone,
    )


def read_snapshot(tx: Tx, rules: AlertRules) -> SupervisionSnapshot:
    windows = list(tx.session.exec(select(Window).where(Window.hall_id == tx.hall_id)))
    numbers = {w.id: w.number for w in windows}
    waiting = _waiting(tx)
    return SupervisionSnapshot(
        services=_loads(tx, windows, waiting),
        pauses=_pauses(tx, numbers),
        open_cases=_open_cases(tx, numbers, case_horizon(rules, tx.calendar, tx.today)),
        ratings=_ratings(tx, numbers),
        idle_windows=_idle(tx, windows, waiting),
        no_show_runs=_no_show_runs(tx, windows, rules.no_show_streak),
        devices=_devices(tx, numbers),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _waiting(tx: Tx) -> dict[int, tuple[int, datetime]]:
    """Service id → (tickets waiting today, the oldest one's queue time)."""
    rows = tx.session.exec(
        select(Ticket.service_id, func.count(), func.min(Ticket.queued_at))
        .where(
            Ticket.hall_id == tx.hall_id,
            Ticket.service_day == tx.today,
            Ticket.state == TicketState.WAITING.value,
        )
        .group_by(col(Ticket.service_id))
    )
    return {sid: (int(n), _aware(oldest)) for sid, n, oldest in rows if oldest is not None}


def _served_by(tx: Tx, windows: list[Window]) -> dict[int, set[int]]:
    """Window id → the service ids it serves."""
    ids = [w.id for w in windows]
    served: dict[int, set[int]] = defaultdict(set)
    for window_id, service_id in tx.session.exec(
        select(WindowService.window_id, WindowService.service_id).where(col(WindowService.window_id).in_(ids))
    ):
        served[window_id].add(service_id)
    return served


def _loads(tx: Tx, windows: list[Window], waiting: dict[int, tuple[int, datetime]]) -> list[ServiceLoad]:
    served = _served_by(tx, windows)
    open_ids = [w.id for w in windows if w.status != WindowStatus.CLOSED.value and w.id is not None]
    services = tx.session.exec(select(Service).where(Service.hall_id == tx.hall_id, col(Service.active)))
    loads: list[ServiceLoad] = []
    for service in services:
        count, oldest = waiting.get(service.id or 0, (0, tx.now))
        loads.append(
            ServiceLoad(
                service=service.code,
                waiting=count,
                longest_wait=max(tx.now - oldest, timedelta(0)),
                target_wait=timedelta(minutes=service.target_wait_min),
                open_windows=sum(1 for wid in open_ids if service.id in served[wid]),
                name_zh=service.name,
            )
        )
    return loads


def _pauses(tx: Tx, numbers: dict[int | None, str]) -> list[WindowPause]:
    rows = tx.session.exec(select(Pause).where(Pause.hall_id == tx.hall_id, col(Pause.ended_at).is_(None)))
    return [WindowPause(numbers.get(p.window_id, "?"), _aware(p.started_at), p.reason) for p in rows]


def _open_cases(tx: Tx, numbers: dict[int | None, str], horizon: date) -> list[OpenCase]:
    """Promised cases not closed whose deadline is ``horizon`` or earlier: the ones the rules raise
    (due within the working days the hall set, or overdue); off ``ix_case_file_open``."""
    rows = tx.session.exec(
        select(Case.case_number, col(Case.deadline), col(Ticket.window_id))
        .join(Ticket, col(Ticket.id) == col(Case.ticket_id), isouter=True)
        .where(
            Case.hall_id == tx.hall_id,
            col(Case.closed_at).is_(None),
            col(Case.deadline).is_not(None),
            col(Case.deadline) <= horizon,
        )
    )
    return [
        OpenCase(number, deadline, numbers.get(window_id, ""))
        for number, deadline, window_id in rows
        if deadline is not None
    ]


def _ratings(tx: Tx, numbers: dict[int | None, str]) -> list[RecentRating]:
    """Bad ratings not yet rectified: the alert stands until the rectification is closed."""
    rows = tx.session.exec(
        select(Ticket.number, Rating.window_id, Rating.score, Rating.ts)
        .join(Ticket, col(Ticket.id) == col(Rating.ticket_id))
        .where(Rating.hall_id == tx.hall_id, col(Rating.bad), col(Rating.rectified_at).is_(None))
    )
    return [
        RecentRating(number, numbers.get(window_id, "?"), score, _aware(ts))
        for number, window_id, score, ts in rows
    ]


def _idle(tx: Tx, windows: list[Window], waiting: dict[int, tuple[int, datetime]]) -> list[IdleWindow]:
    served = _served_by(tx, windows)
    idle: list[IdleWindow] = []
    for w in windows:
        if w.status != WindowStatus.IDLE.value or w.status_since is None or w.id is None:
            continue
        people = sum(waiting.get(sid, (0, tx.now))[0] for sid in served[w.id])
        idle.append(IdleWindow(w.number, _aware(w.status_since), people))
    return idle


def _no_show_runs(tx: Tx, windows: list[Window], streak: int) -> list[NoShowRun]:
    """Each open window's no-shows since its last start or finish of the day (counted up to
    ``streak``: enough to raise). One short read per window, newest first, off ``ix_event_window``."""
    open_windows = [w for w in windows if w.status != WindowStatus.CLOSED.value and w.id is not None]
    start_of_day = datetime.combine(tx.today, time(0), tx.zone)
    first_today = tx.session.exec(
        select(Event.id)
        .where(Event.hall_id == tx.hall_id, col(Event.ts) >= start_of_day)
        .order_by(col(Event.ts), col(Event.id))
        .limit(1)
    ).first()
    if first_today is None or not open_windows:
        return []
    runs: list[NoShowRun] = []
    for window in open_windows:
        kinds = tx.session.exec(
            select(Event.kind)
            .where(
                Event.window_id == window.id,
                col(Event.id) >= first_today,
                col(Event.kind).in_(_VISIT_EVENTS),
            )
            .order_by(col(Event.id).desc())
            .limit(streak)
        ).all()
        count = next((i for i, kind in enumerate(kinds) if kind != "no_show"), len(kinds))
        if count:
            runs.append(NoShowRun(window.number, count))
    return runs


def _devices(tx: Tx, numbers: dict[int | None, str]) -> list[DeviceSeen]:
    rows = tx.session.exec(select(Device).where(Device.hall_id == tx.hall_id).order_by(col(Device.device_id)))
    return [device_seen(d, numbers) for d in rows]


def device_seen(device: Device, numbers: dict[int | None, str]) -> DeviceSeen:
    health = (device.status or {}).get("health") or {}
    printer = health.get("printer") if isinstance(health, dict) else None
    return DeviceSeen(
        device=device.device_id,
        kind=device.kind,
        window=numbers.get(device.window_id) if device.window_id is not None else None,
        state=device.state,
        last_seen=None if device.last_seen is None else _aware(device.last_seen),
        paper=paper_of(printer if isinstance(printer, str) else None),
    )
