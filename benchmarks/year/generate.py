"""Generate one year of the large hall into a database: ``python -m benchmarks.year.generate --db URL``.

The full size is 300 service days (the working days and the Saturdays of weekend service before
``--end``, newest first) at about 7,000 tickets a working day and 40 % of that on a Saturday: over
two million tickets with their calls, events, appointments, ratings, rectifications, cases, pauses
and window shifts. ``--quick`` makes 20 days of 300. Deterministic: the same seed, scale and end day
give the same rows (each day draws from its own generator seeded by the seed and the day). The rows
are made in a child process (``produce.py``) while this one writes the previous chunk of days, one
transaction each (``write.py``), with a progress line per chunk on stderr.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel, col

from benchmarks.year.hall import YEAR_HALL, HallInfo, load_year_hall
from benchmarks.year.produce import Job, Produced
from benchmarks.year.rows import COLUMNS, COUNTER_COLUMNS, TABLE_ORDER, Ids
from benchmarks.year.write import insert_small, writer_for
from queue_server.store import init_db
from queue_server.store.tables import Ticket


@dataclass(frozen=True)
class Scale:
    days: int
    per_day: int  # tickets on an average working day, before transfers
    chunk_days: int  # days per transaction


FULL = Scale(days=300, per_day=7_000, chunk_days=5)
QUICK = Scale(days=20, per_day=300, chunk_days=7)
SATURDAY_SHARE = 0.4
# Busier on Mondays, quieter on Fridays (the shape halls report).
_WEEKDAY = (1.12, 1.04, 1.0, 0.97, 0.90)
SEED = 20261207


@dataclass(frozen=True)
class Generated:
    tickets: int
    rows: int
    days: int
    first_day: date
    last_day: date
    seconds: float


def service_days(hall: HallInfo, last: date, count: int) -> list[date]:
    """``count`` service days up to ``last``, oldest first: working days, and rest-day Saturdays (the
    weekend service)."""
    days: list[date] = []
    day = last
    while len(days) < count:
        if hall.calendar.is_working_day(day) or day.weekday() == 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def volume(day: date, rest: bool, per_day: int, rng: random.Random) -> int:
    # A weekend make-up working day (调休) is as busy as a mid-week day.
    shape = SATURDAY_SHARE if rest else (_WEEKDAY[day.weekday()] if day.weekday() < 5 else 1.0)
    base = per_day * shape
    season = 1.0 + 0.08 * ((day.month in (3, 4, 9, 10)) - (day.month in (1, 2, 8)))
    return max(1, round(base * season * rng.uniform(0.95, 1.05)))


def generate(
    engine: Engine,
    scale: Scale,
    *,
    seed: int = SEED,
    last_day: date | None = None,
    code: str = YEAR_HALL,
    progress: Callable[[str], None] | None = None,
) -> Generated:
    """Load the year hall into ``engine``'s database and write ``scale`` of its history (it must have
    none yet). The rollups of the written days are left to ``hallq stats rebuild`` (write.py)."""
    t0 = time.perf_counter()
    hall = load_year_hall(engine, code)
    now = datetime.now(UTC).replace(tzinfo=None)
    last = last_day or (datetime.now(ZoneInfo(hall.tz)).date() - timedelta(days=1))
    days = service_days(hall, last, scale.days)
    ids = _ids(engine, hall)
    citizens = _citizens(seed, 200_000 if scale is FULL else 5_000)
    booked = min(1.0, scale.per_day / FULL.per_day)
    chunks = list(_chunks(days, scale.chunk_days))
    job = Job(hall, chunks, ids, citizens, seed, scale.per_day, booked, now, volume)
    tickets = rows = 0
    with Produced(job) as produced, writer_for(engine) as writer:
        for chunk, tables in zip(chunks, produced.chunks(), strict=True):
            writer.write_chunk({t: (COLUMNS[t], tables[t]) for t in TABLE_ORDER})
            tickets += len(tables["ticket"])
            rows += sum(len(r) for r in tables.values())
            if progress is not None:
                done = days.index(chunk[-1]) + 1
                took = time.perf_counter() - t0
                progress(f"year: {done}/{len(days)} days, {tickets:,} tickets, {rows:,} rows, {took:.0f} s")
        if progress is not None:
            progress("year: creating the indexes and the rollup triggers again")
        writer.finish(TABLE_ORDER)
    for table, counter in produced.counters.items():
        insert_small(engine, table, COUNTER_COLUMNS[table], counter)
    return Generated(tickets, rows, len(days), days[0], days[-1], time.perf_counter() - t0)


def _chunks(days: list[date], size: int) -> Iterator[list[date]]:
    for i in range(0, len(days), size):
        yield days[i : i + size]


def _citizens(seed: int, count: int) -> list[str]:
    """ID-number hashes of people who come back over the year (hex, as the kiosk's keyed hash is)."""
    rng = random.Random(seed)
    return [f"{rng.getrandbits(128):032x}" for _ in range(count)]


def _ids(engine: Engine, hall: HallInfo) -> Ids:
    """The next free id of each table; refuses a hall that already has tickets."""
    with engine.connect() as conn:
        if conn.execute(
            select(func.count()).select_from(Ticket).where(col(Ticket.hall_id) == hall.id)
        ).scalar_one():
            raise RuntimeError(f"hall {hall.code!r} already has tickets: generate into a fresh database")
        top: dict[str, int] = {}
        for table in COLUMNS:
            column: Any = SQLModel.metadata.tables[table].c.id
            top[table] = (conn.execute(select(func.max(column))).scalar_one() or 0) + 1
    return Ids(next=top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.year.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--db", required=True, help="database URL (migrated here if it is not)")
    parser.add_argument("--quick", action="store_true", help="20 days of 300 tickets (CI)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--end", type=date.fromisoformat, help="the last service day (default: yesterday)")
    parser.add_argument("--hall", default=YEAR_HALL)
    args = parser.parse_args(argv)
    engine = init_db(args.db)
    try:
        done = generate(
            engine, QUICK if args.quick else FULL, seed=args.seed, last_day=args.end, code=args.hall,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
        )  # fmt: skip
    finally:
        engine.dispose()
    span = f"{done.days} days {done.first_day}..{done.last_day}"
    print(f"{done.tickets} tickets, {done.rows} rows, {span}, {done.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
