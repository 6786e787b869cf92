"""statistics rollups: tables, the triggers that keep them, and their first filling

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:00:00.000000

The statistics read rollups instead of every ticket (a year of a large hall took 127 s and 3.3 GB
when the report loaded each ticket row). The tables, their triggers and their SQL are built from the
rollup descriptions of ``queue_server/stats/rollups.py``; a later change to those descriptions comes
with a migration of its own that drops and re-creates the triggers and rebuilds the tables.

The existing rows are summed here, before the triggers exist, in the migration's transaction: nothing
else changes the source tables meanwhile (SQLite holds the write lock; PostgreSQL's migration runs
before the server starts).
"""

from collections.abc import Sequence

from alembic import op

from queue_server.stats.dialect import dialect_of
from queue_server.stats.rebuild import fill_all
from queue_server.stats.triggers import create_statements, drop_statements
from queue_server.store.tables.stats import STATS_TABLES, STATS_ZONE

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    d = dialect_of(bind.dialect.name)
    STATS_ZONE.create(bind)
    for table in STATS_TABLES.values():
        table.create(bind)
    fill_all(bind)
    for statement in create_statements(d):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    for statement in drop_statements(dialect_of(bind.dialect.name)):
        op.execute(statement)
    for table in reversed(list(STATS_TABLES.values())):
        table.drop(bind)
    STATS_ZONE.drop(bind)
