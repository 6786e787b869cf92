"""The hall file: one declarative TOML description of a service hall, as strict pydantic models.

Frigate-style config models: ``extra="forbid"`` (a misspelt key is an error, not a silent default),
``title``/``description`` on every field (they feed the docs and ``hallq hall``), each section checking
its own cross-field rules. Rules that span sections (references, duplicates, licensing staff) live in
``checks`` and run from :class:`HallFile`'s validator. Import-light on purpose (pydantic and the
standard library only): provisioning reads hall files without loading the server.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from queue_server.protocol.defaults import HALL_TZ_NAME
from queue_server.protocol.messages import DeviceKind

from .booking import Booking
from .catalogue import Matter
from .errors import Loc, ProblemsError
from .policies import Policies
from .supervision import Supervision
from .values import (
    DaySessions,
    DeptCode,
    IdCode,
    Login,
    Name,
    Section,
    ServiceCode,
    TimeRange,
    WindowNo,
)

SCHEMA_VERSION: Literal[1] = 1

# --- hall and hours ----------------------------------------------------------------------------


class HallLevel(StrEnum):
    """Where a hall sits in the 市、县、乡 hierarchy of the seed notice."""

    CITY = "city"  # 市
    COUNTY = "county"  # 县（区）
    TOWNSHIP = "township"  # 乡（镇）


class HallInfo(Section):
    code: IdCode = Field(title="hall code", description="lower-case id used in topics and URLs, e.g. 'demo'")
    name: Name = Field(title="hall name", description="shown on screens and tickets, e.g. 示范市政务服务中心")
    short_name: str | None = Field(
        default=None, max_length=20, title="short name", description="for narrow screens"
    )
    tz: str = Field(default=HALL_TZ_NAME, title="time zone", description="IANA name; times are shown in it")
    level: HallLevel = Field(
        default=HallLevel.CITY, title="level", description="city 市 / county 县 / township 乡"
    )
    parent: IdCode | None = Field(
        default=None, title="parent hall", description="code of the hall one level up (a county hall's city)"
    )
    notice: str = Field(
        default="", max_length=500, title="notice", description="scrolling text on the hall display"
    )
    address: str = Field(default="", max_length=200, title="address")
    phone: str = Field(default="", max_length=40, title="phone", description="the hall's public telephone")

    @field_validator("tz")
    @classmethod
    def _known_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from exc
        return value

    @model_validator(mode="after")
    def _parent_is_another_hall(self) -> HallInfo:
        if self.parent == self.code:
            raise ProblemsError([(("parent",), "a hall cannot be its own parent")])
        return self


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


class Hours(Section):
    """Opening hours. Weekday keys apply on working days; rest days (weekends, holidays) use ``rest_day``.

    A make-up working day (调休) that falls on a weekend uses Monday's hours. Sessions are listed in
    order, typically morning and afternoon; the gap between them is the lunch break.
    """

    mon: DaySessions = Field(
        default_factory=list, title="Monday", description='e.g. ["09:00-12:00", "13:30-17:30"]'
    )
    tue: DaySessions = Field(default_factory=list, title="Tuesday")
    wed: DaySessions = Field(default_factory=list, title="Wednesday")
    thu: DaySessions = Field(default_factory=list, title="Thursday")
    fri: DaySessions = Field(default_factory=list, title="Friday")
    rest_day: DaySessions = Field(
        default_factory=list,
        title="rest-day hours",
        description="weekend and holiday hours (双休日服务) for weekend windows and services; empty = closed",
    )
    extra_holidays: list[date] = Field(
        default_factory=list,
        title="extra holidays",
        description="closed days the national calendar does not know (local days, years it lacks)",
    )
    extra_workdays: list[date] = Field(
        default_factory=list,
        title="extra working days",
        description="make-up working days (调休) the national calendar does not know yet",
    )
    confirmed_years: list[int] = Field(
        default_factory=list,
        title="confirmed years",
        description="years whose State Council holiday notice is entered above by hand (extra days "
        "complete); hallq warns from 60 days before a year that is neither official nor confirmed",
    )

    def sessions(self, day: str) -> list[TimeRange]:
        value: list[TimeRange] = getattr(self, day)
        return value

    @model_validator(mode="after")
    def _open_some_day(self) -> Hours:
        problems: list[tuple[Loc, str]] = []
        if not any(self.sessions(d) for d in WEEKDAYS):
            problems.append(((), "the hall is never open on a working day"))
        both = sorted(set(self.extra_holidays) & set(self.extra_workdays))
        problems.extend(
            (("extra_workdays", self.extra_workdays.index(d)), f"{d} is listed as holiday and as working day")
            for d in both
        )
        if problems:
            raise ProblemsError(problems)
        return self


# --- organisation ------------------------------------------------------------------------------


class Department(Section):
    code: DeptCode = Field(title="department code", description="short lower-case id, e.g. 'scjg'")
    name: Name = Field(title="department name", description="e.g. 市场监督管理局")
    short_name: str | None = Field(
        default=None, max_length=20, title="short name", description="e.g. 市场监管"
    )


class Service(Section):
    """A queue: tickets of one prefix letter, its targets and limits."""

    code: ServiceCode = Field(title="service letter", description="ticket prefix A–Z")
    name: Name = Field(title="service name", description="e.g. 市场主体登记")
    target_wait_min: int = Field(
        default=20, ge=1, le=480, title="target wait", description="minutes; alert above"
    )
    max_wait_min: int = Field(
        default=60, ge=1, le=720, title="maximum wait", description="starvation bound: older tickets go next"
    )
    daily_cap: int = Field(default=300, ge=1, le=100_000, title="daily cap", description="tickets per day")
    cutoff_min: int = Field(
        default=30,
        ge=0,
        le=240,
        title="issue cut-off",
        description="minutes before closing when issuing stops",
    )
    weekend: bool = Field(
        default=False, title="weekend service", description="served on rest days (双休日服务)"
    )
    interleave: int = Field(
        default=2,
        ge=1,
        le=20,
        title="priority interleave",
        description="after N priority calls, call a normal one",
    )
    description: str = Field(
        default="", max_length=200, title="description", description="kiosk button subtitle"
    )

    @model_validator(mode="after")
    def _max_after_target(self) -> Service:
        if self.max_wait_min < self.target_wait_min:
            raise ProblemsError(
                [
                    (
                        ("max_wait_min",),
                        f"maximum wait {self.max_wait_min} is below the target {self.target_wait_min}",
                    )
                ]
            )
        return self


# --- windows, staff, appointments, devices ------------------------------------------------------


class Window(Section):
    """A service counter (窗口)."""

    number: WindowNo = Field(title="window number", description='as called: "5" → 请到5号窗口')
    name: str | None = Field(default=None, max_length=40, title="window name", description="default: 5号窗口")
    zone: str = Field(default="", max_length=32, title="zone", description="e.g. A区 商事登记区")
    department: DeptCode = Field(title="department")
    primary: list[ServiceCode] = Field(
        default_factory=list, title="primary services", description="served first (skill weight: primary)"
    )
    secondary: list[ServiceCode] = Field(
        default_factory=list, title="secondary services", description="served when no primary ticket waits"
    )
    licensing: bool = Field(
        default=False, title="licensing", description="staff need a law-enforcement qualification"
    )
    extended_hours: bool = Field(
        default=False,
        title="extended hours",
        description="stays open after closing until its queue is empty (延时服务)",
    )
    weekend: bool = Field(default=False, title="weekend", description="open on rest days (双休日服务)")
    military_priority: bool = Field(
        default=False, title="military priority", description="军人优先窗口: takes military tickets first"
    )

    @property
    def display_name(self) -> str:
        return self.name or f"{self.number}号窗口"

    @property
    def services(self) -> list[tuple[str, int]]:
        """``(service, skill weight)``: 2 primary, 1 secondary."""
        return [(s, 2) for s in self.primary] + [(s, 1) for s in self.secondary]

    @model_validator(mode="after")
    def _serves_something(self) -> Window:
        problems: list[tuple[Loc, str]] = []
        if not self.primary and not self.secondary:
            problems.append((("primary",), f"window {self.number!r} serves no service"))
        for i, code in enumerate(self.primary):
            if self.primary.index(code) != i:
                problems.append((("primary", i), f"service {code!r} listed twice"))
        for i, code in enumerate(self.secondary):
            if code in self.primary:
                problems.append((("secondary", i), f"service {code!r} is already primary"))
            elif self.secondary.index(code) != i:
                problems.append((("secondary", i), f"service {code!r} listed twice"))
        if problems:
            raise ProblemsError(problems)
        return self


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"
    GUIDE = "guide"  # a guide-desk clerk (导办员): the guide desk only, never a window


class Qualification(Section):
    """A law-enforcement qualification (行政执法资格证), needed at licensing windows."""

    number: Annotated[str, Field(min_length=1, max_length=40)] = Field(title="certificate number")
    expires: date = Field(title="expiry date")


_ENV_NAME = r"^[A-Z_][A-Z0-9_]{0,63}$"


class Staff(Section):
    """A person who signs in: window staff, a manager, an administrator.

    Passwords never appear in a hall file. The initial password comes from ``password_env`` (an
    environment variable) or ``password_file`` (a secrets file, e.g. /run/secrets/…); with neither, the
    loader uses the password it is given, else ``HALLQ_DEMO_PASSWORD``, else generates one and reports it
    once (development halls only, see docs).
    """

    login: Login = Field(title="login")
    name: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        title="name", description="full name; screens show it masked (张*)"
    )
    role: Role = Field(default=Role.STAFF, title="role", description="admin / manager / staff / guide")
    department: DeptCode | None = Field(default=None, title="department")
    windows: list[WindowNo] = Field(
        default_factory=list, title="windows", description="windows this person may sign in to"
    )
    qualification: Qualification | None = Field(default=None, title="law-enforcement qualification")
    password_env: Annotated[str, Field(pattern=_ENV_NAME)] | None = Field(
        default=None,
        title="password variable",
        description="environment variable holding the initial password",
    )
    password_file: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, title="password file", description="path of a secrets file holding the initial password"
    )

    @model_validator(mode="after")
    def _one_password_source(self) -> Staff:
        if self.password_env is not None and self.password_file is not None:
            raise ProblemsError([(("password_file",), "give password_env or password_file, not both")])
        return self

    def qualified_on(self, day: date | None) -> bool:
        """Holds a qualification (valid on ``day`` when given)."""
        if self.qualification is None:
            return False
        return day is None or self.qualification.expires >= day


class AppointmentSlots(Section):
    """Appointment capacity of one service per half-day (预约服务)."""

    service: ServiceCode = Field(title="service")
    morning: int = Field(
        default=0, ge=0, le=10_000, title="morning capacity", description="bookings per morning"
    )
    afternoon: int = Field(default=0, ge=0, le=10_000, title="afternoon capacity")
    rest_day: int = Field(
        default=0, ge=0, le=10_000, title="rest-day capacity", description="per rest-day session"
    )


HALL_DEVICE_KINDS = (DeviceKind.KIOSK, DeviceKind.HALL_DISPLAY)
WINDOW_DEVICE_KINDS = (DeviceKind.WINDOW_DISPLAY, DeviceKind.WINDOW_AGENT)
PRINTING_KINDS = (DeviceKind.KIOSK, DeviceKind.WINDOW_AGENT)
# What a kiosk's printer URL may be (kiosk/cli.py printer_config): a network printer, a serial port
# or a USB printer's device file, nothing else on the kiosk's disk.
PRINTER_CONNECTION = (
    r"^(tcp://[A-Za-z0-9.-]+(:[0-9]{1,5})?|serial:///dev/[A-Za-z0-9._/:+-]+(\?baud=[0-9]+)?"
    r"|file:///dev/[A-Za-z0-9._/:+-]+)$"
)


class Device(Section):
    """A device of the hall; provisioning gives it credentials and a config bundle."""

    id: IdCode = Field(title="device id", description="also its MQTT client id and broker username")
    kind: DeviceKind = Field(title="kind", description="kiosk / hall_display / window_display / window_agent")
    name: str = Field(default="", max_length=60, title="name", description="e.g. 大厅东侧1号取号机")
    window: WindowNo | None = Field(
        default=None, title="window", description="window displays and agents only"
    )
    printer_width_mm: Literal[58, 80] | None = Field(
        default=None,
        title="printer width",
        description="paper width in mm, kiosks and window agents with a printer",
    )
    services: list[ServiceCode] = Field(
        default_factory=list, title="services shown", description="kiosks: services offered (default all)"
    )
    printer: str | None = Field(
        default=None,
        pattern=PRINTER_CONNECTION,
        title="printer connection",
        description="kiosks: tcp://HOST[:9100], serial:///dev/…[?baud=9600] or file:///dev/usb/lp0; "
        "written into the kiosk's device.toml by provisioning",
    )

    @model_validator(mode="after")
    def _fits_kind(self) -> Device:
        problems: list[tuple[Loc, str]] = []
        if self.kind is DeviceKind.SERVER:
            problems.append((("kind",), "the server is not a device of the hall file"))
        if self.id.startswith("hallq-"):
            problems.append((("id",), "ids starting with 'hallq-' are reserved for the server"))
        if self.kind in WINDOW_DEVICE_KINDS and self.window is None:
            problems.append((("window",), f"a {self.kind.value} needs a window"))
        if self.kind in HALL_DEVICE_KINDS and self.window is not None:
            problems.append((("window",), f"a {self.kind.value} serves the whole hall, not a window"))
        if self.printer_width_mm is not None and self.kind not in PRINTING_KINDS:
            problems.append((("printer_width_mm",), f"a {self.kind.value} has no printer"))
        if self.printer is not None and self.kind is not DeviceKind.KIOSK:
            problems.append(
                (("printer",), "only a kiosk's printer is provisioned (a window's is set on the server)")
            )
        if self.services and self.kind is not DeviceKind.KIOSK:
            problems.append((("services",), "only kiosks choose the services they offer"))
        if problems:
            raise ProblemsError(problems)
        return self


# --- the file ----------------------------------------------------------------------------------


class HallFile(Section):
    """A whole hall. Validation checks every section, then every reference between sections."""

    schema_version: Literal[1] = Field(default=SCHEMA_VERSION, title="schema version")
    hall: HallInfo = Field(title="hall")
    hours: Hours = Field(title="opening hours")
    departments: list[Department] = Field(min_length=1, title="departments")
    services: list[Service] = Field(min_length=1, title="services (queues)")
    matters: list[Matter] = Field(default_factory=list, title="matters (catalogue)")
    windows: list[Window] = Field(min_length=1, title="windows")
    staff: list[Staff] = Field(default_factory=list, title="staff")
    appointment_slots: list[AppointmentSlots] = Field(default_factory=list, title="appointment slots")
    devices: list[Device] = Field(default_factory=list, title="devices")
    supervision: Supervision = Field(
        default_factory=Supervision, title="supervision", description="alert thresholds (电子监察)"
    )
    booking: Booking = Field(
        default_factory=Booking, title="booking", description="online appointment rules (预约服务)"
    )
    policies: Policies = Field(default_factory=Policies, title="policies", description="the hall's own rules")

    @model_validator(mode="after")
    def _cross_references(self, info: ValidationInfo) -> HallFile:
        from .checks import Parts, cross_check  # checks types its input with this module's models

        context = info.context if isinstance(info.context, dict) else {}
        today = context.get("today")
        problems = cross_check(Parts.of(self), today=today if isinstance(today, date) else None)
        if problems:
            raise ProblemsError(problems)
        return self

    def service(self, code: str) -> Service:
        return next(s for s in self.services if s.code == code)

    def window(self, number: str) -> Window:
        return next(w for w in self.windows if w.number == number)

    def department(self, code: str) -> Department:
        return next(d for d in self.departments if d.code == code)
