"""The words a report shows for its keys (zh-CN), and the names behind the ids it groups by."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, bindparam, text

from queue_server.domain.cases import CaseType
from queue_server.domain.priority import PriorityClass

WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
CHANNELS_ZH = {"kiosk": "自助取号", "appointment": "预约签到", "special": "特事特办", "desk": "导办台"}
NOBODY_ZH = "未叫号"


@dataclass
class Names:
    """Names of the halls' services, departments, windows and staff, by id."""

    halls: dict[int, str] = field(default_factory=dict)
    services: dict[int, str] = field(default_factory=dict)
    service_department: dict[int, int] = field(default_factory=dict)
    service_target_min: dict[int, int] = field(default_factory=dict)
    service_ids: dict[tuple[int, str], int] = field(default_factory=dict)  # (hall id, code) -> id
    departments: dict[int, str] = field(default_factory=dict)
    windows: dict[int, str] = field(default_factory=dict)
    staff: dict[int, str] = field(default_factory=dict)
    staff_login: dict[int, str] = field(default_factory=dict)


def load_names(conn: Connection, hall_ids: Sequence[int]) -> Names:
    names = Names()
    params = {"halls": list(hall_ids)}

    def rows(sql: str) -> list[tuple[object, ...]]:
        statement = text(sql).bindparams(bindparam("halls", expanding=True))
        return [tuple(r) for r in conn.execute(statement, params).all()]

    for hall_id, name in rows("SELECT id, name FROM hall WHERE id IN :halls"):
        names.halls[int(str(hall_id))] = str(name)
    for sid, hall_id, code, name, dept, target in rows(
        "SELECT id, hall_id, code, name, department_id, target_wait_min FROM service WHERE hall_id IN :halls"
    ):
        sid_i = int(str(sid))
        names.service_ids[int(str(hall_id)), str(code)] = sid_i
        names.services[sid_i] = f"{code} {name}"
        names.service_department[sid_i] = 0 if dept is None else int(str(dept))
        names.service_target_min[sid_i] = int(str(target))
    for did, name in rows("SELECT id, name FROM department WHERE hall_id IN :halls"):
        names.departments[int(str(did))] = str(name)
    for wid, number, name in rows('SELECT id, number, name FROM "window" WHERE hall_id IN :halls'):
        names.windows[int(str(wid))] = (
            f"{number} {name}" if not str(name).startswith(str(number)) else str(name)
        )
    for sid, login, name in rows("SELECT id, login, name FROM staff WHERE hall_id IN :halls"):
        names.staff[int(str(sid))] = str(name)
        names.staff_login[int(str(sid))] = str(login)
    return names


def _time_label(group: str, key: str) -> str:
    if group == "week":
        year, week = key.split("-W")
        return f"{year}年第{int(week)}周"
    if group == "month":
        year, month = key.split("-")
        return f"{year}年{int(month)}月"
    if group == "weekday":
        return WEEKDAYS_ZH[int(key) - 1]
    return date.fromisoformat(key).isoformat()


def _priority_label(key: str) -> str:
    if not key:
        return "普通"
    try:
        return PriorityClass(key).label_zh
    except ValueError:
        return key


def label_of(group: str, key: str, names: Names) -> str:
    """The zh-CN label of a report key."""
    if group in ("day", "week", "month", "weekday"):
        return _time_label(group, key)
    if group == "hour":
        return f"{int(key):02d}:00–{int(key) + 1:02d}:00"
    if group == "channel":
        return CHANNELS_ZH.get(key, key)
    if group == "priority":
        return _priority_label(key)
    by_id = {
        "service": names.services,
        "department": names.departments,
        "window": names.windows,
        "staff": names.staff,
        "hall": names.halls,
    }[group]
    if key == "0":
        return "未分部门" if group == "department" else NOBODY_ZH
    return by_id.get(int(key), key)


def case_type_label(code: str) -> str:
    try:
        return CaseType(code).label_zh
    except ValueError:
        return code
