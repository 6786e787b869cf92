"""Idle time with people waiting (空闲有人等候): per window and person, the milliseconds a window was
open and idle (signed in, not calling, not serving, not paused) while at least one ticket it could
serve was waiting.

"Could serve" is the supervision monitor's (``services/supervision/snapshot.py``): a ticket of the
day in state ``waiting`` (not held) of a service the window serves (``window_service``). The figure
is exact: it is replayed from the event log, which every state change of a window or ticket appends
to in the transaction of the change (``Tx.event``), in the order of the events' times:

- a window's status follows its events: ``window_open``, ``resume_window``, ``finish``, ``no_show``,
  ``transfer`` and ``hold`` (from a window) leave it idle; ``call_next``, ``call_specific``, ``recall``
  calling; ``start`` serving; ``pause`` paused; ``window_close`` and ``sign_out`` closed. The person is
  the event's ``staff_id`` (the window's person at the time);
- a ticket waits from ``issue``, ``transferred_in`` (the continuation), ``resume`` (of a held ticket)
  and a requeued ``no_show``, until a call, ``hold``, ``void`` or a final ``no_show``.

A day is replayed from its hall-local midnight with every window closed and nothing waiting (tickets
belong to their service day; a window still open at midnight counts from its first event of the new
day), up to the next midnight, or up to now for the current day. Closed days are stored in
``stats_idle`` (one row per day, window and person) with a row in ``stats_idle_day`` saying the day is
done; ``hallq stats rebuild`` and migration 0016 fill them, and a report replays any day not stored
yet (always the current day, which is never stored). The windows' services are read as they are now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, delete, insert, select, text
from sqlalchemy.sql.elements import TextClause
from sqlmodel import SQLModel

from queue_server.store.tables import Event, Ticket
from queue_server.store.tables.stats import STATS_IDLE, STATS_IDLE_DAY

IDLE, BUSY, PAUSED, CLOSED = "idle", "busy", "paused", "closed"
# The status a window is in after each event that changes it.
WINDOW_AFTER: Mapping[str, str] = {
    "window_open": IDLE,
    "resume_window": IDLE,
    "finish": IDLE,
    "no_show": IDLE,
    "transfer": IDLE,
    "hold": IDLE,  # only from a window (a waiting ticket held has no window)
    "call_next": BUSY,
    "call_specific": BUSY,
    "recall": BUSY,
    "start": BUSY,
    "pause": PAUSED,
    "window_close": CLOSED,
    "sign_out": CLOSED,
}
STARTS_WAITING = frozenset({"issue", "transferred_in", "resume"})
STOPS_WAITING = frozenset({"call_next", "call_specific", "hold", "void"})
KINDS: tuple[str, ...] = tuple(sorted({*WINDOW_AFTER, *STARTS_WAITING, *STOPS_WAITING}))

Key = tuple[int, int]  # (window id, staff id; 0: nobody)


@dataclass(frozen=True)
class Happening:
    """One event as the replay reads it: ``service`` of its ticket when that ticket is of the day."""

    ts: datetime
    kind: str
    window: int | None
    staff: int | None
    ticket: int | None
    service: int | None
    requeued: bool = False


@dataclass
class _Window:
    status: str = CLOSED
    staff: int = 0
    since: datetime | None = None  # accruing since (idle with somebody waiting)


class _Replay:
    def __init__(self, serves: Mapping[int, frozenset[int]]) -> None:
        self.serves = serves
        self.served_by: dict[int, list[int]] = defaultdict(list)
        for window, services in serves.items():
            for service in services:
                self.served_by[service].append(window)
        self.windows: dict[int, _Window] = defaultdict(_Window)
        self.waiting: dict[int, int] = {}  # ticket -> service
        self.per_service: dict[int, int] = defaultdict(int)
        self.out: dict[Key, int] = defaultdict(int)
        self.moved: set[int] = set()  # the windows some event set the status of

    def _someone_waits(self, window: int) -> bool:
        return any(self.per_service[s] > 0 for s in self.serves.get(window, ()))

    def _settle(self, window: int, now: datetime) -> None:
        w = self.windows[window]
        accruing = w.status == IDLE and self._someone_waits(window)
        if accruing and w.since is None:
            w.since = now
        elif not accruing and w.since is not None:
            self._close(window, w, now)

    def _close(self, window: int, w: _Window, now: datetime) -> None:
        if w.since is not None:
            self.out[window, w.staff] += round((now - w.since).total_seconds() * 1000)
            w.since = None

    def _ticket(self, e: Happening) -> bool:
        """Moves the ticket in or out of the waiting; whether a service's count changed."""
        if e.ticket is None or e.service is None:
            return False
        starts = e.kind in STARTS_WAITING or (e.kind == "no_show" and e.requeued)
        if starts and e.ticket not in self.waiting:
            self.waiting[e.ticket] = e.service
            self.per_service[e.service] += 1
            return True
        if (e.kind in STOPS_WAITING or e.kind == "no_show") and not starts and e.ticket in self.waiting:
            self.per_service[self.waiting.pop(e.ticket)] -= 1
            return True
        return False

    def apply(self, e: Happening) -> None:
        touched: set[int] = set()
        if self._ticket(e) and e.service is not None:
            touched.update(self.served_by.get(e.service, ()))
        status = WINDOW_AFTER.get(e.kind)
        if e.window is not None and status is not None:
            w = self.windows[e.window]
            staff = e.staff or 0
            if staff != w.staff and w.since is not None:
                self._close(e.window, w, e.ts)  # another person from here on
            w.status, w.staff = status, staff
            self.moved.add(e.window)
            touched.add(e.window)
        for window in touched:
            self._settle(window, e.ts)

    def end(self, at: datetime) -> dict[Key, int]:
        for window, w in self.windows.items():
            self._close(window, w, at)
        return {key: ms for key, ms in self.out.items() if ms > 0}


