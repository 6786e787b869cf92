"""Reading the queue: call-next candidates off the indexes, positions, waiting counts and estimates.

Call-next never loads the whole queue. For each service the window serves it reads the best few
tickets of each lane straight off an index (special, military, checked-in appointments by slot,
oldest (the starved, if any), priority, normal; plus tickets transferred to this very window) in ONE
``UNION ALL`` statement, and lets ``domain.ordering.pick_next`` choose among them. That is exact:
whichever clause wins, its best ticket is the first row of one of those index ranges.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Protocol

from sqlalchemy import CompoundSelect, Connection, Select, Table, bindparam, func, select, union_all
from sqlmodel import SQLModel

from queue_server.domain import kpi
from queue_server.domain.ordering import Candidate, ServicePolicy, WindowProfile, call_order
from queue_server.protocol.messages import TicketState, WindowStatus
from queue_server.services.engine.tx import Tx, pk
from queue_server.store.prepared import Prepared
from queue_server.store.tables import (
    LANE_MILITARY,
    LANE_NORMAL,
    LANE_PRIORITY,
    LANE_SPECIAL,
    Matter,
    QueueLength,
    Service,
    Ticket,
    Window,
    WindowService,
)

# Rows read per lane and service. One would do for pick_next (see module doc); a few more cost
# nothing and keep a lost race (another window claimed the best one) from needing a second read.
CANDIDATES_PER_LANE = 3
# Windows in these states count as serving a queue for wait estimates.
OPEN_STATUSES = (WindowStatus.IDLE, WindowStatus.CALLING, WindowStatus.SERVING)
RECENT_HANDLING_SAMPLES = 20
# One query serves every service of the hall: the latest finished tickets, grouped in Python.
RECENT_HANDLING_ROWS = 200
# Up to this many waiting, a new ticket's people-ahead is ranked exactly (see people_ahead_of_new).
EXACT_POSITION_LIMIT = 100

_T: Table = SQLModel.metadata.tables[Ticket.__tablename__]  # typed columns for Core statements
_Row = Select[int, int, datetime, str | None, bool, datetime | None]


def _columns() -> _Row:
    return select(
        _T.c.id,
        _T.c.service_id,
        _T.c.queued_at,
        _T.c.priority_class,
        _T.c.special,
        _T.c.appointment_slot_start,
    )


def window_profile(tx: Tx, window: Window, served: Sequence[tuple[Service, int]]) -> WindowProfile:
    interleave = tx.hall.interleave_n
    if served and served[0][0].interleave_n is not None:
        interleave = served[0][0].interleave_n or 0
    return WindowProfile(
        service_weights={service.code: weight for service, weight in served},
        military_priority=window.military_priority,
        consecutive_priority_calls=window.consecutive_priority_calls,
        interleave_n=interleave,
    )


def service_policy(tx: Tx, services: Iterable[Service]) -> ServicePolicy:
    return ServicePolicy(
        max_wait={s.code: timedelta(minutes=s.max_wait_min) for s in services if s.max_wait_min is not None},
        tz=tx.zone,
    )


def window_candidates(
    tx: Tx,
    window: Window,
    served: Sequence[tuple[Service, int]],
    exclude: set[int],
    *,
    licensing: bool = True,
) -> list[Candidate]:
    """The few tickets that can be next at this window (see module doc), as ordering candidates;
    without ``licensing`` (nobody qualified at the window) none of a licensing matter."""
    k = CANDIDATES_PER_LANE + len(exclude)
    params: dict[str, object] = {"today": tx.today, "now": tx.now, "window_id": window.id}
    params.update({f"service_{i}": service.id for i, (service, _weight) in enumerate(served)})
    rows = tx.session.execute(_candidates_statement(len(served), k, licensing), params).all()
    codes = {pk(service): service.code for service, _ in served}
    return _to_candidates(rows, codes, tx.today, exclude)


@lru_cache(maxsize=64)
def _candidates_statement(
    services: int, k: int, licensing: bool = True
) -> CompoundSelect[int, int, datetime, str | None, bool, datetime | None]:
    """One UNION ALL of the index ranges call-next reads, built once per shape (building SQL
    expressions costs more Python than running them)."""
    waiting = _T.c.state == TicketState.WAITING.value
    if not licensing:
        waiting = waiting & (_T.c.matter_id.is_(None) | _T.c.matter_id.not_in(_LICENSING_MATTERS))
    today = _T.c.service_day == bindparam("today")
    by_age = (_T.c.queued_at, _T.c.id)
    parts: list[_Row] = []
    for i in range(services):
        base = (_T.c.service_id == bindparam(f"service_{i}"), today, waiting, _T.c.target_window_id.is_(None))
        lanes = [LANE_SPECIAL, LANE_MILITARY, LANE_PRIORITY, LANE_NORMAL]
        parts.extend(_columns().where(*base, _T.c.lane == lane).order_by(*by_age).limit(k) for lane in lanes)
        parts.append(_columns().where(*base).order_by(*by_age).limit(k))
        begun = (_T.c.appointment_slot_start.is_not(None), _T.c.appointment_slot_start <= bindparam("now"))
        parts.append(_columns().where(*base, *begun).order_by(_T.c.appointment_slot_start, *by_age).limit(k))
    targeted = (_T.c.target_window_id == bindparam("window_id"), waiting, today)
    parts.append(_columns().where(*targeted).order_by(*by_age).limit(k))
    return union_all(*(select(part.subquery()) for part in parts))


def _to_candidates(
    rows: Iterable[tuple[int, int, datetime, str | None, bool, datetime | None]],
    codes: dict[int, str],
    day: date,
    exclude: set[int],
) -> list[Candidate]:
    seen: dict[int, Candidate] = {}
    for ticket_id, service_id, queued_at, priority_class, special, slot_start in rows:
        if ticket_id in seen or ticket_id in exclude or service_id not in codes:
            continue
        seen[ticket_id] = Candidate(
            ticket_id=ticket_id,
            service=codes[service_id],
            issued_at=queued_at,  # the ordering time (see Ticket.queued_at)
            priority_class=priority_class,
            special=bool(special),
            appointment_slot_start=slot_start,
            held=False,
            day=day,
        )
    return list(seen.values())


class QueuedTicket(Protocol):
    """What ranking a ticket in its queue needs: the ORM row, or a ticket just inserted with Core."""

    @property
    def id(self) -> int | None: ...
    @property
    def service_id(self) -> int: ...
    @property
    def service_day(self) -> date: ...
    @property
    def state(self) -> str: ...
    @property
    def target_window_id(self) -> int | None: ...


def position(tx: Tx, ticket: QueuedTicket, service: Service) -> tuple[int | None, int | None]:
    """(position, people ahead) of a waiting ticket, in the call-next order of its queue.

    The queue is the ticket's service as a window serving only it would call it (no interleave history),
    ranked by the same ``domain.ordering.call_order`` call-next uses. None when not waiting.
    """
    if ticket.state != TicketState.WAITING.value:
        return None, None
    target = _T.c.target_window_id
    stmt = _columns().where(
        _T.c.service_id == ticket.service_id,
        _T.c.service_day == ticket.service_day,
        _T.c.state == TicketState.WAITING.value,
        target.is_(None)
        if ticket.target_window_id is None
        else (target.is_(None) | (target == ticket.target_window_id)),
    )
    candidates = _to_candidates(
        tx.session.execute(stmt).all(), {pk(service): service.code}, ticket.service_day, set()
    )
    profile = WindowProfile(
        service_weights={service.code: 1},
        interleave_n=tx.hall.interleave_n if service.interleave_n is None else service.interleave_n,
    )
    order = call_order(candidates, profile, service_policy(tx, [service]), tx.now)
    for index, candidate in enumerate(order):
        if candidate.ticket_id == ticket.id:
            return index + 1, index
    return None, None


def people_ahead_of_new(tx: Tx, ticket: QueuedTicket, service: Service) -> int:
    """People ahead of a ticket just issued (and inserted), for the printed ticket.

    Exact (``position``) while the queue is short; in a long queue the number of everyone else
    waiting, which is what a new ticket faces up to the priority interleave: a conservative figure
    read from ``queue_length`` (kept by triggers) instead of ranking the whole queue at every issue.
    Tickets issued together in one transaction (see ``Tx.memo``) read it once: each next one is one more.
    """
    key = ("waiting", ticket.service_id, ticket.service_day)
    waiting = tx.memo.get(key)
    if waiting is None:
        params = {"service_id": ticket.service_id, "day": ticket.service_day}
        waiting = max(0, int(_WAITING_HERE.scalar(tx.conn, params) or 0) - 1)  # not itself
    tx.memo[key] = waiting + 1  # the next ticket of this queue finds this one waiting too
    if waiting > EXACT_POSITION_LIMIT:
        return int(waiting)
    _position, ahead = position(tx, ticket, service)
    return ahead or 0


def reads_back_new(tx: Tx, service_id: int, day: date) -> bool:
    """Whether ``people_ahead_of_new`` reads the database for the next ticket of this queue in this
    transaction (the queue length, or the exact position among the tickets): if not, that ticket's row
    may be inserted later in the transaction (``tickets.issue`` defers it in a batch)."""
    waiting = tx.memo.get(("waiting", service_id, day))
    return waiting is None or waiting <= EXACT_POSITION_LIMIT


def waiting_counts(conn: Connection, hall_id: int, day: date) -> dict[int, int]:
    """Waiting tickets per service id on ``day`` (from queue_length: one row per service)."""
    rows = _WAITING_COUNTS.rows(conn, {"hall_id": hall_id, "day": day})
    return {int(service_id): int(count) for service_id, count in rows}


def queue_counts(conn: Connection, hall_id: int, day: date) -> dict[tuple[int, str], int]:
    """The day's waiting, called and serving tickets per (service id, state), from queue_length."""
    rows = _QUEUE_COUNTS.rows(conn, {"hall_id": hall_id, "day": day})
    return {(int(service_id), str(state)): int(count) for service_id, state, count in rows}


