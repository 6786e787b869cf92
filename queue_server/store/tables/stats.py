"""The statistics rollups (``queue_server/stats/``): one table per rollup, built from its description.

Each table's primary key is the rollup's key (hall first); every measure is a sum, 0 by default.
``stats_zone`` holds each hall's UTC offset for the SQLite triggers (``stats/dialect.py``): it is
written whenever a hall row is inserted or updated through the ORM.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, event, insert, text, update
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from queue_server.stats.months import MARKERS, month_keys, month_table
from queue_server.stats.rollups import ROLLUPS, TICKETS, Rollup
from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.tables.catalog import Hall

_TYPES: dict[str, Any] = {"int": Integer, "text": lambda: String(64), "date": Date}


def _table(rollup: Rollup) -> Table:
    keys = [Column(name, _TYPES[kind](), primary_key=True) for name, kind, _expr in rollup.keys]
    # Counts as INTEGER: PostgreSQL sums those in a 64-bit integer, but a BIGINT column in NUMERIC (a
    # year's report sums ~90 columns over thousands of rows). Milliseconds (``*_ms``) need BIGINT.
    measures = [
        Column(name, BigInteger() if name.endswith("_ms") else Integer(), nullable=False, server_default="0")
        for name in rollup.measure_names
    ]
    return Table(rollup.table, SQLModel.metadata, *keys, *measures)


STATS_TABLES: dict[str, Table] = {rollup.table: _table(rollup) for rollup in ROLLUPS}

# A report's extended-hours tickets (``stats/query.py`` ``calls_after``) read the ``call_slot`` rows of
# the days with a given closing time. Under the primary key (hall, dim, day, slot) PostgreSQL scanned
# the whole table for it, wide rows of ~90 sums (a year of a large hall: ~25 ms in every report, a third
# of a year report's database time). This index holds only those rows, by day, with their ``visits``
# (PostgreSQL: an index-only scan, ~2 ms; SQLite seeks the primary key already). An update of a
# ``call_slot`` row's visits now writes an index entry too: one row of the seven a call changes.
CALL_SLOT_WHERE = "dim = 'call_slot'"
_tickets = STATS_TABLES[TICKETS.table]
Index(
    "ix_stats_ticket_call_slot",
    _tickets.c.hall_id,
    _tickets.c.service_day,
    _tickets.c.dim_key,
    sqlite_where=text(CALL_SLOT_WHERE),
    postgresql_where=text(CALL_SLOT_WHERE),
    postgresql_include=["visits"],
)


def _month_table(rollup: Rollup) -> Table:
    keys = [Column(name, _TYPES[kind](), primary_key=True) for name, kind in month_keys(rollup)]
    measures = [
        Column(name, BigInteger() if name.endswith("_ms") else Integer(), nullable=False, server_default="0")
        for name in rollup.measure_names
    ]
    return Table(month_table(rollup), SQLModel.metadata, *keys, *measures)


# The month layer (``stats/months.py``): each rollup's sealed months, and which months are sealed.
STATS_TABLES.update({month_table(rollup): _month_table(rollup) for rollup in ROLLUPS})
STATS_TABLES[MARKERS] = Table(
    MARKERS,
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("month", Date(), primary_key=True),
    Column("rollup", String(64), primary_key=True),
)

STATS_ZONE = Table(
    "stats_zone",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("utc_offset_s", Integer(), nullable=False),
)


def utc_offset_s(tz: str) -> int:
    """The zone's offset from UTC now, in seconds (constant for the zones of China)."""
    offset = datetime.now(UTC).astimezone(ZoneInfo(tz)).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def record_zone(conn: Connection, hall_id: int, tz: str) -> None:
    """Keep ``stats_zone`` in step with a hall's zone (its row replaced)."""
    offset = utc_offset_s(tz)
    if conn.execute(
        update(STATS_ZONE).where(STATS_ZONE.c.hall_id == hall_id).values(utc_offset_s=offset)
    ).rowcount:
        return
    conn.execute(insert(STATS_ZONE).values(hall_id=hall_id, utc_offset_s=offset))


@event.listens_for(Hall, "after_insert")
@event.listens_for(Hall, "after_update")
def _hall_written(_mapper: Any, connection: Connection, hall: Hall) -> None:
    if hall.id is not None:
        record_zone(connection, hall.id, hall.tz)


# Idle time with people waiting (``stats/idle.py``): replayed from the event log, stored per closed day.
STATS_IDLE = Table(
    "stats_idle",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("window_id", Integer(), primary_key=True),
    Column("staff_id", Integer(), primary_key=True),
    Column("idle_waiting_ms", BigInteger(), nullable=False, server_default="0"),
)
# The days of ``stats_idle`` that are stored (a day with no idle time has no row there, but one here).
STATS_IDLE_DAY = Table(
    "stats_idle_day",
    SQLModel.metadata,
    Column("hall_id", Integer(), primary_key=True),
    Column("day", Date(), primary_key=True),
)
