"""The hall and what it offers: departments, services (queues), matters and their materials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from queue_server.protocol.defaults import HALL_TZ_NAME
from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field


class Hall(SQLModel, table=True):
    """One service hall and its hall-wide rules.

    ``schedule``: {"0": [["09:00", "12:00"], ["13:30", "17:00"]], …} by weekday (0 = Monday), None =
    always open; ``rest_day_schedule``: [["09:00", "12:00"]] for weekends and holidays, None = closed.
    """

    __tablename__ = "hall"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    tz: str = Field(default=HALL_TZ_NAME, max_length=64)
    notice: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    schedule: dict[str, Any] | None = json_field()
    rest_day_schedule: list[Any] | None = json_field()
    extra_holidays: list[str] = json_field(nullable=False, default_factory=list)
    extra_workdays: list[str] = json_field(nullable=False, default_factory=list)
    confirmed_years: list[int] = json_field(nullable=False, default_factory=list)
    # From the hall file's [hall]: printed on tickets, shown on the citizen and public pages.
    short_name: str | None = Field(default=None, max_length=20)
    address: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    # The 市/县/乡 hierarchy (halls.schema.HallLevel); ``parent`` is the code of the hall one level up,
    # which may live in another database (no foreign key, see halls/README.md).
    level: str = Field(default="city", max_length=16)
    parent: str | None = Field(default=None, max_length=40)
    priority_age: int = 60
    id_daily_limit: int | None = 2
    interleave_n: int = 2
    no_show_policy: str = Field(default="void", max_length=16)  # "void" | "requeue"
    no_show_requeue_limit: int = 1
    no_show_min_recalls: int = 0
    checkin_early_min: int = 30
    checkin_late_min: int = 15
    # The rest of the hall file's [policies] (halls/policies.py): the priority classes granted (None:
    # every class), lunch-time duty (午间不休) and what clerks may decide alone (充分授权).
    priority_classes: list[str] | None = json_field()
    lunch_windows: list[str] = json_field(nullable=False, default_factory=list)
    lunch_services: list[str] = json_field(nullable=False, default_factory=list)
    delegations: list[dict[str, Any]] = json_field(nullable=False, default_factory=list)
    created_at: datetime = utc_field(nullable=False)


class Department(SQLModel, table=True):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    short_name: str | None = Field(default=None, max_length=20)  # where space is short: 市场监管局


class Service(SQLModel, table=True):
    """A queue with its ticket prefix (``code``: A, B, …), its waits, cap, cut-off and hours.

    ``schedule``/``rest_day_schedule`` as on Hall; None inherits the hall's. ``max_wait_min`` is the
    starvation bound of the ordering; ``appointment_capacity`` counts bookings per half-day.
    """

    __tablename__ = "service"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    code: str = Field(max_length=3)
    name: str = Field(max_length=100)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    target_wait_min: int = 20
    max_wait_min: int | None = 60
    daily_cap: int | None = None
    cutoff_min: int = 30
    schedule: dict[str, Any] | None = json_field()
    rest_day_schedule: list[Any] | None = json_field()
    extended_hours: bool = False
    interleave_n: int | None = None
    id_daily_limit: int | None = None
    appointment_capacity: int = 0
    default_handling_s: int = 300
    position: int = 0
    active: bool = True
    description: str = Field(default="", max_length=200)  # the kiosk tile's subtitle


class Matter(SQLModel, table=True):
    """A catalogue entry (政务服务事项) with the eight public disclosures; versioned, published or not."""

    __tablename__ = "matter"
    __table_args__ = (UniqueConstraint("hall_id", "code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    code: str = Field(max_length=64)
    version: int = 1
    published: bool = False
    name: str = Field(max_length=200)
    service_id: int = Field(foreign_key="service.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    case_type: str = Field(default="immediate", max_length=16)
    licensing: bool = False  # an administrative licence: only qualified staff call its tickets
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    legal_basis: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    conditions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    procedure: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    time_limit: str = Field(default="", max_length=200)
    promised_days: int | None = None
    fees: str = Field(default="", max_length=500)
    result: str = Field(default="", max_length=500)
    pinyin_initials: str = Field(default="", max_length=64, index=True)
    # A joint case's (联办件) other departments, by code, beside the lead ``department_id``.
    co_departments: list[str] = json_field(nullable=False, default_factory=list)
    updated_at: datetime | None = utc_field()


class Material(SQLModel, table=True):
    """One item of a matter's materials list (申请材料)."""

    __tablename__ = "material"

    id: int | None = Field(default=None, primary_key=True)
    matter_id: int = Field(foreign_key="matter.id", index=True)
    position: int = 0
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    required: bool = True
    note: str = Field(default="", max_length=500)
