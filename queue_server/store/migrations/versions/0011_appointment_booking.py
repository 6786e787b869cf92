"""appointment booking: a hall's booking rules, capacity per session, reminders

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 08:20:00.000000

The hall file's ``appointment_slots`` has morning, afternoon and rest-day capacities; ``service``
kept one number. ``booking_capacity`` keeps all three (a service without a row keeps its
``appointment_capacity`` per working-day half, as before). ``hall_booking`` holds the ``[booking]``
rules (slot length, per-ID limits, no-show policy, reminder lead time; no row: the defaults).
``appointment_reminder`` records each reminder sent before a slot.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hall_booking",
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("days_ahead", sa.Integer(), nullable=False),
        sa.Column("max_open_per_id", sa.Integer(), nullable=False),
        sa.Column("max_per_id_per_day", sa.Integer(), nullable=False),
        sa.Column("no_show_limit", sa.Integer(), nullable=False),
        sa.Column("no_show_window_days", sa.Integer(), nullable=False),
        sa.Column("no_show_ban_days", sa.Integer(), nullable=False),
        sa.Column("remind_before_min", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_hall_booking_hall_id_hall")),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_hall_booking")),
    )
    op.create_table(
        "booking_capacity",
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("morning", sa.Integer(), nullable=False),
        sa.Column("afternoon", sa.Integer(), nullable=False),
        sa.Column("rest_day", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_booking_capacity_hall_id_hall")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["service.id"], name=op.f("fk_booking_capacity_service_id_service")
        ),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_booking_capacity")),
    )
    op.create_index(op.f("ix_booking_capacity_hall_id"), "booking_capacity", ["hall_id"], unique=False)
    op.create_table(
        "appointment_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("phone_masked", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_reminder_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(["hall_id"], ["hall.id"], name=op.f("fk_appointment_reminder_hall_id_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_reminder")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_appointment_reminder_appointment_id")),
    )
    op.create_index(
        op.f("ix_appointment_reminder_hall_id"), "appointment_reminder", ["hall_id"], unique=False
    )
    op.create_index(
        "ix_appointment_hall_slot", "appointment", ["hall_id", "slot_start", "service_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_appointment_hall_slot", table_name="appointment")
    op.drop_index(op.f("ix_appointment_reminder_hall_id"), table_name="appointment_reminder")
    op.drop_table("appointment_reminder")
    op.drop_index(op.f("ix_booking_capacity_hall_id"), table_name="booking_capacity")
    op.drop_table("booking_capacity")
    op.drop_table("hall_booking")