def serving_windows(conn: Connection, hall_id: int) -> dict[int, int]:
    """Open windows per service id (the parallel servers of the wait estimate)."""
    rows = _SERVING_WINDOWS.rows(conn, {"hall_id": hall_id})
    return {int(service_id): int(count) for service_id, count in rows}


def recent_handling(conn: Connection, hall_id: int, day: date) -> dict[int, list[timedelta]]:
    """Handling times of the latest finished tickets today, per service id (newest first).

    Shared and read-only: kept while the hall's count of tickets done today is unchanged (one key
    lookup in ``queue_length``), since only a finish changes them; the hall state asks after every
    change, and turning 200 rows of timestamps into Python cost more than the rest of the state.
    """
    params = {"hall_id": hall_id, "day": day}
    done = int(_DONE_TODAY.scalar(conn, params) or 0)
    key = (str(conn.engine.url), hall_id, day)
    kept = _RECENT.get(key)
    if kept is not None and kept[0] == done:
        return kept[1]
    samples: dict[int, list[timedelta]] = {}
    for service_id, started, finished in _RECENT_HANDLING.rows(conn, params):
        bucket = samples.setdefault(int(service_id), [])
        if finished is not None and len(bucket) < RECENT_HANDLING_SAMPLES:
            bucket.append(finished - started)
    if len(_RECENT) >= _RECENT_LIMIT:
        _RECENT.clear()
    _RECENT[key] = (done, samples)  # one dict store: atomic between threads
    return samples


