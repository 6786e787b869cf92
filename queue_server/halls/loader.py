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
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pypinyin import Style, lazy_pinyin
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from queue_server.services.people.security import hash_password
from queue_server.store import tables as t
from queue_server.store.tables.accounts import StaffAccount

from .catalogue import Material, MaterialForm, Matter
from .passwords import initial_passwords
from .schema import (
    WEEKDAYS,
    AppointmentSlots,
    HallFile,
)
from .values import TimeRange

# Skill weights of WindowService: higher is served first (ordering clause 6).
PRIMARY_WEIGHT = 2
SECONDARY_WEIGHT = 1

_FORM_ZH = {
    MaterialForm.ORIGINAL: "原件",
    MaterialForm.COPY: "复印件",
    MaterialForm.ORIGINAL_AND_COPY: "原件及复印件",
    MaterialForm.ELECTRONIC: "电子材料",
}


@dataclass
class LoadReport:
    """What a load did. ``generated_passwords``: show once (development halls), never log."""

    hall_id: int
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    retired: Counter[str] = field(default_factory=Counter)
    new_matter_versions: dict[str, int] = field(default_factory=dict)
    generated_passwords: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()) + sum(self.retired.values()))

    def summary(self) -> str:
        def fmt(c: Counter[str]) -> str:
            return ", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "nothing"

        return f"created {fmt(self.created)}; updated {fmt(self.updated)}; retired {fmt(self.retired)}"


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


def _sessions(ranges: list[TimeRange]) -> list[list[str]]:
    return [[f"{r.start:%H:%M}", f"{r.end:%H:%M}"] for r in ranges]


def _schedule(hall_file: HallFile) -> dict[str, Any]:
    hours = hall_file.hours
    return {str(i): _sessions(hours.sessions(day)) for i, day in enumerate(WEEKDAYS) if hours.sessions(day)}


def _initials(text: str) -> str:
    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for p in parts for ch in p if ch.isascii() and ch.isalnum()).lower()[:64]


def _material_note(material: Material) -> str:
    # The table keeps name, required and note: the form and copies travel in the note, as a checklist
    # prints them ("原件及复印件，2份").
    head = _FORM_ZH[material.form] + (f"，{material.copies}份" if material.copies != 1 else "")
    return f"{head}；{material.note}" if material.note else head


def _capacity(slots: AppointmentSlots | None) -> int:
    """One number per half-day in the table: the smaller non-zero one never overbooks a half-day."""
    if slots is None:
        return 0
    values = [v for v in (slots.morning, slots.afternoon) if v > 0]
    return min(values) if values else 0


def _set(row: Any, values: Mapping[str, Any]) -> bool:
    """Assign changed attributes; True when any changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


class _Loader:
    def __init__(self, session: Session, hall_file: HallFile, now: datetime, allow_dev: bool) -> None:
        self.s = session
        self.allow_dev = allow_dev
        self.f = hall_file
        self.now = now
        self.report = LoadReport(hall_id=0)
        self.dept_ids: dict[str, int] = {}
        self.service_ids: dict[str, int] = {}
        self.window_ids: dict[str, int] = {}

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

    def _upsert(self, kind: str, row: Any | None, make: Any, values: Mapping[str, Any]) -> Any:
        if row is None:
            row = make(**values)
            self.s.add(row)
            self.s.flush()  # ids for the rows that refer to it
            self.report.created[kind] += 1
        elif _set(row, values):
            self.s.add(row)
            self.report.updated[kind] += 1
        return row

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
        }
        if row is None:
            values["created_at"] = self.now
        hall: t.Hall = self._upsert("hall", row, t.Hall, values)
        return hall

    def _departments(self, hall_id: int) -> None:
        rows = {d.code: d for d in self.s.exec(select(t.Department).where(t.Department.hall_id == hall_id))}
        for dept in self.f.departments:
            values = {"hall_id": hall_id, "code": dept.code, "name": dept.name}
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
            }
            row = self._upsert("service", rows.pop(svc.code, None), t.Service, values)
            self.service_ids[svc.code] = row.id
        for gone in rows.values():
            if gone.active:
                gone.active = False
                self.s.add(gone)
                self.report.retired["service"] += 1

    def _matters(self, hall_id: int) -> None:
        rows = self.s.exec(
            select(t.Matter).where(t.Matter.hall_id == hall_id).order_by(col(t.Matter.version))
        ).all()
        newest = {row.code: row for row in rows}  # ascending versions: the last one wins
        in_file = {m.code for m in self.f.matters}
        for matter in self.f.matters:
            self._matter(hall_id, matter, newest.get(matter.code))
        for row in rows:
            # Only the newest version of a matter still in the file may stay published.
            current = row.code in in_file and newest[row.code] is row
            if row.published and not (current and row.code not in self.report.new_matter_versions):
                row.published = False
                self.s.add(row)
                if row.code not in in_file:
                    self.report.retired["matter"] += 1

    def _matter(self, hall_id: int, matter: Matter, current: t.Matter | None) -> None:
        content: dict[str, Any] = {
            "name": matter.name,
            "service_id": self.service_ids[matter.service],
            "department_id": self.dept_ids[matter.department],
            "case_type": matter.case_type.value,
            "licensing": matter.licensing,
            "content": matter.content,
            "legal_basis": matter.legal_basis,
            "conditions": matter.conditions,
            "procedure": matter.procedure,
            "time_limit": matter.time_limit,
            "promised_days": matter.promised_days,
            "fees": matter.fees,
            "result": matter.result,
            "pinyin_initials": _initials(matter.name),
        }
        materials: list[dict[str, Any]] = [
            {"position": i, "code": m.code, "name": m.name, "required": m.required, "note": _material_note(m)}
            for i, m in enumerate(matter.materials)
        ]
        if current is not None and self._same(current, content, materials):
            if current.published != matter.published:
                current.published = matter.published
                self.s.add(current)
                self.report.updated["matter"] += 1
            return
        version = 1 if current is None else current.version + 1
        row = t.Matter(
            hall_id=hall_id,
            code=matter.code,
            version=version,
            published=matter.published,
            updated_at=self.now,
            **content,
        )
        self.s.add(row)
        self.s.flush()
        assert row.id is not None
        for values in materials:
            self.s.add(t.Material(matter_id=row.id, **values))
        if current is None:
            self.report.created["matter"] += 1
        else:
            self.report.updated["matter"] += 1
            self.report.new_matter_versions[matter.code] = version

    def _same(self, row: t.Matter, content: Mapping[str, Any], materials: list[dict[str, Any]]) -> bool:
        if any(getattr(row, k) != v for k, v in content.items()):
            return False
        stored = self.s.exec(
            select(t.Material).where(t.Material.matter_id == row.id).order_by(col(t.Material.position))
        ).all()
        keys = ("position", "code", "name", "required", "note")
        return [{k: getattr(m, k) for k in keys} for m in stored] == materials

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
                "active": True,
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
            }
            self._upsert("device", rows.pop(device.id, None), t.Device, values)
        for gone in rows.values():
            self.s.delete(gone)
            self.report.retired["device"] += 1
