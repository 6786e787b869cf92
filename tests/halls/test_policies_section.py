"""The hall file's ``[policies]`` and ``staff.department``: validated with their paths, stored by the
loader where the running server reads them (the hall row, the staff row), defaults equal to the
table's, and read back by the export (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from queue_server.halls import validate_data
from queue_server.halls.export import export_hall
from queue_server.halls.loader import load_hall
from queue_server.halls.policies import Policies
from queue_server.store.tables import Department, Hall, Staff
from tests.halls.conftest import hall_of

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def errors(raw: dict[str, Any]) -> list[str]:
    result = validate_data(raw)
    assert isinstance(result, list)
    return [str(e) for e in result]


def test_the_defaults_are_the_tables() -> None:
    hall = Hall(code="x", name="x", created_at=NOW)
    stored = Policies().columns()
    table = {column: getattr(hall, column) for column in stored}
    assert table | {"priority_classes": stored["priority_classes"]} == stored
    assert Policies.from_columns(table) == Policies()  # NULL classes: every class


def test_policies_name_windows_services_and_people_the_hall_has(small_raw: dict[str, Any]) -> None:
    small_raw["policies"] = {
        "lunch_windows": ["1", "99"],
        "lunch_services": ["Z"],
        "delegations": [
            {"login": "nobody", "case_types": ["immediate"]},
            {"window": "77", "case_types": ["joint"]},
        ],
    }
    assert errors(small_raw) == [
        "policies.lunch_windows[1]: unknown window '99'; did you mean '9'?",
        "policies.lunch_services[0]: unknown service 'Z'; known: A, B, C, D, E, F, G",
        "policies.delegations[0].login: unknown staff login 'nobody'; "
        "known: admin, liuyang, zhangli, zhaolei",
        "policies.delegations[1].window: unknown window '77'; did you mean '7'?",
    ]


def test_a_bad_policy_is_refused_at_its_field(small_raw: dict[str, Any]) -> None:
    small_raw["policies"] = {
        "elderly_age": 20,
        "no_show": "forget",
        "priority_classes": ["elderly", "vip"],
        "lunch_services": ["A"],
        "delegations": [{"login": "zhangli", "role": "staff", "case_types": ["immediate"]}],
    }
    found = errors(small_raw)
    assert any(e.startswith("policies.elderly_age: ") for e in found)
    assert any(e.startswith("policies.no_show: ") for e in found)
    assert any(e.startswith("policies.priority_classes[1]: ") for e in found)
    assert "policies.delegations[0].login: name one of login, role or window" in found
    small_raw["policies"] = {"lunch_services": ["A"]}
    assert errors(small_raw) == ["policies.lunch_windows: lunch-duty services need a lunch-duty window"]


def test_a_person_lists_only_windows_of_their_department(demo_raw: dict[str, Any]) -> None:
    liangchen = next(i for i, p in enumerate(demo_raw["staff"]) if p["login"] == "liangchen")
    demo_raw["staff"][liangchen]["windows"].append("3")  # 3: the civil affairs bureau's (mzj)
    assert errors(demo_raw) == [
        f"staff[{liangchen}].windows[2]: window '3' belongs to department 'mzj', not 'spj'"
    ]
    del demo_raw["staff"][liangchen]["department"]  # no department: any window
    assert isinstance(validate_data(demo_raw), type(hall_of(demo_raw)))


def test_the_loader_stores_the_policies_and_departments(engine: Engine, small_raw: dict[str, Any]) -> None:
    small_raw["policies"] = {
        **small_raw["policies"],
        "id_daily_limit": 0,
        "elderly_age": 65,
        "no_show": "requeue",
    }
    small_raw["policies"]["priority_classes"] = ["elderly", "military"]
    small_raw["staff"] = [
        {k: v for k, v in p.items() if k != "department" or p["login"] != "admin"} for p in small_raw["staff"]
    ]
    hall = hall_of(small_raw)
    load_hall(engine, hall, passwords={p.login: "pw-123456" for p in hall.staff}, now=NOW)
    with Session(engine) as s:
        row = s.exec(select(Hall)).one()
        depts = {d.id: d.code for d in s.exec(select(Department))}
        people = {p.login: depts.get(p.department_id or 0) for p in s.exec(select(Staff))}
    assert (row.id_daily_limit, row.priority_age, row.no_show_policy) == (0, 65, "requeue")  # 0: no limit
    assert row.priority_classes == ["elderly", "military"]
    assert (row.lunch_windows, row.lunch_services) == (["18"], ["A"])
    assert row.delegations[0] == {
        "role": "staff",
        "case_types": ["immediate", "promised", "joint", "returned", "supplement"],
        "decisions": ["immediate", "receipt", "refuse"],
    }
    assert people == {"admin": None, "zhangli": "spj", "liuyang": "scjg", "zhaolei": "scjg"}
    exported = export_hall(engine)
    assert Policies.model_validate(exported["policies"]) == hall.policies
    assert [p.get("department") for p in exported["staff"]] == [None, "spj", "scjg", "scjg"]
