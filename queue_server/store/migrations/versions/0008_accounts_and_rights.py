"""accounts: token versions (revocation), forced password change, the windows a person may sign in to

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 08:00:00.000000

One new table beside ``staff``; a person without a row has the defaults (token version 0, no change
forced, any window), which is what every existing account means, so nothing is back-filled.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_account",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_staff_account_hall_id_hall")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_account_staff_id_staff")),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_account")),
    )
    op.create_index(op.f("ix_staff_account_hall_id"), "staff_account", ["hall_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_account_hall_id"), table_name="staff_account")
    op.drop_table("staff_account")
