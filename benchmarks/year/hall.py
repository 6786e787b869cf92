"""The hall of the generated year: the demo hall grown to a large hall, and what the generator reads of it.

The demo hall file (19 windows, 7 services, its catalogue, hours and devices) with a 20th window (a
weekend window for 公安/社保), 60 window staff (three per window, each also qualified for a
neighbouring window, all holding a law-enforcement qualification so licensing windows can be staffed),
the admin and the manager ``zhangli`` of the demo hall, no daily caps, and appointment capacities a
large hall offers (the demo's few slots per half-day would make appointments a rounding error).
Opening hours, rest-day hours, cut-offs and extended-hours windows stay the demo's: the statistics
read them (extended hours, weekend service).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from queue_server.domain.calendar import HallCalendar
from queue_server.halls import DEMO_HALL_PATH, HallFile, validate_data
from queue_server.halls.loader import load_hall
from queue_server.services.engine.rules import hall_calendar
from queue_server.store import tables as t

YEAR_HALL = "year"
MANAGER = "zhangli"  # the demo hall's manager: signs in to read statistics
PASSWORD = "year-password"
STAFF_COUNT = 60
_EXTRA_WINDOW = {
    "number": "20",
    "name": "20号双休日综合窗口",
    "zone": "F区 公安服务区",
    "department": "gaj",
    "primary": ["F"],
    "secondary": ["C", "A"],
    "weekend": True,
}
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "丽", "强", "涛", "明", "超"]
# Per half-day: a large hall books a tenth or so of its visits ahead.
_APPOINTMENT_SLOTS = {"B": 60, "D": 80, "F": 120, "G": 40}


def year_hall_raw(code: str = YEAR_HALL) -> dict[str, Any]:
    """The hall file's data (before validation): see the module doc."""
    raw = tomllib.loads(DEMO_HALL_PATH.read_text())
    raw["hall"]["code"] = code
    raw["hall"]["name"] = "示范市政务服务中心（年度样本）"
    for service in raw["services"]:
        service.pop("daily_cap", None)
    raw["windows"].append(dict(_EXTRA_WINDOW))
    numbers = [w["number"] for w in raw["windows"]]
    keep = [s for s in raw["staff"] if s.get("role") in ("admin", "manager")]
    raw["staff"] = keep + [_staff(i, numbers) for i in range(STAFF_COUNT)]
    # The demo's delegations to a person it names: that person is not among the year hall's staff.
    logins = {s["login"] for s in raw["staff"]}
    policies = raw.get("policies", {})
    if "delegations" in policies:
        policies["delegations"] = [d for d in policies["delegations"] if d.get("login", "") in ("", *logins)]
    raw["appointment_slots"] = [
        {"service": code, "morning": n, "afternoon": n, **({"rest_day": n // 2} if code == "F" else {})}
        for code, n in _APPOINTMENT_SLOTS.items()
    ]
    return raw


def _staff(i: int, numbers: list[str]) -> dict[str, Any]:
    home = i // 3  # three people per window
    neighbour = (home + 1) % len(numbers)
    return {
        "login": f"yg{i + 1:03d}",
        "name": _SURNAMES[i % len(_SURNAMES)] + _GIVEN[i % len(_GIVEN)] + _GIVEN[(i * 7 + 3) % len(_GIVEN)],
        "windows": [numbers[home], numbers[neighbour]],
        "qualification": {"number": f"示执（2024）第{i + 1:04d}号", "expires": date(2031, 12, 31)},
    }


def year_hall_file(code: str = YEAR_HALL) -> HallFile:
    hall = validate_data(year_hall_raw(code))
    if isinstance(hall, list):
        raise RuntimeError("year hall invalid: " + "; ".join(str(e) for e in hall))
    return hall


@dataclass(frozen=True)
class WindowInfo:
    id: int
    number: str
    name: str
    primary: tuple[int, ...]  # service ids
    secondary: tuple[int, ...]
    weekend: bool
    extended: bool
    staff: tuple[int, ...]  # staff ids who may sign in here
    agent: str | None  # the window agent's device id (its rating pad), if the hall has one


@dataclass(frozen=True)
class Matter:
    id: int
    case_type: str
    promised_days: int
    department_id: int | None


@dataclass(frozen=True)
class ServiceInfo:
    id: int
    code: str
    target_wait_s: int
    cutoff_s: int
    weekend: bool
    matters: tuple[Matter, ...]
    appointment_capacity: int


@dataclass(frozen=True)
class HallInfo:
    """The loaded hall as the generator needs it: ids, flags, the calendar."""

    id: int
    code: str
    tz: str
    calendar: HallCalendar
    schedule: dict[str, Any]  # Hall.schedule: weekday -> [[open, close], …]
    rest_day_schedule: list[Any]
    services: tuple[ServiceInfo, ...]
    windows: tuple[WindowInfo, ...]
    manager_id: int
    logins: dict[int, str]  # staff id -> login (the events' actor)
    kiosks: tuple[str, ...]


def load_year_hall(engine: Engine, code: str = YEAR_HALL) -> HallInfo:
    """Load (or reload: idempotent) the year hall; what the generator needs of it."""
    hall_file = year_hall_file(code)
    load_hall(engine, hall_file, passwords={s.login: PASSWORD for s in hall_file.staff})
    with Session(engine) as session:
        hall = session.exec(select(t.Hall).where(t.Hall.code == code)).one()
        services = session.exec(select(t.Service).where(t.Service.hall_id == hall.id)).all()
        matters = session.exec(
            select(t.Matter)
            .where(t.Matter.hall_id == hall.id, col(t.Matter.published))
            .order_by(col(t.Matter.id))
        ).all()
        windows = session.exec(select(t.Window).where(t.Window.hall_id == hall.id)).all()
        links = session.exec(
            select(t.WindowService).where(col(t.WindowService.window_id).in_([w.id for w in windows]))
        ).all()
        staff = {s.login: _id(s.id) for s in session.exec(select(t.Staff).where(t.Staff.hall_id == hall.id))}
        devices = session.exec(select(t.Device).where(t.Device.hall_id == hall.id)).all()
    by_service: dict[int, list[Matter]] = {}
    for m in matters:
        info = Matter(_id(m.id), m.case_type, m.promised_days or 0, m.department_id)
        by_service.setdefault(m.service_id, []).append(info)
    service_rows = tuple(
        ServiceInfo(
            id=_id(s.id),
            code=s.code,
            target_wait_s=s.target_wait_min * 60,
            cutoff_s=s.cutoff_min * 60,
            weekend=next(f.weekend for f in hall_file.services if f.code == s.code),
            matters=tuple(by_service.get(_id(s.id), [])),
            appointment_capacity=s.appointment_capacity,
        )
        for s in sorted(services, key=lambda s: s.code)
    )
    agents = {d.window_id: d.device_id for d in devices if d.kind == "window_agent"}
    window_rows = []
    for w in sorted(windows, key=lambda w: int(w.number)):
        weights = [(link.weight, link.service_id) for link in links if link.window_id == w.id]
        top = max(weight for weight, _ in weights)
        window_rows.append(
            WindowInfo(
                id=_id(w.id),
                number=w.number,
                name=w.name,
                primary=tuple(sid for weight, sid in weights if weight == top),
                secondary=tuple(sid for weight, sid in weights if weight != top),
                weekend=w.weekend,
                extended=w.extended_hours,
                staff=tuple(
                    staff[s.login] for s in hall_file.staff if w.number in s.windows and s.role == "staff"
                ),
                agent=agents.get(w.id),
            )
        )
    return HallInfo(
        id=_id(hall.id),
        code=code,
        tz=hall.tz,
        calendar=hall_calendar(hall),
        schedule=hall.schedule or {},
        rest_day_schedule=hall.rest_day_schedule or [],
        services=service_rows,
        windows=tuple(window_rows),
        manager_id=staff[MANAGER],
        logins={sid: login for login, sid in staff.items()},
        kiosks=tuple(sorted(d.device_id for d in devices if d.kind == "kiosk")),
    )


def _id(value: int | None) -> int:
    if value is None:
        raise RuntimeError("row without id")
    return value


def clock_for(hall: HallInfo, day: date) -> Callable[[float], datetime]:
    """Seconds since the hall-local midnight of ``day`` -> a naive UTC datetime (how rows store time)."""
    midnight = datetime.combine(day, time(0), tzinfo=ZoneInfo(hall.tz)).astimezone(UTC).replace(tzinfo=None)

    def at(seconds: float) -> datetime:
        return midnight + timedelta(seconds=seconds)

    return at
