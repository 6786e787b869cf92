"""PostgreSQL write path

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00.000000

PostgreSQL only: the ticket rollup's triggers re-created so that a fresh ticket's insert is added to
``stats_ticket`` once per transaction, at commit, rather than by an upsert per ticket
(``queue_server/stats/fold.py``). The rollup's rows are unchanged: the same sums, only written once
per transaction; nothing is refilled. A database created at this revision already has them (migration
0006 builds today's triggers): dropping and creating again is harmless. SQLite keeps its row triggers.
"""

from collections.abc import Sequence

from alembic import op

from queue_server.stats.dialect import dialect_of
from queue_server.stats.fold import drop_fold_statements
from queue_server.stats.rollups import TICKETS
from queue_server.stats.triggers import rollup_statements

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(*, fold: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Pending contributions are folded by the trigger being dropped: none is pending in this transaction.
    op.execute(f"DROP FUNCTION IF EXISTS {TICKETS.table}_apply() CASCADE")
    for statement in drop_fold_statements(TICKETS):
        op.execute(statement)
    for statement in rollup_statements(TICKETS, dialect_of(bind.dialect.name), fold=fold):
        op.execute(statement)


def upgrade() -> None:
    _recreate(fold=True)


def downgrade() -> None:
    _recreate(fold=False)
