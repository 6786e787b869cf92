"""Write a validated hall file into the database: an idempotent upsert by codes.

Loading the same file twice changes nothing. A matter whose content changed gets a new version row
(the old one is unpublished, never deleted: tickets and cases point at it). Things that left the
file are retired, not deleted: services become inactive, matters unpublished, staff inactive,
windows stop serving; only device rows (a registry, no history hangs on them) are removed.
Passwords are set only for people who have no account yet: a reload never resets one.

Given an Engine, ``load_hall`` runs in its own transaction; given a Session, it only flushes and the
caller commits (no commits inside data helpers).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from queue_server.domain.hierarchy import HallNode, placement_problems
from queue_server.services.people.security import hash_password
from queue_server.store import tables as t
from queue_server.store.tables.accounts import StaffAccount

from .errors import ProblemsError
from .load_base import PRIMARY_WEIGHT, SECONDARY_WEIGHT, LoadReport
from .load_matters import _MatterLoader
from .passwords import initial_passwords
from .schema import (
    WEEKDAYS,
    AppointmentSlots,
    HallFile,
)
from .values import TimeRange


def load_hall(
    session_or_engine: Session | Engine,
    hall_file: HallFile,
    *,
    passwords: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
    allow_dev_passwords: bool = True,
) -> LoadReport:
    """Upsert ``hall_file`` into the database; see the module docstring for what changes and what not.

    ``passwords``: initial passwords by login, for people created by this load (else the sources the
    hall file names, see ``passwords.py``). ``environ`` defaults to ``os.environ``.
    ``allow_dev_passwords`` False: refuse ``HALLQ_DEMO_PASSWORD`` and generated passwords (production).
    """
    moment = now or datetime.now(UTC)
    env = os.environ if environ is None else environ
    if isinstance(session_or_engine, Session):
        return _Loader(session_or_engine, hall_file, moment, allow_dev_passwords).run(passwords, env)
    with Session(session_or_engine) as session, session.begin():
        return _Loader(session, hall_file, moment, allow_dev_passwords).run(passwords, env)


SECTIONS_LOADED_ALONE = frozenset(
    {"hours", "services", "windows", "staff", "supervision", "booking", "policies"}
)
"""The sections ``load_sections`` writes on their own (the administrators' pages, services/admin/)."""


def load_sections(
    session: Session,
    hall_file: HallFile,
    sections: frozenset[str],
    *,
    passwords: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> LoadReport:
    """Upsert only what ``sections`` of the validated ``hall_file`` describe, in the caller's
    transaction (it only flushes): an administrator's edit of one section. The rest of the database
    stays as it is; the departments, services and windows the sections name are found by their codes.
    People created get their password from ``passwords`` (no other source) and must change it at
    their first sign-in.
    """
    unknown = sections - SECTIONS_LOADED_ALONE
    if unknown:
        raise ValueError(f"sections not loaded alone: {sorted(unknown)}")
    loader = _Loader(session, hall_file, now or datetime.now(UTC), allow_dev=False)
    return loader.run_sections(sections, passwords or {})


def _sessions(ranges: list[TimeRange]) -> list[list[str]]:
    return [[f"{r.start:%H:%M}", f"{r.end:%H:%M}"] for r in ranges]


def _schedule(hall_file: HallFile) -> dict[str, Any]:
    hours = hall_file.hours
    return {str(i): _sessions(hours.sessions(day)) for i, day in enumerate(WEEKDAYS) if hours.sessions(day)}


def _capacity(slots: AppointmentSlots | None) -> int:
    """One number per half-day in the table: the smaller non-zero one never overbooks a half-day."""
    if slots is None:
        return 0
    values = [v for v in (slots.morning, slots.afternoon) if v > 0]
    return min(values) if values else 0


class _Loader(_MatterLoader):
    def run(self, passwords: Mapping[str, str] | None, environ: Mapping[str, str]) -> LoadReport:
        hall = self._hall()
        assert hall.id is not None
        self.report.hall_id = hall.id
        self._departments(hall.id)
        self._services(hall.id)
        self._matters(hall.id)
        self._windows(hall.id)
        self._staff(hall.id, passwords, environ)
        self._devices(hall.id)
        self._supervision(hall.id)
        self._booking(hall.id)
        self.s.flush()
        return self.report

    def run_sections(self, sections: frozenset[str], passwords: Mapping[str, str]) -> LoadReport:
        """``run`` for ``sections`` alone (see ``load_sections``)."""
        if "hours" in sections:
            hall = self._hall()
        else:
            hall = self.s.exec(select(t.Hall).where(t.Hall.code == self.f.hall.code)).one()
        assert hall.id is not None
        self.report.hall_id = hall.id
        self._known_ids(hall.id)
        # A service's stored hours follow the hall's hours and its weekend flag; its extended hours
        # follow the windows that serve it.
        if sections & {"hours", "services", "windows"}:
            self._services(hall.id)
        if "windows" in sections:
            self._windows(hall.id)
        if "staff" in sections:
            self._staff(hall.id, passwords, {})
        if "supervision" in sections:
            self._supervision(hall.id)
        if "policies" in sections:
            self._upsert("hall", hall, t.Hall, self.f.policies.columns())
        if sections & {"services", "booking"}:
            self._booking(hall.id)
        self.s.flush()
        return self.report

    # --- sections ------------------------------------------------------------------------------

    def _hall(self) -> t.Hall:
        info, hours = self.f.hall, self.f.hours
        row = self.s.exec(select(t.Hall).where(t.Hall.code == info.code)).first()
        values: dict[str, Any] = {
            "code": info.code,
            "name": info.name,
            "tz": info.tz,
            "notice": info.notice,
            "schedule": _schedule(self.f),
            "rest_day_schedule": _sessions(hours.rest_day) if hours.rest_day else None,
            "extra_holidays": sorted(d.isoformat() for d in hours.extra_holidays),
            "extra_workdays": sorted(d.isoformat() for d in hours.extra_workdays),
            "confirmed_years": sorted(set(hours.confirmed_years)),
            **self.f.policies.columns(),
            "short_name": info.short_name,
            "address": info.address,
            "phone": info.phone,
            "level": info.level.value,
            # A code, not a reference: the parent hall may run on another server (halls/README.md).
            "parent": info.parent,
        }
        stored = [HallNode(*n) for n in self.s.exec(select(t.Hall.code, t.Hall.level, t.Hall.parent))]
        problems = placement_problems(stored, HallNode(info.code, info.level.value, info.parent))
        if problems:  # 市/县/乡: a parent stored here sits above its child, and parents never loop
            raise ProblemsError([(("hall", "parent"), p) for p in problems])
        if row is None:
            values["created_at"] = self.now
        hall: t.Hall = self._upsert("hall", row, t.Hall, values)
        return hall

    def _departments(self, hall_id: int) -> None:
        rows = {d.code: d for d in self.s.exec(select(t.Department).where(t.Department.hall_id == hall_id))}
        for dept in self.f.departments:
            values = {"hall_id": hall_id, "code": dept.code, "name": dept.name, "short_name": dept.short_name}
            row = self._upsert("department", rows.get(dept.code), t.Department, values)
            self.dept_ids[dept.code] = row.id

    def _services(self, hall_id: int) -> None:
        rows = {s.code: s for s in self.s.exec(select(t.Service).where(t.Service.hall_id == hall_id))}
        slots = {a.service: a for a in self.f.appointment_slots}
        week = _schedule(self.f)
        for position, svc in enumerate(self.f.services):
            extended = any(w.extended_hours and svc.code in w.primary + w.secondary for w in self.f.windows)
            values: dict[str, Any] = {
                "hall_id": hall_id,
                "code": svc.code,
                "name": svc.name,
                "target_wait_min": svc.target_wait_min,
                "max_wait_min": svc.max_wait_min,
                "daily_cap": svc.daily_cap,
                "cutoff_min": svc.cutoff_min,
                # A weekend service inherits the hall's hours, rest days included; any other keeps the
                # weekday hours and is closed on rest days (rest_day_schedule None).
                "schedule": None if svc.weekend else week,
                "rest_day_schedule": None,
                "extended_hours": extended,
                "interleave_n": svc.interleave,
                "appointment_capacity": _capacity(slots.get(svc.code)),
                "position": position,
                "active": True,
                "description": svc.description,
            }
            row = self._upsert("service", rows.pop(svc.code, None), t.Service, values)
            self.service_ids[svc.code] = row.id
        for gone in rows.values():
            if gone.active:
                gone.active = False
                self.s.add(gone)
                self.report.retired["service"] += 1

    def _windows(self, hall_id: int) -> None:
        rows = {w.number: w for w in self.s.exec(select(t.Window).where(t.Window.hall_id == hall_id))}
        for window in self.f.windows:
            values = {
                "hall_id": hall_id,
                "number": window.number,
                "name": window.display_name,
                "zone": window.zone,
                "department_id": self.dept_ids[window.department],
                "licensing": window.licensing,
                "extended_hours": window.extended_hours,
                "weekend": window.weekend,
                "military_priority": window.military_priority,
            }
            row = self._upsert("window", rows.pop(window.number, None), t.Window, values)
            self.window_ids[window.number] = row.id
            wanted = {self.service_ids[code]: PRIMARY_WEIGHT for code in window.primary}
            wanted.update({self.service_ids[code]: SECONDARY_WEIGHT for code in window.secondary})
            self._window_services(row.id, wanted)
        for gone in rows.values():
            # A window that left the file keeps its history but serves nothing any more.
            assert gone.id is not None
            self._window_services(gone.id, {})

    def _window_services(self, window_id: int, wanted: Mapping[int, int]) -> None:
        """Make the window serve exactly ``wanted`` (service id -> weight)."""
        existing = {
            ws.service_id: ws
            for ws in self.s.exec(select(t.WindowService).where(t.WindowService.window_id == window_id))
        }
        for service_id, ws in existing.items():
            if service_id not in wanted:
                self.s.delete(ws)
                self.report.retired["window_service"] += 1
            elif ws.weight != wanted[service_id]:
                ws.weight = wanted[service_id]
                self.s.add(ws)
                self.report.updated["window_service"] += 1
        for service_id, weight in wanted.items():
            if service_id not in existing:
                self.s.add(t.WindowService(window_id=window_id, service_id=service_id, weight=weight))
                self.report.created["window_service"] += 1

    def _staff(self, hall_id: int, passwords: Mapping[str, str] | None, environ: Mapping[str, str]) -> None:
        rows = {p.login: p for p in self.s.exec(select(t.Staff).where(t.Staff.hall_id == hall_id))}
        newcomers = [p for p in self.f.staff if p.login not in rows]
        initial = initial_passwords(newcomers, given=passwords, environ=environ, allow_dev=self.allow_dev)
        self.report.generated_passwords = dict(initial.generated)
        hashes: dict[str, str] = {}
        for person in self.f.staff:
            values: dict[str, Any] = {
                "hall_id": hall_id,
                "login": person.login,
                "name": person.name,
                "role": person.role.value,
                "qualification_no": person.qualification.number if person.qualification else None,
                "qualification_expires": person.qualification.expires if person.qualification else None,
                "department_id": None if person.department is None else self.dept_ids[person.department],
                "active": True,
                "password_env": person.password_env,
                "password_file": person.password_file,
            }
            row = rows.pop(person.login, None)
            if row is None:
                password = initial.passwords[person.login]
                # scrypt costs tens of ms: a development hall sharing HALLQ_DEMO_PASSWORD hashes it once.
                if password not in hashes:
                    hashes[password] = hash_password(password)
                values["password_hash"] = hashes[password]
            self._account(self._upsert("staff", row, t.Staff, values), person.windows, created=row is None)
        for gone in rows.values():
            if gone.active:
                gone.active = False
                self.s.add(gone)
                self.report.retired["staff"] += 1

    def _supervision(self, hall_id: int) -> None:
        row = self.s.get(t.HallSupervision, hall_id)
        values = {"hall_id": hall_id, **self.f.supervision.model_dump()}
        self._upsert("supervision", row, t.HallSupervision, values)

    def _booking(self, hall_id: int) -> None:
        """The ``[booking]`` rules, and every service's capacity per morning, afternoon and rest-day
        session (``appointment_slots``; a service not listed takes no bookings)."""
        row = self.s.get(t.HallBooking, hall_id)
        self._upsert("hall_booking", row, t.HallBooking, {"hall_id": hall_id, **self.f.booking.model_dump()})
        slots = {a.service: a for a in self.f.appointment_slots}
        for code, service_id in self.service_ids.items():
            listed = slots.get(code)
            values = {
                "service_id": service_id,
                "hall_id": hall_id,
                "morning": 0 if listed is None else listed.morning,
                "afternoon": 0 if listed is None else listed.afternoon,
                "rest_day": 0 if listed is None else listed.rest_day,
            }
            row_now = self.s.get(t.BookingCapacity, service_id)
            self._upsert("service_booking", row_now, t.BookingCapacity, values)

    def _account(self, staff: t.Staff, windows: list[str], *, created: bool) -> None:
        """The windows the person may sign in to (empty: any), and, for a new production account, a
        password change forced at the first sign-in (the initial password was known to whoever
        provisioned it)."""
        assert staff.id is not None
        row = self.s.get(StaffAccount, staff.id)
        if row is None:
            row = StaffAccount(staff_id=staff.id, hall_id=staff.hall_id)
            self.s.add(row)
        row.windows = list(windows) or None
        if created and not self.allow_dev:
            row.must_change_password = True

    def _devices(self, hall_id: int) -> None:
        rows = {d.device_id: d for d in self.s.exec(select(t.Device).where(t.Device.hall_id == hall_id))}
        for device in self.f.devices:
            values = {
                "hall_id": hall_id,
                "device_id": device.id,
                "kind": device.kind.value,
                "window_id": self.window_ids[device.window] if device.window is not None else None,
                "printer_width_mm": device.printer_width_mm,
                # An empty list in the file means "every service": NULL, the one spelling of it.
                "services": list(device.services) or None,
                "name": device.name,
                "printer": device.printer,
            }
            self._upsert("device", rows.pop(device.id, None), t.Device, values)
        for gone in rows.values():
            self.s.delete(gone)
            self.report.retired["device"] += 1
