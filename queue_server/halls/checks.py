"""Rules that span the sections of a hall file: references, duplicates, who may work where.

``cross_check`` runs on a whole valid file (from :class:`HallFile`'s validator) and also on the parts
of a broken file that did validate, so one run reports every problem: an item that failed its own
validation is counted as present (its code is in ``Parts.broken``) so nothing is reported twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from queue_server.protocol.messages import DeviceKind

from .catalogue import Matter
from .errors import Loc, unknown
from .policies import UNKNOWABLE, Policies, policy_problems
from .schema import (
    AppointmentSlots,
    Department,
    Device,
    HallFile,
    HallInfo,
    Hours,
    Service,
    Staff,
    Window,
)

# Each list section and the key that identifies its items.
KEYS: dict[str, str] = {
    "departments": "code",
    "services": "code",
    "matters": "code",
    "windows": "number",
    "staff": "login",
    "appointment_slots": "service",
    "devices": "id",
}

UNREADABLE = UNKNOWABLE
"""In ``Parts.broken``: the section is not a readable list; any reference to it may be right."""


@dataclass
class Parts:
    """The sections of a hall file that validated, each item with its index in the file."""

    hall: HallInfo | None = None
    hours: Hours | None = None
    departments: list[tuple[int, Department]] = field(default_factory=list)
    services: list[tuple[int, Service]] = field(default_factory=list)
    matters: list[tuple[int, Matter]] = field(default_factory=list)
    windows: list[tuple[int, Window]] = field(default_factory=list)
    staff: list[tuple[int, Staff]] = field(default_factory=list)
    appointment_slots: list[tuple[int, AppointmentSlots]] = field(default_factory=list)
    devices: list[tuple[int, Device]] = field(default_factory=list)
    policies: Policies | None = None
    broken: dict[str, set[str]] = field(default_factory=dict)
    """Per section, the keys of items that failed their own validation: they exist, but are not checked."""
    broken_raw: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per section, the raw data of those items, for rules that must not guess (licensing staff)."""

    @classmethod
    def of(cls, hall: HallFile) -> Parts:
        return cls(
            hall=hall.hall,
            hours=hall.hours,
            departments=list(enumerate(hall.departments)),
            services=list(enumerate(hall.services)),
            matters=list(enumerate(hall.matters)),
            windows=list(enumerate(hall.windows)),
            staff=list(enumerate(hall.staff)),
            appointment_slots=list(enumerate(hall.appointment_slots)),
            devices=list(enumerate(hall.devices)),
            policies=hall.policies,
        )

    def unreadable(self, section: str) -> bool:
        return UNREADABLE in self.broken.get(section, set())

    def known(self, section: str) -> set[str]:
        items: list[tuple[int, object]] = getattr(self, section)
        key = KEYS[section]
        return {str(getattr(item, key)) for _, item in items} | self.broken.get(section, set())


class _Report:
    def __init__(self) -> None:
        self.problems: list[tuple[Loc, str]] = []

    def add(self, loc: Loc, message: str) -> None:
        self.problems.append((loc, message))

    def ref(self, loc: Loc, what: str, value: str, known: set[str]) -> None:
        if value not in known and UNREADABLE not in known:
            self.add(loc, unknown(what, value, known))


def cross_check(parts: Parts, *, today: date | None = None) -> list[tuple[Loc, str]]:
    """Every cross-section problem, each with its path. ``today``: also check qualification expiry."""
    report = _Report()
    _duplicates(parts, report)
    _references(parts, report)
    _coverage(parts, report)
    _weekend(parts, report)
    _licensing(parts, report, today)
    _one_agent_per_window(parts, report)
    _department_windows(parts, report)
    if parts.policies is not None:
        known = {s: parts.known(s) for s in ("windows", "services", "staff")}
        report.problems += policy_problems(
            parts.policies, windows=known["windows"], services=known["services"], logins=known["staff"]
        )
    return report.problems


def _department_windows(parts: Parts, report: _Report) -> None:
    """A person of a department signs in only at that department's windows (staff bound to their
    department); a person without a department may list any window."""
    departments = parts.known("departments")  # an unknown one is reported as such, not here too
    department_of = {w.number: w.department for _, w in parts.windows if w.department in departments}
    for i, person in parts.staff:
        for j, number in enumerate(person.windows):
            owner = department_of.get(number)
            if person.department in departments and owner is not None and owner != person.department:
                report.add(
                    ("staff", i, "windows", j),
                    f"window {number!r} belongs to department {owner!r}, not {person.department!r}",
                )


