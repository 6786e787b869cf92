"""hall policies (per-ID limit, priority ages, no-show, check-in, lunch duty, delegation)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00.000000

The hall file's ``[policies]`` (halls/policies.py) is stored on the ``hall`` row: the per-ID limit,
elderly age, no-show policy and check-in window already had columns (until now only their defaults);
the granted priority classes (NULL: every class), lunch-time duty (午间不休) and the delegations
(充分授权) are new. ``staff.department_id`` keeps the person's department (NULL: any window); no
foreign key, since SQLite adds one only by copying ``staff``, which other tables reference.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LISTS = ("lunch_windows", "lunch_services", "delegations")


def upgrade() -> None:
    op.add_column("hall", sa.Column("priority_classes", sa.JSON(), nullable=True))
    for name in _LISTS:
        op.add_column("hall", sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.add_column("staff", sa.Column("department_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("staff", "department_id")
    for name in reversed(_LISTS):
        op.drop_column("hall", name)
    op.drop_column("hall", "priority_classes")
