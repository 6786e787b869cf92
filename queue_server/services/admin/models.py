"""Requests and replies of the administrators' pages: a hall-file section as data, its change, people."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from queue_server.services.engine.models import Reply, Request


class SectionName(StrEnum):
    """The hall-file sections the administrators' pages edit (``halls/loader.py`` or ``halls/load_parts.py``
    loads each alone)."""

    SERVICES = "services"
    WINDOWS = "windows"
    STAFF = "staff"
    HOURS = "hours"
    SUPERVISION = "supervision"
    BOOKING = "booking"
    POLICIES = "policies"
    HALL = "hall"
    DEPARTMENTS = "departments"
    APPOINTMENT_SLOTS = "appointment_slots"
    DEVICES = "devices"


class FieldProblem(Reply):
    """One problem of an edit, where ``hallq hall validate`` would put it (``services[2].daily_cap``)."""

    path: str = Field(description="the hall-file path of the field, '' for the whole hall")
    section: str = Field(description="the section the path starts with")
    message: str = Field(description="for people, zh-CN where halls/messages_zh.py knows the message")
    detail: str = Field(default="", description="as `hallq hall validate` says it (English), for logs")


class SectionView(Reply):
    """A section of the hall as the database holds it, in the hall file's spelling."""

    section: SectionName
    data: list[dict[str, Any]] | dict[str, Any]
    etag: str = Field(description="the section's content hash: send it back to edit this version")
    warnings: list[str] = Field(default_factory=list, description="e.g. a holiday year not known yet")


class Change(Reply):
    """One changed field of a section: ``item`` is the item's key (a service letter, a window number,
    a login) in list sections, '' in table sections."""

    item: str = ""
    field: str = ""
    old: Any = None
    new: Any = None


class SectionEdit(Request):
    """A new version of one section, as the hall file would spell it."""

    data: list[dict[str, Any]] | dict[str, Any] = Field(description="the whole section")
    etag: str | None = Field(
        default=None, max_length=64, description="the etag read; refused (409) when the section changed since"
    )


class SectionSaved(Reply):
    view: SectionView
    changes: list[Change]
    version: int | None = Field(description="the audit event of this change (None: nothing changed)")


class Qualification(Request):
    number: str = Field(min_length=1, max_length=40)
    expires: date


class StaffFields(Request):
    """A person as the staff page edits them (the hall file's ``[[staff]]`` item, no password source)."""

    name: str = Field(min_length=1, max_length=64)
    role: str = Field(default="staff", max_length=16)
    department: str | None = Field(default=None, max_length=32)
    windows: list[str] = Field(default_factory=list, max_length=100)
    qualification: Qualification | None = None


class StaffCreate(StaffFields):
    login: str = Field(min_length=1, max_length=64)
    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=256,
        description="the initial password; none: a one-time password is generated and shown once",
    )


class PasswordReset(Request):
    password: str | None = Field(
        default=None, min_length=8, max_length=256, description="none: a one-time password is generated"
    )


class PasswordSet(Reply):
    """The person must change the password at the next sign-in. ``one_time_password``: shown once,
    stored only as a hash, never logged (None when the administrator typed it)."""

    login: str
    one_time_password: str | None = None


class HistoryEntry(Reply):
    version: int
    ts: datetime
    section: str
    actor: str
    changes: list[Change]


class CalendarYear(Reply):
    """``hallq hall calendar --year YYYY --json`` for the hall in the database."""

    year: int
    source: str
    holidays: list[date]
    workdays: list[date]
    warnings: list[str] = Field(default_factory=list)


class StaffCreated(Reply):
    saved: SectionSaved
    password: PasswordSet
