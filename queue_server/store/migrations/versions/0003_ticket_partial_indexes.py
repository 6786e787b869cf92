"""ticket: partial indexes for the columns most tickets leave empty

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 21:30:00.000000

Every index a new ticket enters is work at every issue. A ticket issued at a kiosk has no appointment
slot, no target window, usually no ID hash, no window and no parent yet; these indexes now hold only
the tickets that have one (their queries all compare the column to a value, or ask IS NOT NULL).
Index-only changes: SQLite keeps the table (no batch copy).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name, columns, the condition of the partial index
PARTIAL: list[tuple[str, list[str], str]] = [
    (
        "ix_ticket_slot",
        ["service_id", "service_day", "state", "appointment_slot_start"],
        "appointment_slot_start IS NOT NULL",
    ),
    ("ix_ticket_target", ["target_window_id", "state", "queued_at"], "target_window_id IS NOT NULL"),
    ("ix_ticket_id_hash", ["service_id", "service_day", "id_hash"], "id_hash IS NOT NULL"),
    ("ix_ticket_parent_ticket_id", ["parent_ticket_id"], "parent_ticket_id IS NOT NULL"),
    ("ix_ticket_window_day", ["window_id", "service_day"], "window_id IS NOT NULL"),
]


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name, columns, condition in PARTIAL:
            batch_op.drop_index(name)
            batch_op.create_index(
                name,
                columns,
                unique=False,
                sqlite_where=sa.text(condition),
                postgresql_where=sa.text(condition),
            )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        for name, columns, _condition in PARTIAL:
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