def _references(parts: Parts, report: _Report) -> None:
    """Every code that names a department, service or window names one the file defines."""
    departments = parts.known("departments")
    services = parts.known("services")
    windows = parts.known("windows")
    for i, matter in parts.matters:
        report.ref(("matters", i, "service"), "service", matter.service, services)
        report.ref(("matters", i, "department"), "department", matter.department, departments)
        for j, co in enumerate(matter.co_departments):
            report.ref(("matters", i, "co_departments", j), "department", co, departments)
    for i, window in parts.windows:
        report.ref(("windows", i, "department"), "department", window.department, departments)
        for key in ("primary", "secondary"):
            for j, code in enumerate(getattr(window, key)):
                report.ref(("windows", i, key, j), "service", code, services)
    _people_and_devices(parts, report, departments, services, windows)


def _people_and_devices(
    parts: Parts, report: _Report, departments: set[str], services: set[str], windows: set[str]
) -> None:
    for i, person in parts.staff:
        if person.department is not None:
            report.ref(("staff", i, "department"), "department", person.department, departments)
        for j, number in enumerate(person.windows):
            report.ref(("staff", i, "windows", j), "window", number, windows)
    for i, slots in parts.appointment_slots:
        report.ref(("appointment_slots", i, "service"), "service", slots.service, services)
    for i, device in parts.devices:
        if device.window is not None:
            report.ref(("devices", i, "window"), "window", device.window, windows)
        for j, code in enumerate(device.services):
            report.ref(("devices", i, "services", j), "service", code, services)


def _duplicates(parts: Parts, report: _Report) -> None:
    for section, key in KEYS.items():
        items: list[tuple[int, object]] = getattr(parts, section)
        first: dict[str, int] = {}
        for i, item in items:
            value = str(getattr(item, key))
            if value in first:
                report.add(
                    (section, i, key), f"duplicate {key} {value!r} (first at {section}[{first[value]}])"
                )
            else:
                first[value] = i


def _served(parts: Parts, include: Callable[[Window], bool] = lambda _w: True) -> set[str]:
    out: set[str] = set()
    for _, window in parts.windows:
        if include(window):
            out.update(window.primary, window.secondary)
    return out


def _coverage(parts: Parts, report: _Report) -> None:
    """A kiosk must never issue a ticket no window will call (docs/design/DOMAIN.md: cut-off and capacity)."""
    if parts.broken.get("windows"):
        return  # a broken window may be the one that serves it
    served = _served(parts)
    for i, service in parts.services:
        if service.code not in served:
            report.add(("services", i), f"no window serves service {service.code!r} ({service.name})")


def _weekend(parts: Parts, report: _Report) -> None:
    if parts.hours is None:
        return  # the hours section has its own errors; whether it opens on rest days is unknown
    rest_day_open = bool(parts.hours.rest_day)
    weekend_services = {s.code for _, s in parts.services if s.weekend} | parts.broken.get("services", set())
    for i, window in parts.windows:
        if not window.weekend:
            continue
        if not rest_day_open:
            report.add(
                ("windows", i, "weekend"),
                "weekend window, but the hall has no rest-day hours (hours.rest_day)",
            )
        elif (
            not parts.unreadable("services")
            and not (set(window.primary) | set(window.secondary)) & weekend_services
        ):
            report.add(("windows", i, "weekend"), "weekend window serves no weekend service")
    weekend_served = _served(parts, lambda w: w.weekend)
    some_window_broken = bool(parts.broken.get("windows"))  # it may be the weekend window
    for i, service in parts.services:
        if not service.weekend:
            continue
        if not rest_day_open:
            report.add(
                ("services", i, "weekend"),
                "weekend service, but the hall has no rest-day hours (hours.rest_day)",
            )
        elif service.code not in weekend_served and not some_window_broken:
            report.add(("services", i, "weekend"), f"weekend service {service.code!r} has no weekend window")


def _licensing(parts: Parts, report: _Report, today: date | None) -> None:
    """办理行政许可业务的人员，必须具有行政执法资格 (seed notice 二(一))."""
    if parts.unreadable("staff"):
        return
    maybe_qualified: set[str] = set()  # windows of staff that failed validation but name a qualification
    for raw in parts.broken_raw.get("staff", []):
        if "qualification" in raw:
            windows = raw.get("windows", [])
            if not isinstance(windows, list):
                return
            maybe_qualified.update(str(w) for w in windows)
    for i, window in parts.windows:
        if not window.licensing or window.number in maybe_qualified:
            continue
        assigned = [s for _, s in parts.staff if window.number in s.windows]
        if any(s.qualified_on(today) for s in assigned):
            continue
        when = f" valid on {today}" if today is not None else ""
        report.add(
            ("windows", i, "licensing"),
            f"licensing window {window.number!r} has no staff with a law-enforcement qualification{when}",
        )


def _one_agent_per_window(parts: Parts, report: _Report) -> None:
    first: dict[str, int] = {}
    for i, device in parts.devices:
        if device.kind is not DeviceKind.WINDOW_AGENT or device.window is None:
            continue
        if device.window in first:
            report.add(
                ("devices", i, "window"),
                f"window {device.window!r} already has an agent (devices[{first[device.window]}])",
            )
        else:
            first[device.window] = i