# recent_handling's kept answers: (database, hall id, day) -> (tickets done that day, samples).
_RECENT: dict[tuple[str, int, date], tuple[int, dict[int, list[timedelta]]]] = {}
_RECENT_LIMIT = 256


def eta_minutes(
    service: Service, people_ahead: int, windows: int, recent: dict[int, list[timedelta]]
) -> int | None:
    """Estimated wait in whole minutes (domain.kpi.estimate_wait); None when no window serves it."""
    wait = kpi.estimate_wait(
        people_ahead, recent.get(pk(service), []), windows, timedelta(seconds=service.default_handling_s)
    )
    return None if wait is None else math.ceil(wait.total_seconds() / 60)


# The statements above, built once: building a SQL expression costs more Python than running it.
_S: Table = SQLModel.metadata.tables[Service.__tablename__]
_W: Table = SQLModel.metadata.tables[Window.__tablename__]
_WS: Table = SQLModel.metadata.tables[WindowService.__tablename__]
_M: Table = SQLModel.metadata.tables[Matter.__tablename__]
_LICENSING_MATTERS = select(_M.c.id).where(_M.c.licensing)
_HALL_SERVICE_IDS = select(_S.c.id).where(_S.c.hall_id == bindparam("hall_id")).scalar_subquery()
_PENDING_STATES = [s.value for s in (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING)]
_QL: Table = SQLModel.metadata.tables[QueueLength.__tablename__]
# The counts come from queue_length (kept by triggers on ticket, migration 0004): key lookups, not a
# count of the queue's index range.
_WAITING_HERE = Prepared(
    select(_QL.c.n).where(
        _QL.c.service_id == bindparam("service_id"),
        _QL.c.service_day == bindparam("day"),
        _QL.c.state == TicketState.WAITING.value,
    )
)
_WAITING_COUNTS = Prepared(
    select(_QL.c.service_id, _QL.c.n).where(
        _QL.c.service_id.in_(_HALL_SERVICE_IDS),
        _QL.c.service_day == bindparam("day"),
        _QL.c.state == TicketState.WAITING.value,
        _QL.c.n > 0,
    )
)
_QUEUE_COUNTS = Prepared(
    select(_QL.c.service_id, _QL.c.state, _QL.c.n).where(
        _QL.c.service_id.in_(_HALL_SERVICE_IDS),
        _QL.c.service_day == bindparam("day"),
        _QL.c.state.in_(_PENDING_STATES),
        _QL.c.n > 0,
    )
)
_SERVING_WINDOWS = Prepared(
    select(_WS.c.service_id, func.count())
    .join(_W, _W.c.id == _WS.c.window_id)
    .where(_W.c.hall_id == bindparam("hall_id"), _W.c.status.in_([s.value for s in OPEN_STATUSES]))
    .group_by(_WS.c.service_id)
)
_DONE_TODAY = Prepared(
    select(func.coalesce(func.sum(_QL.c.n), 0)).where(
        _QL.c.service_id.in_(_HALL_SERVICE_IDS),
        _QL.c.service_day == bindparam("day"),
        _QL.c.state == TicketState.DONE.value,
    )
)
_RECENT_HANDLING = Prepared(
    select(_T.c.service_id, _T.c.started_at, _T.c.finished_at)
    .where(
        _T.c.hall_id == bindparam("hall_id"),
        _T.c.service_day == bindparam("day"),
        _T.c.state == TicketState.DONE.value,
        _T.c.started_at.is_not(None),
    )
    .order_by(_T.c.finished_at.desc())
    .limit(RECENT_HANDLING_ROWS)
)