def replay(
    happenings: Iterable[Happening], serves: Mapping[int, frozenset[int]], end: datetime
) -> dict[Key, int]:
    """Idle-with-people-waiting ms per (window, staff) of events in time order, counted up to ``end``."""
    state = _Replay(serves)
    for e in happenings:
        if e.ts >= end:
            break
        state.apply(e)
    return state.end(end)


def final_state(
    happenings: Iterable[Happening], serves: Mapping[int, frozenset[int]]
) -> tuple[dict[int, str], set[int]]:
    """Where the replay leaves the windows (status per window id) and the waiting tickets' ids: what
    the hall's rows must show when the day's events are all in (a test of the kind tables above)."""
    state = _Replay(serves)
    for e in happenings:
        state.apply(e)
    return {w: state.windows[w].status for w in state.moved}, set(state.waiting)


# --- reading the day and storing it -----------------------------------------------------------------

_E = SQLModel.metadata.tables[Event.__tablename__]
_T = SQLModel.metadata.tables[Ticket.__tablename__]


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone)


def window_services(conn: Connection, hall_id: int) -> dict[int, frozenset[int]]:
    rows = conn.execute(
        text(
            "SELECT ws.window_id, ws.service_id FROM window_service ws "
            'JOIN "window" w ON w.id = ws.window_id WHERE w.hall_id = :hall'
        ),
        {"hall": hall_id},
    ).all()
    serves: dict[int, set[int]] = defaultdict(set)
    for window, service in rows:
        serves[int(window)].add(int(service))
    return {w: frozenset(s) for w, s in serves.items()}


def happenings_by_day(
    conn: Connection, hall_id: int, first: date, last: date, zone: ZoneInfo
) -> dict[date, list[Happening]]:
    """The events the replay reads of days ``first``..``last``, per hall-local day, in time order (ties
    in the order they were written); one read for the whole run of days. A ticket's service is kept
    only for the tickets of the event's own day."""
    start, _ = day_bounds(first, zone)
    _, stop = day_bounds(last, zone)
    rows = conn.execute(
        select(
            _E.c.ts,
            _E.c.kind,
            _E.c.window_id,
            _E.c.staff_id,
            _E.c.ticket_id,
            _E.c.data,
            _T.c.service_id,
            _T.c.service_day,
        )
        .select_from(_E.outerjoin(_T, _T.c.id == _E.c.ticket_id))
        .where(_E.c.hall_id == hall_id, _E.c.ts >= start, _E.c.ts < stop, _E.c.kind.in_(KINDS))
        .order_by(_E.c.ts, _E.c.id)
    ).all()
    out: dict[date, list[Happening]] = defaultdict(list)
    for ts, kind, window, staff, ticket, data, service, service_day in rows:
        day = ts.astimezone(zone).date()
        of_the_day = service_day is not None and _as_date(service_day) == day
        out[day].append(
            Happening(
                ts=ts,
                kind=kind,
                window=window,
                staff=staff,
                ticket=ticket,
                service=service if of_the_day else None,
                requeued=kind == "no_show" and bool((data or {}).get("requeued")),
            )
        )
    return out


def happenings(conn: Connection, hall_id: int, day: date, zone: ZoneInfo) -> list[Happening]:
    """One day's events the replay reads, in time order."""
    return happenings_by_day(conn, hall_id, day, day, zone).get(day, [])


def compute_days(
    conn: Connection,
    hall_id: int,
    days: Sequence[date],
    zone: ZoneInfo,
    now: datetime,
    serves: Mapping[int, frozenset[int]],
) -> dict[date, dict[Key, int]]:
    """The figures of each of ``days`` (each up to its end, or up to ``now`` while it runs), reading
    the events of each run of consecutive days at once."""
    out: dict[date, dict[Key, int]] = {}
    for run in _runs(sorted(days)):
        events = happenings_by_day(conn, hall_id, run[0], run[-1], zone)
        for day in run:
            _start, stop = day_bounds(day, zone)
            happened = events.get(day)
            out[day] = {} if not happened else replay(happened, serves, min(stop, now))
    return out


