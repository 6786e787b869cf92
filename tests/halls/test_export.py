"""``hallq hall export``: the hall in the database as a hall file, and the round trip through it.

Load the demo hall into an empty database, export it, validate the export, load it into a second
empty database: both databases hold the same hall (every table the loads wrote, compared row by row
with surrogate ids, timestamps and password hashes left out and references followed to the rows they
name), and exporting the second gives the same text. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from harness.postgres import create_database, drop_database
from queue_server.cli import main
from queue_server.halls import DEMO_HALL_PATH, HallFile, validate_data
from queue_server.halls.export import ExportError, export_hall, export_toml, material_fields
from queue_server.halls.loader import load_hall
from queue_server.halls.toml_out import dumps
from queue_server.store import init_db, make_engine
from queue_server.store import tables as t
from tests.halls.conftest import hall_of

PASSWORDS = {"HALLQ_DEMO_PASSWORD": "demo-password-1"}


@pytest.fixture
def second_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """Another empty database on the same backend as ``db_url``."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    url = create_database("hallq_t")
    yield url
    drop_database(url)


def demo_hall() -> HallFile:
    return hall_of(tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8")))


# --- comparing two databases --------------------------------------------------------------------


def _ignored(column: sa.Column[Any]) -> bool:
    """Surrogate ids, timestamps and password hashes differ between two loads of the same hall."""
    return (
        (column.primary_key and column.name == "id")
        or isinstance(column.type, sa.DateTime)
        or isinstance(getattr(column.type, "impl", None), sa.DateTime)  # store.types.UTCDateTime
        or column.name == "password_hash"
        or (column.table.name == "hall" and column.name == "created_at")
    )


def _natural_key(table: sa.Table) -> list[str]:
    unique = sorted(
        (c for c in table.constraints if isinstance(c, sa.UniqueConstraint)), key=lambda c: str(c.name)
    )
    if unique:
        return [c.name for c in unique[0].columns]
    return [c.name for c in table.columns if c.unique]


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


class _State:
    """Every row of every table of one database, with references replaced by the rows they name."""

    def __init__(self, engine: Engine) -> None:
        self.conn = engine.connect()
        self.rows: dict[str, dict[Any, dict[str, Any]]] = {}
        self._memo: dict[tuple[str, Any], Any] = {}

    def table(self, table: sa.Table) -> list[str]:
        return sorted(
            json.dumps(self._row(table, row), sort_keys=True, default=str) for row in self._all(table)
        )

    def _all(self, table: sa.Table) -> list[Any]:
        return list(self.conn.execute(sa.select(table)).mappings())

    def _row(self, table: sa.Table, row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for column in table.columns:
            if _ignored(column):
                continue
            value = row[column.name]
            fks = list(column.foreign_keys)
            if fks and value is not None:
                value = self._named(fks[0].column.table, value)
            out[column.name] = _plain(value)
        return out

    def _named(self, table: sa.Table, key: Any) -> Any:
        """The row of ``table`` with id ``key`` by its natural key (a hall's code, a service's hall and
        letter …): the columns of its first unique constraint, else all its compared columns."""
        memo = (table.name, key)
        if memo not in self._memo:
            row = self.conn.execute(sa.select(table).where(table.c.id == key)).mappings().one()
            full = self._row(table, row)
            natural = _natural_key(table)
            self._memo[memo] = {c: full[c] for c in natural} if natural else full
        return self._memo[memo]

    def close(self) -> None:
        self.conn.close()


def database_state(engine: Engine) -> dict[str, list[str]]:
    """Each non-empty table's rows (see :class:`_State`)."""
    state = _State(engine)
    try:
        tables = {name: state.table(table) for name, table in SQLModel.metadata.tables.items()}
    finally:
        state.close()
    return {name: rows for name, rows in tables.items() if rows}


# --- the round trip -------------------------------------------------------------------------------


def test_round_trip_gives_the_same_hall(
    db_url: str, second_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = init_db(db_url)
    second = init_db(second_url)
    try:
        load_hall(first, demo_hall(), environ=PASSWORDS)
        exported = tmp_path / "exported.toml"
        assert main(["hall", "export", "--db", db_url, "-o", str(exported)]) == 0
        assert main(["hall", "validate", str(exported)]) == 0
        assert "ok: hall demo" in capsys.readouterr().out
        again = hall_of(tomllib.loads(exported.read_text(encoding="utf-8")))
        load_hall(second, again, environ=PASSWORDS)
        a, b = database_state(first), database_state(second)
        assert {"hall", "department", "service", "matter", "material", "window", "staff", "device"} <= set(a)
        assert a.keys() == b.keys()
        for name in a:
            assert a[name] == b[name], name
        # export(load(export)) == export
        assert export_toml(second) == exported.read_text(encoding="utf-8")
    finally:
        first.dispose()
        second.dispose()


def _fields_of(model: Any) -> set[str]:
    return set(model.model_fields)


def test_every_field_of_the_file_is_exported(tmp_path: Path) -> None:
    """Every key the hall file accepts comes back from the database (nothing validated and dropped):
    the demo hall sets each of them somewhere, and the export names each one."""
    engine = init_db(f"sqlite:///{tmp_path / 'hall.db'}")
    hall = demo_hall()
    load_hall(engine, hall, environ=PASSWORDS)
    data = export_hall(engine)
    engine.dispose()
    assert set(data) == _fields_of(HallFile)
    for section in ("hall", "hours", "supervision", "booking"):
        model = type(getattr(hall, section))
        assert set(data[section]) == _fields_of(model), section
    for section in ("departments", "services", "matters", "windows", "staff", "appointment_slots", "devices"):
        model = type(getattr(hall, section)[0])
        keys = set().union(*(item.keys() for item in data[section]))
        assert keys == _fields_of(model), section
    materials = [m for matter in data["matters"] for m in matter["materials"]]
    assert set().union(*(m.keys() for m in materials)) == _fields_of(type(hall.matters[0].materials[0]))


def test_the_hall_fields_are_stored(tmp_path: Path) -> None:
    raw = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))
    raw["hall"].update(level="county", parent="shi")
    raw["staff"][0]["password_env"] = "ADMIN_PASSWORD"
    raw["devices"][0]["printer"] = "tcp://192.0.2.10:9100"
    engine = init_db(f"sqlite:///{tmp_path / 'hall.db'}")
    load_hall(engine, hall_of(raw), environ={**PASSWORDS, "ADMIN_PASSWORD": "admin-password-1"})
    with Session(engine) as s:
        hall = s.exec(select(t.Hall)).one()
        assert (hall.short_name, hall.address, hall.phone) == (
            "示范市民大厅",
            raw["hall"]["address"],
            "12345",
        )
        assert (hall.level, hall.parent) == ("county", "shi")  # a parent of another server: kept as a code
        spj = s.exec(select(t.Department).where(t.Department.code == "spj")).one()
        assert spj.short_name == "审批服务局"
        service = s.exec(select(t.Service).where(t.Service.code == "B")).one()
        assert service.description == "个体工商户、企业开办、变更、注销、食品经营许可"
        joint = s.exec(select(t.Matter).where(t.Matter.case_type == "joint")).first()
        assert joint is not None and joint.co_departments
        device = s.exec(select(t.Device).where(t.Device.device_id == raw["devices"][0]["id"])).one()
        assert device.name == raw["devices"][0]["name"] and device.printer == "tcp://192.0.2.10:9100"
        admin = s.exec(select(t.Staff).where(t.Staff.login == raw["staff"][0]["login"])).one()
        assert (admin.password_env, admin.password_file) == ("ADMIN_PASSWORD", None)
    data = export_hall(engine)
    engine.dispose()
    assert data["staff"][0]["password_env"] == "ADMIN_PASSWORD"
    text = dumps(data)
    assert "admin-password-1" not in text and "password_hash" not in text and "scrypt" not in text


def test_a_changed_co_department_makes_a_new_matter_version(tmp_path: Path) -> None:
    raw = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))
    engine = init_db(f"sqlite:///{tmp_path / 'hall.db'}")
    load_hall(engine, hall_of(raw), environ=PASSWORDS)
    joint = next(m for m in raw["matters"] if m.get("co_departments"))
    joint["co_departments"] = joint["co_departments"][:1]
    report = load_hall(engine, hall_of(raw), environ=PASSWORDS)
    engine.dispose()
    assert report.new_matter_versions == {joint["code"]: 2}


