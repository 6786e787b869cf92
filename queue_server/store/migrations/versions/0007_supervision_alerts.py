"""supervision alerts and device status

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 08:00:00.000000

``supervision_alert``: the alerts the running server raises (once per key while the condition holds,
resolved when it clears, acknowledged by a manager with a note); a partial unique index keeps one
unresolved row per hall and key. ``hall_supervision``: the thresholds of the hall file's
``[supervision]`` table. Device status needs no new column: ``device`` already keeps the state, the
boot counter, the last status payload (its ``health.printer`` says the paper) and ``last_seen``.
``ix_event_window`` (partial: events that name a window) lets supervision read a window's newest
visits (its no-show streak) without scanning the hall's day of events.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supervision_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=True),
        sa.Column("service", sa.String(length=3), nullable=True),
        sa.Column("device", sa.String(length=40), nullable=True),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_supervision_alert_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_alert")),
    )
    with op.batch_alter_table("supervision_alert", schema=None) as batch_op:
        batch_op.create_index("ix_supervision_alert_hall_raised", ["hall_id", "raised_at"], unique=False)
        batch_op.create_index(
            "uq_supervision_alert_open",
            ["hall_id", "key"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_window",
            ["window_id", "id"],
            unique=False,
            sqlite_where=sa.text("window_id IS NOT NULL"),
            postgresql_where=sa.text("window_id IS NOT NULL"),
        )
    op.create_table(
        "hall_supervision",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("max_waiting_per_window", sa.Integer(), nullable=False),
        sa.Column("max_pause_min", sa.Integer(), nullable=False),
        sa.Column("pause_limits_min", sa.JSON(), nullable=False),
        sa.Column("case_due_within_working_days", sa.Integer(), nullable=False),
        sa.Column("idle_with_waiting_min", sa.Integer(), nullable=False),
        sa.Column("no_show_streak", sa.Integer(), nullable=False),
        sa.Column("device_offline_after_s", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_hall_supervision_hall_id_hall")),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_hall_supervision")),
    )


def downgrade() -> None:
    op.drop_table("hall_supervision")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index("ix_event_window", sqlite_where=sa.text("window_id IS NOT NULL"))
    with op.batch_alter_table("supervision_alert", schema=None) as batch_op:
        batch_op.drop_index("uq_supervision_alert_open", sqlite_where=sa.text("resolved_at IS NULL"))
        batch_op.drop_index("ix_supervision_alert_hall_raised")
    op.drop_table("supervision_alert")
