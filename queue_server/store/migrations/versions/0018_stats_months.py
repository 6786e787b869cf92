"""statistics month layer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 13:00:00.000000

The month layer of the statistics rollups (``queue_server/stats/months.py``): per rollup a table of
sealed months (``stats_ticket_month`` … ``stats_enquiry_month``), the list of sealed months
(``stats_month``) and the triggers that keep a sealed month's rows equal to the sum of its day rows.
Created here unless they exist already (a fresh database: migration 0006 builds every table and
trigger the descriptions hold), then every month of an existing database that is over is sealed from
its day rows, so that the first year report reads month rows at once. Like 0006, the sealing runs in
the migration's transaction (SQLite holds the write lock; PostgreSQL's migration runs before the
server starts).

Downgrade drops the triggers and empties the tables; the tables stay (migration 0006, built from
today's descriptions, drops them on its way down).
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from queue_server.stats import months
from queue_server.stats.dialect import dialect_of
from queue_server.stats.rollups import ROLLUPS
from queue_server.store.tables.stats import STATS_TABLES

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = (*(months.month_table(rollup) for rollup in ROLLUPS), months.MARKERS)


def upgrade() -> None:
    bind = op.get_bind()
    for name in _TABLES:
        STATS_TABLES[name].create(bind, checkfirst=True)
    if not _has_trigger(bind, f"{ROLLUPS[0].table}_month_insert"):
        for statement in months.trigger_statements(dialect_of(bind.dialect.name)):
            op.execute(statement)
    now = datetime.now(UTC)
    for hall_id, tz in bind.execute(sa.text("SELECT id, tz FROM hall")).all():
        span = months.day_span(bind, hall_id)
        if span is None:
            continue
        today = now.astimezone(ZoneInfo(tz)).date()
        first, last = span
        months.seal_all(
            bind, hall_id, months.complete_months(months.first_of(first), months.last_of(last), today)
        )


def _has_trigger(bind: sa.Connection, name: str) -> bool:
    if bind.dialect.name == "postgresql":
        sql = "SELECT 1 FROM pg_trigger WHERE tgname = :name"
    else:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name"
    return bind.execute(sa.text(sql), {"name": name}).first() is not None


def downgrade() -> None:
    for statement in months.drop_trigger_statements(dialect_of(op.get_bind().dialect.name)):
        op.execute(statement)
    bind = op.get_bind()
    for name in _TABLES:
        bind.execute(STATS_TABLES[name].delete())
