"""statistics: the call_slot rows of stats_ticket read through an index of their own

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08 01:40:00.000000

Every report counts the tickets first called after their day's closing time from the ``call_slot``
rows of ``stats_ticket`` (``stats/query.py`` ``calls_after``). PostgreSQL answered it with a scan of the
whole table (a year of a large hall: 53 k wide rows, ~25 ms per report); ``ix_stats_ticket_call_slot``
holds only those rows, by hall, day and slot, with their visits (PostgreSQL: an index-only scan, ~2 ms).
Index-only change: SQLite keeps the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = "dim = 'call_slot'"


def upgrade() -> None:
    # A database created since has it already: 0006 builds the rollup tables from today's metadata.
    op.create_index(
        "ix_stats_ticket_call_slot",
        "stats_ticket",
        ["hall_id", "service_day", "dim_key"],
        unique=False,
        sqlite_where=sa.text(_WHERE),
        postgresql_where=sa.text(_WHERE),
        postgresql_include=["visits"],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_stats_ticket_call_slot", table_name="stats_ticket")