RUN_DAYS = 31  # the longest run of days read at once: a month of a large hall's events in memory


def _runs(days: Sequence[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in days:
        if runs and runs[-1][-1] + timedelta(days=1) == day and len(runs[-1]) < RUN_DAYS:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def stored_days(conn: Connection, hall_ids: Sequence[int], first: date, last: date) -> set[tuple[int, date]]:
    statement = select(STATS_IDLE_DAY.c.hall_id, STATS_IDLE_DAY.c.day).where(
        STATS_IDLE_DAY.c.hall_id.in_(bindparam("halls", expanding=True)),
        STATS_IDLE_DAY.c.day.between(first, last),
    )
    return {(int(h), _as_date(d)) for h, d in conn.execute(statement, {"halls": list(hall_ids)}).all()}


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def store_day(conn: Connection, hall_id: int, day: date, figures: Mapping[Key, int]) -> None:
    """Replace the day's stored figures and mark it done (in the caller's transaction)."""
    conn.execute(delete(STATS_IDLE).where(STATS_IDLE.c.hall_id == hall_id, STATS_IDLE.c.day == day))
    conn.execute(
        delete(STATS_IDLE_DAY).where(STATS_IDLE_DAY.c.hall_id == hall_id, STATS_IDLE_DAY.c.day == day)
    )
    if figures:
        conn.execute(
            insert(STATS_IDLE),
            [
                {"hall_id": hall_id, "day": day, "window_id": w, "staff_id": s, "idle_waiting_ms": ms}
                for (w, s), ms in figures.items()
            ],
        )
    conn.execute(insert(STATS_IDLE_DAY).values(hall_id=hall_id, day=day))


def fill(conn: Connection, hall_id: int, tz: str, first: date, last: date, now: datetime) -> int:
    """Store every day of ``first``..``last`` that is over (before the hall's current day); returns
    how many. The caller holds the transaction (rebuild: the chunk's; migration 0016: its own)."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    days = [first + timedelta(days=i) for i in range((min(last, today - timedelta(days=1)) - first).days + 1)]
    if not days:
        return 0
    for day, figures in compute_days(conn, hall_id, days, zone, now, window_services(conn, hall_id)).items():
        store_day(conn, hall_id, day, figures)
    return len(days)


# --- what a report reads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IdleRow:
    hall_id: int
    day: date
    window_id: int
    staff_id: int
    ms: int


_COLUMNS = ("day", "window_id", "staff_id", "hall_id")


def _stored_rows(
    conn: Connection, hall_ids: Sequence[int], first: date, last: date, by: str | None
) -> list[IdleRow]:
    """The stored days' figures summed in SQL by one column (``by``: day, window_id, staff_id or
    hall_id; None: all together); the other fields of each row are 0 (``first`` for the day)."""
    if by is not None and by not in _COLUMNS:
        raise ValueError(f"idle time is not kept by {by}")
    column = by or "0"
    tail = f" GROUP BY {by}" if by else ""
    sql = (
        f"SELECT {column} AS g, SUM(idle_waiting_ms) AS ms FROM stats_idle "
        f"WHERE hall_id IN :halls AND day BETWEEN :lo AND :hi{tail}"
    )
    statement: TextClause = text(sql).bindparams(bindparam("halls", expanding=True))
    out = []
    for value, ms in conn.execute(statement, {"halls": list(hall_ids), "lo": first, "hi": last}).all():
        if ms is None:
            continue
        fields: dict[str, Any] = {"hall_id": 0, "day": first, "window_id": 0, "staff_id": 0}
        if by is not None:
            fields[by] = _as_date(value) if by == "day" else int(value)
        out.append(
            IdleRow(fields["hall_id"], fields["day"], fields["window_id"], fields["staff_id"], int(ms))
        )
    return out


def rows(
    conn: Connection,
    halls: Mapping[int, ZoneInfo],
    first: date,
    last: date,
    now: datetime,
    by: str | None = None,
) -> list[IdleRow]:
    """The figures of the range: the stored days summed by ``by`` (see ``_stored_rows``), the others
    (the current day, a day not stored yet) replayed now, one row per hall, day, window and staff."""
    out = _stored_rows(conn, list(halls), first, last, by)
    done = stored_days(conn, list(halls), first, last)
    for hall_id, zone in halls.items():
        today = now.astimezone(zone).date()
        span = (min(last, today) - first).days + 1
        missing = [d for d in (first + timedelta(days=i) for i in range(span)) if (hall_id, d) not in done]
        if not missing:
            continue
        computed = compute_days(conn, hall_id, missing, zone, now, window_services(conn, hall_id))
        for day, figures in computed.items():
            out.extend(IdleRow(hall_id, day, w, s, ms) for (w, s), ms in figures.items())
    return out
