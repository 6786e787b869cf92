"""hall leases with fencing

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 13:00:00.000000

``hall_lease``: one row per hall, the server instance that serves it, its fencing token (``epoch``)
and when the holding lapses; ``cluster_member``: each running instance's heartbeat. Both are used
only by the city-hosted topology (``HALLQ_LEASES``, queue_server/cluster/); a hall appliance leaves
them empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hall_lease",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=40), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_hall_lease_hall_id_hall")),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_hall_lease")),
    )
    op.create_table(
        "cluster_member",
        sa.Column("instance", sa.String(length=40), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance", name=op.f("pk_cluster_member")),
    )


def downgrade() -> None:
    op.drop_table("cluster_member")
    op.drop_table("hall_lease")
