"""Tickets and what numbers them: counters, calls, appointments.

Counters are rows bumped by one atomic ``UPDATE … SET value = value + 1 … RETURNING value`` (see
``store.counters``), never "count + 1": docs/design/FIELD-NOTES.md measured 30 distinct numbers for
40 concurrent tickets with count + 1.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field

# Lanes, fixed at issue, name the index ranges call-next reads (the ordering's tiers, minus time).
LANE_SPECIAL = "special"
LANE_MILITARY = "military"
LANE_PRIORITY = "priority"
LANE_NORMAL = "normal"


def _where(predicate: str) -> dict[str, Any]:
    """A partial index's condition, for both databases."""
    return {"sqlite_where": text(predicate), "postgresql_where": text(predicate)}


class Ticket(SQLModel, table=True):
    """One visit's ticket. A transfer makes a child row with the same number (``parent_ticket_id``).

    ``queued_at`` is the time the ordering uses (issue time; reset when a no-show goes back to the
    queue); ``issued_at`` stays the issue time for statistics. ``public_id`` is the protocol's
    ``ticket_id``: random, shown on displays and public topics, and it opens nothing.
    ``citizen_token`` is the secret of the citizen page (the ticket's QR code, the issuing kiosk's
    reply): it never travels on a public topic (docs/security.md).
    """

    __tablename__ = "ticket"
    __table_args__ = (
        # Call-next reads the best few of each lane, of each served service, straight off these.
        Index("ix_ticket_lane", "service_id", "service_day", "state", "lane", "queued_at", "id"),
        Index("ix_ticket_age", "service_id", "service_day", "state", "queued_at", "id"),
        # Partial: most tickets have no slot, target window, ID, window yet or parent, and every index a
        # new ticket enters is work (and WAL pages) at every issue. Their queries all compare the
        # column to a value or ask IS NOT NULL, which lets both databases use a partial index.
        Index(
            "ix_ticket_slot",
            "service_id",
            "service_day",
            "state",
            "appointment_slot_start",
            **_where("appointment_slot_start IS NOT NULL"),
        ),
        Index(
            "ix_ticket_target",
            "target_window_id",
            "state",
            "queued_at",
            **_where("target_window_id IS NOT NULL"),
        ),
        Index("ix_ticket_id_hash", "service_id", "service_day", "id_hash", **_where("id_hash IS NOT NULL")),
        Index("ix_ticket_parent_ticket_id", "parent_ticket_id", **_where("parent_ticket_id IS NOT NULL")),
        # Statistics (hall, days) and the recent handling times (today's done tickets, newest first).
        Index("ix_ticket_hall_day", "hall_id", "service_day", "state", "finished_at"),
        Index("ix_ticket_window_day", "window_id", "service_day", **_where("window_id IS NOT NULL")),
        UniqueConstraint("hall_id", "request_id", name="uq_ticket_request"),
        # A unique index, not a table constraint: SQLite adds it without copying the table (migration
        # 0009; a copy of the ticket table cannot be made with the foreign keys that point at it on).
        Index("uq_ticket_public_id", "public_id", unique=True),
        Index(
            "uq_ticket_number",
            "hall_id",
            "service_day",
            "number",
            unique=True,
            sqlite_where=text("parent_ticket_id IS NULL"),
            postgresql_where=text("parent_ticket_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    service_day: date
    number: str = Field(max_length=16)
    seq: int
    state: str = Field(default="waiting", max_length=16)
    lane: str = Field(default=LANE_NORMAL, max_length=16)
    special: bool = False
    special_reason: str | None = Field(default=None, max_length=200)
    priority_class: str | None = Field(default=None, max_length=32)
    priority_basis: str | None = Field(default=None, max_length=32)
    priority_confirmed: bool | None = None
    id_hash: str | None = Field(default=None, max_length=128)
    phone: str | None = Field(default=None, max_length=20)
    materials: list[str] = json_field(nullable=False, default_factory=list)
    matter_id: int | None = Field(default=None, foreign_key="matter.id")
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")
    appointment_slot_start: datetime | None = utc_field()
    return_for: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    device_id: str | None = Field(default=None, max_length=40)
    citizen_token: str = Field(max_length=64, unique=True)
    public_id: str = Field(max_length=24)
    issued_at: datetime = utc_field(nullable=False)
    queued_at: datetime = utc_field(nullable=False)
    first_called_at: datetime | None = utc_field()
    called_at: datetime | None = utc_field()
    started_at: datetime | None = utc_field()
    finished_at: datetime | None = utc_field()
    window_id: int | None = Field(default=None, foreign_key="window.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    target_window_id: int | None = Field(default=None, foreign_key="window.id")
    recall_count: int = 0
    no_show_count: int = 0
    parent_ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    transferred_from_window_id: int | None = Field(default=None, foreign_key="window.id")
    outcome: str | None = Field(default=None, max_length=32)
    case_number: str | None = Field(default=None, max_length=64)


class TicketCounter(SQLModel, table=True):
    """The last number issued per hall, service and day: a new day is a new row, old rows stay."""

    __tablename__ = "ticket_counter"

    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True)
    day: date = Field(primary_key=True)
    value: int = 0


class QueueLength(SQLModel, table=True):
    """How many tickets of a service and day are in each state, kept by database triggers on ``ticket``
    (migration 0004), in the transaction of the change.

    The hall state and a new ticket's people-ahead read it (a key lookup) instead of counting the
    queue's index range at every change: that count grew with the queue (30 ms at 100 000 waiting).
    """

    __tablename__ = "queue_length"

    service_id: int = Field(foreign_key="service.id", primary_key=True)
    service_day: date = Field(primary_key=True)
    state: str = Field(max_length=16, primary_key=True)
    n: int = 0


class HallSequence(SQLModel, table=True):
    """Hall-wide sequences that never reset: ``calls`` (the seq of call events), ``case:YYYYMMDD``."""

    __tablename__ = "hall_sequence"

    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    name: str = Field(max_length=32, primary_key=True)
    value: int = 0


class SlotCounter(SQLModel, table=True):
    """Appointments booked per service and half-day ("am"/"pm"), bounded by the service's capacity."""

    __tablename__ = "slot_counter"

    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True)
    day: date = Field(primary_key=True)
    half: str = Field(max_length=2, primary_key=True)
    value: int = 0


class Call(SQLModel, table=True):
    """One call or recall as sent on ``…/calls``; ``calls.since`` replays from here."""

    __tablename__ = "call"
    __table_args__ = (UniqueConstraint("hall_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    seq: int
    kind: str = Field(max_length=8)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    window_id: int = Field(foreign_key="window.id")
    number: str = Field(max_length=16)
    window_no: str = Field(max_length=16)
    window_name: str = Field(max_length=100)
    service: str = Field(max_length=3)
    public_id: str = Field(max_length=24)  # the ticket's public id (never its citizen token)
    say: str = Field(max_length=200)
    ts: datetime = utc_field(nullable=False)


class Appointment(SQLModel, table=True):
    """A booked slot; ``ticket_id`` (soft reference) is the ticket its check-in made."""

    __tablename__ = "appointment"
    __table_args__ = (
        UniqueConstraint("hall_id", "code"),
        UniqueConstraint("hall_id", "request_id", name="uq_appointment_request"),
        Index("ix_appointment_id_hash", "hall_id", "id_hash", "slot_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    matter_id: int | None = Field(default=None, foreign_key="matter.id")
    code: str = Field(max_length=16)
    id_hash: str | None = Field(default=None, max_length=128)
    name: str = Field(default="", max_length=64)
    phone: str | None = Field(default=None, max_length=20)
    slot_start: datetime = utc_field(nullable=False)
    slot_end: datetime = utc_field(nullable=False)
    state: str = Field(default="booked", max_length=16)  # booked | checked_in | cancelled
    ticket_id: int | None = None
    request_id: str | None = Field(default=None, max_length=128)
    booked_at: datetime = utc_field(nullable=False)
    checked_in_at: datetime | None = utc_field()


class Rating(SQLModel, table=True):
    """One rating per visit; a bad one carries its rectification deadline until closed."""

    __tablename__ = "rating"
    __table_args__ = (
        # Supervision's bad ratings not yet rectified, read at every evaluation: a seek, not the hall's
        # whole history (services/supervision/snapshot.py). Full, not partial: ``bad`` is compared as
        # ``bad = 1`` on SQLite and as ``bad`` on PostgreSQL, and only a literal match makes SQLite
        # use a partial index.
        Index("ix_rating_unrectified", "hall_id", "bad", "rectified_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    window_id: int | None = Field(default=None, foreign_key="window.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    score: int
    bad: bool = False
    ts: datetime = utc_field(nullable=False)
    device_id: str | None = Field(default=None, max_length=40)
    event_id: str | None = Field(default=None, max_length=128)
    rectification_due: date | None = None
    rectified_at: datetime | None = utc_field()
    rectification_note: str | None = Field(default=None, max_length=500)


class Case(SQLModel, table=True):
    """A case (办件) a visit turned into; its details, documents and parts are in ``tables/casework.py``."""

    __tablename__ = "case_file"
    __table_args__ = (
        # Supervision's promised cases still open, due by a horizon: only the open cases are in it.
        Index("ix_case_file_open", "hall_id", "deadline", **_where("closed_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    case_number: str = Field(max_length=64, unique=True)
    case_type: str = Field(max_length=16)
    matter_id: int | None = Field(default=None, foreign_key="matter.id")
    department_id: int | None = Field(default=None, foreign_key="department.id")
    co_departments: list[int] = json_field(nullable=False, default_factory=list)
    accepted_on: date
    deadline: date | None = None
    return_for_case_id: int | None = Field(default=None, foreign_key="case_file.id")
    documents: dict[str, Any] = json_field(nullable=False, default_factory=dict)
    created_at: datetime = utc_field(nullable=False)
    closed_at: datetime | None = utc_field()
