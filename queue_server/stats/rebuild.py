"""Recompute the rollups from the source rows (``hallq stats rebuild``; migration 0006's first filling),
and the idle time with people waiting of the days that are over (``stats/idle.py``).

All in SQL (one INSERT … SELECT … GROUP BY per rollup and chunk), never the rows in Python: the
ticket rollup a calendar month at a time, each in a transaction of its own, so progress shows and the
server's writes wait at most one month's work. On PostgreSQL each chunk first takes SHARE locks on the
source tables, so no change can slip between the chunk's DELETE and its INSERT (its trigger's delta
would be lost or counted twice); on SQLite the write lock held from ``BEGIN IMMEDIATE`` does the same.
The chunk's month is unsealed first (``stats/months.py``: its month rows need not follow the rewrite)
and, when it is over, sealed again from the new day rows in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Date, Engine, bindparam, text
from sqlalchemy.sql.elements import TextClause

from queue_server.stats import idle, months
from queue_server.stats.dialect import Dialect, dialect_of
from queue_server.stats.rollups import ROLLUPS, Rollup
from queue_server.stats.sql import table_source, upsert
from queue_server.stats.staged import rebuild_dims, stage_statement
from queue_server.store.tables.stats import record_zone
from queue_server.store.types import UTCDateTime

_EVER = (date(1900, 1, 1), date(9990, 12, 31))
# Local days never lie more than this far from their UTC dates (UTC-12 .. UTC+14).
_ZONE_MARGIN = timedelta(days=2)

Progress = Callable[["Step"], None]


@dataclass(frozen=True)
class Step:
    """One chunk done: which hall, which days, how far along."""

    hall: str
    first: date
    last: date
    done: int
    total: int
    seconds: float


_TYPES: dict[str, Any] = {"day_lo": Date(), "day_hi": Date(), "ts_lo": UTCDateTime(), "ts_hi": UTCDateTime()}


def _statement(sql: str) -> TextClause:
    return text(sql).bindparams(
        *(bindparam(name, type_=t) for name, t in _TYPES.items() if f":{name}" in sql)
    )


def _params(hall_id: int, first: date, last: date) -> dict[str, object]:
    return {
        "hall_id": hall_id,
        "day_lo": first,
        "day_hi": last,
        "ts_lo": datetime.combine(first, time(), UTC) - _ZONE_MARGIN,
        "ts_hi": datetime.combine(last, time(), UTC) + timedelta(days=1) + _ZONE_MARGIN,
    }


def rebuild_range(conn: Connection, rollup: Rollup, hall_id: int, first: date, last: date) -> None:
    """Replace the hall's rollup rows of days ``first``..``last`` by sums of the source rows."""
    d = dialect_of(conn.dialect.name)
    params = _params(hall_id, first, last)
    where = f"hall_id = :hall_id AND {rollup.day} BETWEEN :day_lo AND :day_hi"
    conn.execute(
        _statement(f"DELETE FROM {rollup.table} WHERE {where}"),
        params,
    )
    if rollup.dims:
        rebuild_dims(
            conn, rollup, d, _statement(stage_statement(rollup, d)).bindparams(**_used(params, rollup, d))
        )
        return
    conn.execute(_statement(upsert(rollup, d, table_source(rollup, d), day_range=True)), params)


def _used(params: dict[str, object], rollup: Rollup, d: Dialect) -> dict[str, object]:
    sql = stage_statement(rollup, d)
    return {name: value for name, value in params.items() if f":{name}" in sql}


def fill_all(conn: Connection) -> None:
    """Sum every source row of every hall into the empty rollup tables (migration 0006)."""
    for hall_id, tz in conn.execute(text("SELECT id, tz FROM hall")).all():
        record_zone(conn, hall_id, tz)
        for rollup in ROLLUPS:
            rebuild_range(conn, rollup, hall_id, _EVER[0], _EVER[1])


def _extent(conn: Connection, hall_id: int) -> tuple[date | None, date | None]:
    row = conn.execute(
        text("SELECT MIN(service_day), MAX(service_day) FROM ticket WHERE hall_id = :h"),
        {"h": hall_id},
    ).one()
    first, last = row
    return _as_date(first), _as_date(last)


def _as_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


def month_chunks(first: date, last: date) -> Iterator[tuple[date, date]]:
    """``first``..``last`` cut at month ends."""
    start = first
    while start <= last:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(last, next_month - timedelta(days=1))
        yield start, end
        start = end + timedelta(days=1)


_LOCKED = ("ticket", "rating", "case_file", "pause", "window_shift", "appointment", "event")


def rebuild(
    engine: Engine,
    hall: str | None = None,
    first: date | None = None,
    last: date | None = None,
    progress: Progress | None = None,
) -> int:
    """Rebuild the rollups of one hall (or all) over ``first``..``last`` (default: every day that has a
    ticket, with a margin); returns the number of chunks done."""
    with engine.connect() as conn:
        query = "SELECT id, code, tz FROM hall" + (" WHERE code = :code" if hall else "") + " ORDER BY code"
        halls = conn.execute(text(query), {"code": hall} if hall else {}).all()
        extents = {hall_id: _extent(conn, hall_id) for hall_id, _code, _tz in halls}
    done = 0
    plan = []
    for hall_id, code, tz in halls:
        lo, hi = extents[hall_id]
        lo = first if first is not None else (None if lo is None else lo - _ZONE_MARGIN)
        hi = last if last is not None else (None if hi is None else hi + _ZONE_MARGIN)
        if lo is None or hi is None:
            continue
        plan.append((hall_id, code, tz, list(month_chunks(lo, hi))))
    total = sum(len(chunks) for *_, chunks in plan)
    for hall_id, code, tz, chunks in plan:
        for index, (lo, hi) in enumerate(chunks):
            started = perf_counter()
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"LOCK TABLE {', '.join(_LOCKED)} IN SHARE MODE"))
                if index == 0:
                    record_zone(conn, hall_id, tz)
                now = datetime.now(UTC)
                months.unseal(conn, hall_id, lo, hi)
                for rollup in ROLLUPS:
                    rebuild_range(conn, rollup, hall_id, lo, hi)
                month = months.first_of(lo)
                months.seal_all(
                    conn, hall_id, months.complete_months(month, months.last_of(month), _today(now, tz))
                )
                idle.fill(conn, hall_id, tz, lo, hi, now)
            done += 1
            if progress is not None:
                progress(Step(code, lo, hi, done, total, perf_counter() - started))
    if done:
        # Fresh planner statistics: a report's plan must see the rows just written, not wait for autovacuum.
        with engine.begin() as conn:
            for table in (*(rollup.table for rollup in ROLLUPS), "stats_idle", "stats_idle_day"):
                conn.exec_driver_sql(f"ANALYZE {table}")
    return done
