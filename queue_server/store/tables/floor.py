"""The hall floor: windows, what they serve, who staffs them, their pauses, and the devices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field


class Window(SQLModel, table=True):
    """A service counter. ``status`` is a WindowStatus value; ``current_ticket_id`` is a soft reference
    (no foreign key: ticket and window point at each other, and SQLite migrations hate cycles)."""

    __tablename__ = "window"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    number: str = Field(max_length=16)
    name: str = Field(max_length=100)
    zone: str = Field(default="", max_length=32)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    licensing: bool = False
    extended_hours: bool = False
    weekend: bool = False
    military_priority: bool = False
    status: str = Field(default="closed", max_length=16)
    status_since: datetime | None = utc_field()
    current_ticket_id: int | None = None
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    pause_id: int | None = None
    consecutive_priority_calls: int = 0


class WindowService(SQLModel, table=True):
    """A service a window handles; higher ``weight`` = primary (ordering clause 6)."""

    __tablename__ = "window_service"

    window_id: int = Field(foreign_key="window.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True, index=True)
    weight: int = 1


class Staff(SQLModel, table=True):
    """A person who signs in: admin, manager or window staff. ``password_hash`` is scrypt (stdlib)."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("hall_id", "login"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    login: str = Field(max_length=64)
    name: str = Field(max_length=64)
    role: str = Field(default="staff", max_length=16)
    password_hash: str = Field(max_length=256)
    qualification_no: str | None = Field(default=None, max_length=64)
    qualification_expires: date | None = None
    active: bool = True
    # The person's department (the hall file's staff.department): they sign in only at its windows;
    # None: at any window. No foreign key: SQLite adds one only by copying ``staff``, which other tables
    # reference; the loader writes ids of the hall's departments only.
    department_id: int | None = None
    # Where the initial password came from (the hall file's reference, never the password): kept so
    # that an exported hall file names the same source.
    password_env: str | None = Field(default=None, max_length=64)
    password_file: str | None = Field(default=None, max_length=300)


class WindowShift(SQLModel, table=True):
    """Staff on a window from–to: sign-in history, the basis of the rotation flag."""

    __tablename__ = "window_shift"
    __table_args__ = (
        Index("ix_window_shift_staff", "staff_id", "started_at"),
        Index("ix_window_shift_window", "window_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    staff_id: int = Field(foreign_key="staff.id")
    window_id: int = Field(foreign_key="window.id")
    started_at: datetime = utc_field(nullable=False)
    ended_at: datetime | None = utc_field()


class Pause(SQLModel, table=True):
    """A window pause with its reason and duration (supervision watches long ones)."""

    __tablename__ = "pause"
    __table_args__ = (Index("ix_pause_window", "window_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    window_id: int = Field(foreign_key="window.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    reason: str = Field(max_length=100)
    started_at: datetime = utc_field(nullable=False)
    ended_at: datetime | None = utc_field()


class Device(SQLModel, table=True):
    """A provisioned device; ``status`` is its last retained status payload (health, version).

    ``printer_width_mm`` (58/80) and ``services`` (a kiosk's service letters) come from the hall file;
    NULL means the file did not say: the device config then uses the window printer's width (else 80)
    and every active service.
    """

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("hall_id", "device_id"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    device_id: str = Field(max_length=40)
    kind: str = Field(max_length=32)
    window_id: int | None = Field(default=None, foreign_key="window.id")
    printer_width_mm: int | None = None
    services: list[str] | None = json_field()
    state: str = Field(default="unknown", max_length=16)
    boot: int = 0
    status: dict[str, Any] | None = json_field()
    last_seen: datetime | None = utc_field()
    name: str = Field(default="", max_length=60)  # e.g. 大厅东侧1号取号机 (the managers' device list)
    printer: str | None = Field(default=None, max_length=300)  # a kiosk's printer connection URL