@pytest.mark.parametrize(
    ("note", "fields"),
    [
        ("原件", {"form": "original", "copies": 1, "note": ""}),
        (
            "原件及复印件，2份；本人办理的无需提交",
            {"form": "original_and_copy", "copies": 2, "note": "本人办理的无需提交"},
        ),
        ("复印件，0份", {"form": "copy", "copies": 0, "note": ""}),
        ("电子材料；a；b", {"form": "electronic", "copies": 1, "note": "a；b"}),
        ("手写的说明", {"form": "original", "copies": 1, "note": "手写的说明"}),
    ],
)
def test_material_fields_read_the_loaders_note(note: str, fields: dict[str, Any]) -> None:
    assert material_fields(note) == fields


def test_export_names_the_hall_when_there_are_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'halls.db'}"
    engine = init_db(url)
    raw = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))
    load_hall(engine, hall_of(raw), environ=PASSWORDS)
    raw["hall"]["code"] = "county1"
    raw["hall"].update(level="county", parent="demo")
    for device in raw["devices"]:
        device["id"] = f"c1-{device['id']}"[:40]
    load_hall(engine, hall_of(raw), environ=PASSWORDS)
    with pytest.raises(ExportError, match="several halls"):
        export_hall(engine)
    engine.dispose()
    assert main(["hall", "export", "--db", url]) == 2
    assert "--hall" in capsys.readouterr().err
    assert main(["hall", "export", "--db", url, "--hall", "county1"]) == 0
    out = capsys.readouterr().out
    exported = validate_data(tomllib.loads(out))
    assert isinstance(exported, HallFile), exported
    assert (exported.hall.code, exported.hall.level.value, exported.hall.parent) == (
        "county1",
        "county",
        "demo",
    )


