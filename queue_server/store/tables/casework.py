"""What happens at the window beyond the ticket: case details, joint-case parts, missing materials,
return reasons, documents issued, window printers, rectification of bad ratings, door-to-door visits
and special-ticket grants.

Every table hangs off the core tables (``case_file``, ``rating``, ``ticket``, ``window``, ``staff``) by
foreign key; none of the core tables points back, so the core works without these rows (a case
finished from a keypad simply has no detail row).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field

PART_PENDING = "pending"
PART_DONE = "done"

RECTIFICATION_OPEN = "open"
RECTIFICATION_IN_PROGRESS = "in_progress"
RECTIFICATION_CLOSED = "closed"

VISIT_BOOKED = "booked"
VISIT_DONE = "done"
VISIT_CANCELLED = "cancelled"


class CaseDetail(SQLModel, table=True):
    """What the window recorded with a case (one row per case): who, where, for whom, and the
    type-specific facts (result issued, approving authority, special reason)."""

    __tablename__ = "case_detail"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    window_id: int | None = Field(default=None, foreign_key="window.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    applicant_name: str = Field(default="", max_length=64)
    result: str = Field(default="", max_length=500)
    approval_authority: str = Field(default="", max_length=200)
    special_reason: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)
    closed_by_id: int | None = Field(default=None, foreign_key="staff.id")


class CasePart(SQLModel, table=True):
    """One co-department's part of a joint case (联办件), tracked until that department is done."""

    __tablename__ = "case_part"
    __table_args__ = (UniqueConstraint("case_id", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    department_id: int = Field(foreign_key="department.id")
    state: str = Field(default=PART_PENDING, max_length=16)
    created_at: datetime = utc_field(nullable=False)
    done_at: datetime | None = utc_field()
    done_by_id: int | None = Field(default=None, foreign_key="staff.id")
    note: str = Field(default="", max_length=500)


class CaseMissingMaterial(SQLModel, table=True):
    """A material a supplement case (补办件) lacks, chosen from the matter's list; named as it was then."""

    __tablename__ = "case_missing_material"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    position: int = 0
    material_id: int | None = Field(default=None, foreign_key="material.id")
    name: str = Field(max_length=200)
    requirement: str = Field(default="", max_length=500)


class CaseReturnReason(SQLModel, table=True):
    """One reason a returned case (退回件) was not accepted."""

    __tablename__ = "case_return_reason"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    position: int = 0
    reason: str = Field(max_length=500)


class CaseDocument(SQLModel, table=True):
    """A document issued for a case. ``content`` is the document as issued (a legal record: later
    catalogue edits do not change it); the thermal print and the A4 page are both rendered from it."""

    __tablename__ = "case_document"
    __table_args__ = (UniqueConstraint("case_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    kind: str = Field(max_length=32)
    issued_at: datetime = utc_field(nullable=False)
    window_id: int | None = Field(default=None, foreign_key="window.id")
    content: dict[str, Any] = json_field(nullable=False, default_factory=dict)
    print_count: int = 0
    printed_at: datetime | None = utc_field()
    print_error: str | None = Field(default=None, max_length=300)


class WindowPrinter(SQLModel, table=True):
    """The thermal printer at a window: a ``devices.printer.PrinterConfig`` as JSON."""

    __tablename__ = "window_printer"

    window_id: int = Field(foreign_key="window.id", primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    config: dict[str, Any] = json_field(nullable=False, default_factory=dict)
    updated_at: datetime = utc_field(nullable=False)


class Rectification(SQLModel, table=True):
    """The rectification item (整改) a bad rating opens: assigned, tracked to closure.

    The rating row keeps its due date and closure time too (``rating.rectification_due``,
    ``rectified_at``), so supervision reading ratings alone sees the same state.
    """

    __tablename__ = "rectification"
    __table_args__ = (Index("ix_rectification_hall_state", "hall_id", "state", "due"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    rating_id: int = Field(foreign_key="rating.id", unique=True)
    assignee_id: int | None = Field(default=None, foreign_key="staff.id")
    state: str = Field(default=RECTIFICATION_OPEN, max_length=16)
    due: date
    opened_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)
    closed_at: datetime | None = utc_field()
    closed_by_id: int | None = Field(default=None, foreign_key="staff.id")
    measures: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class RectificationNote(SQLModel, table=True):
    """A step taken on a rectification item (assignment, progress, closure), in order."""

    __tablename__ = "rectification_note"

    id: int | None = Field(default=None, primary_key=True)
    rectification_id: int = Field(foreign_key="rectification.id", index=True)
    ts: datetime = utc_field(nullable=False)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    kind: str = Field(default="note", max_length=16)
    text: str = Field(default="", max_length=1000)


class DoorVisit(SQLModel, table=True):
    """A door-to-door visit (上门服务): booked like an appointment, recorded as a case, no ticket.

    Name, phone and address are kept in clear: staff need them to go there.
    """

    __tablename__ = "door_visit"
    __table_args__ = (
        Index("ix_door_visit_hall_start", "hall_id", "scheduled_start"),
        UniqueConstraint("hall_id", "request_id", name="uq_door_visit_request"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    service_id: int = Field(foreign_key="service.id")
    matter_id: int | None = Field(default=None, foreign_key="matter.id")
    applicant_name: str = Field(max_length=64)
    phone: str = Field(max_length=20)
    address: str = Field(max_length=300)
    scheduled_start: datetime = utc_field(nullable=False)
    scheduled_end: datetime = utc_field(nullable=False)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    state: str = Field(default=VISIT_BOOKED, max_length=16)
    case_id: int | None = Field(default=None, foreign_key="case_file.id")
    note: str = Field(default="", max_length=500)
    request_id: str | None = Field(default=None, max_length=128)
    booked_at: datetime = utc_field(nullable=False)
    booked_by_id: int | None = Field(default=None, foreign_key="staff.id")
    done_at: datetime | None = utc_field()


class SpecialGrant(SQLModel, table=True):
    """A special ticket (特事特办) and the supervisor who granted it, with the reason."""

    __tablename__ = "special_grant"

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    granted_by_id: int = Field(foreign_key="staff.id")
    reason: str = Field(max_length=200)
    granted_at: datetime = utc_field(nullable=False)


__all__ = [
    "PART_DONE",
    "PART_PENDING",
    "RECTIFICATION_CLOSED",
    "RECTIFICATION_IN_PROGRESS",
    "RECTIFICATION_OPEN",
    "VISIT_BOOKED",
    "VISIT_CANCELLED",
    "VISIT_DONE",
    "CaseDetail",
    "CaseDocument",
    "CaseMissingMaterial",
    "CasePart",
    "CaseReturnReason",
    "DoorVisit",
    "Rectification",
    "RectificationNote",
    "SpecialGrant",
    "WindowPrinter",
]