def test_export_of_an_empty_database_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main(["hall", "export", "--db", url]) == 2
    assert "no hall tables" in capsys.readouterr().err
    make_engine(url).dispose()


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ("hall", "fax", "hall.fax: unknown key 'fax'"),
        ("departments", "abbreviation", "departments[0].abbreviation: unknown key 'abbreviation'"),
        ("services", "subtitle", "services[0].subtitle: unknown key 'subtitle'"),
        ("matters", "co_department", "did you mean 'co_departments'?"),
        ("devices", "location", "devices[0].location: unknown key 'location'"),
        ("staff", "password", "clear-text passwords are not allowed"),
    ],
)
def test_what_the_hall_file_does_not_keep_is_refused(section: str, key: str, message: str) -> None:
    raw = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))
    target = raw[section] if section == "hall" else raw[section][0]
    target[key] = "x"
    errors = validate_data(raw)
    assert isinstance(errors, list)
    assert any(message in str(e) for e in errors), errors


def test_a_hall_cannot_be_its_own_parent() -> None:
    raw = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))
    raw["hall"]["parent"] = raw["hall"]["code"]
    errors = validate_data(raw)
    assert isinstance(errors, list)
    assert [str(e) for e in errors] == ["hall.parent: a hall cannot be its own parent"]


@given(st.text(max_size=40), st.lists(st.text(max_size=8), max_size=3), st.dates())
def test_toml_text_reads_back_as_the_data(text: str, texts: list[str], day: date) -> None:
    """Quotes, backslashes, newlines, control characters and DEL survive (tomllib reads them back)."""
    data = {
        "schema_version": 1,
        "hall": {"name": text, "notice": "", "parent": None, "days": [day]},
        "matters": [{"code": "m", "materials": [{"code": "01", "note": text}], "tags": texts}],
        "supervision": {"pause_limits_min": {text or "x": 5}},
    }
    expected = {**data, "hall": {"name": text, "notice": "", "days": [day]}}
    assert tomllib.loads(dumps(data)) == expected
