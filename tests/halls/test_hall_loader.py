"""Loading a hall file into SQLite and PostgreSQL: upsert by codes, versions, retirement, passwords."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, col, select

from queue_server.domain.schedule import issue_verdict
from queue_server.halls import DEMO_HALL_PATH, read_hall_file
from queue_server.halls.load_base import PRIMARY_WEIGHT, SECONDARY_WEIGHT
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.halls.schedule import hall_calendar, service_schedule
from queue_server.services.engine import rules
from queue_server.services.people.security import verify_password
from queue_server.store import tables as t
from tests.halls.conftest import hall_of

DEV_ENV = {DEMO_PASSWORD_ENV: "demo-password-1"}
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
HALL_TABLES: list[type[SQLModel]] = [
    t.Hall,
    t.Department,
    t.Service,
    t.Matter,
    t.Material,
    t.Window,
    t.WindowService,
    t.Staff,
    t.Device,
]


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with Session(engine) as s:
        return {
            table.__name__: sorted((row.model_dump() for row in s.exec(select(table))), key=repr)
            for table in HALL_TABLES
        }


def test_demo_hall_loads_and_a_second_load_changes_nothing(engine: Engine) -> None:
    demo = read_hall_file(DEMO_HALL_PATH)
    first = load_hall(engine, demo, environ=DEV_ENV, now=NOW)
    assert first.created["hall"] == 1
    assert first.created["matter"] == len(demo.matters)
    assert first.created["window"] == len(demo.windows)
    assert first.created["staff"] == len(demo.staff)
    assert first.created["device"] == len(demo.devices)
    assert first.generated_passwords == {}
    before = snapshot(engine)

    second = load_hall(engine, demo, environ={DEMO_PASSWORD_ENV: "another-password"}, now=NOW)

    assert not second.changed, second.summary()
    assert snapshot(engine) == before
    with Session(engine) as s:
        zhangli = s.exec(select(t.Staff).where(t.Staff.login == "zhangli")).one()
        assert verify_password("demo-password-1", zhangli.password_hash)
        assert zhangli.qualification_no == "示执（2023）第0001号"
        mahaijun = s.exec(select(t.Staff).where(t.Staff.login == "mahaijun")).one()
        assert mahaijun.qualification_no is None


def test_windows_services_and_devices_are_linked(engine: Engine) -> None:
    demo = read_hall_file(DEMO_HALL_PATH)
    load_hall(engine, demo, environ=DEV_ENV, now=NOW)
    with Session(engine) as s:
        services = {row.id: row.code for row in s.exec(select(t.Service))}
        windows = {row.number: row for row in s.exec(select(t.Window))}
        four = windows["4"]
        assert four.name == "军人优先窗口"
        assert four.military_priority and not four.licensing
        links = s.exec(select(t.WindowService).where(t.WindowService.window_id == four.id)).all()
        assert {services[ln.service_id]: ln.weight for ln in links} == {
            "A": PRIMARY_WEIGHT,
            "B": SECONDARY_WEIGHT,
            "C": SECONDARY_WEIGHT,
            "F": SECONDARY_WEIGHT,
        }
        assert windows["11"].extended_hours and windows["15"].weekend and windows["6"].licensing
        agent = s.exec(select(t.Device).where(t.Device.device_id == "demo-win-5-agent")).one()
        assert (agent.kind, agent.window_id) == ("window_agent", windows["5"].id)
        kiosk = s.exec(select(t.Device).where(t.Device.device_id == "demo-kiosk-1")).one()
        assert kiosk.window_id is None
        matter = s.exec(select(t.Matter).where(t.Matter.code == "scjg-001")).one()
        assert matter.pinyin_initials == "gtgshsldj"  # 个体工商户设立登记
        materials = s.exec(
            select(t.Material).where(t.Material.matter_id == matter.id).order_by(col(t.Material.position))
        ).all()
        assert [m.name for m in materials][:2] == ["个体工商户登记（备案）申请书", "经营者身份证件"]
        assert materials[1].note == "原件及复印件"
        assert not materials[3].required


MOMENTS = [
    datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),  # Monday
    datetime(2026, 3, 2, 12, 30, tzinfo=ZoneInfo("Asia/Shanghai")),  # lunch break
    datetime(2026, 3, 2, 16, 50, tzinfo=ZoneInfo("Asia/Shanghai")),  # past D's 45 min cut-off only
    datetime(2026, 3, 2, 17, 10, tzinfo=ZoneInfo("Asia/Shanghai")),  # past every cut-off
    datetime(2026, 3, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),  # Saturday
    datetime(2026, 10, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),  # National Day, a Thursday
    datetime(2026, 10, 11, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")),  # a Sunday
]


def test_the_server_reads_the_stored_hours_as_the_file_means_them(engine: Engine) -> None:
    """queue_server.services.rules turns the stored rows into schedules: same verdicts as the file's."""
    demo = read_hall_file(DEMO_HALL_PATH)
    load_hall(engine, demo, environ=DEV_ENV, now=NOW)
    with Session(engine) as s:
        hall = s.exec(select(t.Hall).where(t.Hall.code == "demo")).one()
        for row in s.exec(select(t.Service).where(t.Service.hall_id == hall.id)):
            stored = rules.service_schedule(row, hall)
            assert stored is not None
            assert stored.extended == service_schedule(demo, row.code).extended
            for moment in MOMENTS:
                from_db = issue_verdict(stored, rules.hall_calendar(hall), moment)
                from_file = issue_verdict(service_schedule(demo, row.code), hall_calendar(demo), moment)
                assert from_db == from_file, (row.code, moment)


def test_a_changed_matter_gets_a_new_version_and_the_old_one_is_unpublished(
    engine: Engine, small_raw: dict[str, Any]
) -> None:
    load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    small_raw["matters"][0]["fees"] = "不收费（2026年起）。"
    small_raw["matters"][1]["materials"][0]["required"] = False
    report = load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    code0, code1 = small_raw["matters"][0]["code"], small_raw["matters"][1]["code"]
    assert report.new_matter_versions == {code0: 2, code1: 2}
    assert report.updated["matter"] == 2
    with Session(engine) as s:
        rows = s.exec(select(t.Matter).where(t.Matter.code == code0).order_by(col(t.Matter.version))).all()
        assert [(r.version, r.published, r.fees) for r in rows] == [
            (1, False, "不收费。"),
            (2, True, "不收费（2026年起）。"),
        ]
        v2_materials = s.exec(select(t.Material).where(t.Material.matter_id == rows[1].id)).all()
        assert len(v2_materials) == len(small_raw["matters"][0]["materials"])
        published = s.exec(select(t.Matter).where(col(t.Matter.published))).all()
        assert len(published) == len(small_raw["matters"])
    assert not load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW).changed


def test_unpublishing_is_not_a_new_version(engine: Engine, small_raw: dict[str, Any]) -> None:
    load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    small_raw["matters"][2]["published"] = False
    report = load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    assert report.new_matter_versions == {}
    assert report.updated["matter"] == 1
    with Session(engine) as s:
        rows = s.exec(select(t.Matter).where(t.Matter.code == small_raw["matters"][2]["code"])).all()
        assert [(r.version, r.published) for r in rows] == [(1, False)]


def test_what_leaves_the_file_is_retired_not_deleted(engine: Engine, small_raw: dict[str, Any]) -> None:
    load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    # Service G goes: its matters, its slot capacity, and the windows' links to it.
    small_raw["matters"] = [m for m in small_raw["matters"] if m["service"] != "G"]
    small_raw["appointment_slots"] = [a for a in small_raw["appointment_slots"] if a["service"] != "G"]
    small_raw["services"] = [sv for sv in small_raw["services"] if sv["code"] != "G"]
    for window in small_raw["windows"]:
        window["primary"] = [c for c in window.get("primary", []) if c != "G"] or ["E"]
        window["secondary"] = [c for c in window.get("secondary", []) if c != "G"]
    small_raw["staff"] = [p for p in small_raw["staff"] if p["login"] != "admin"]
    small_raw["devices"] = [d for d in small_raw["devices"] if d["id"] != "demo-kiosk-2"]

    report = load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)

    assert report.retired["service"] == 1
    assert report.retired["matter"] == 3
    assert report.retired["staff"] == 1
    assert report.retired["device"] == 1
    with Session(engine) as s:
        g = s.exec(select(t.Service).where(t.Service.code == "G")).one()
        assert not g.active
        assert not s.exec(select(t.WindowService).where(t.WindowService.service_id == g.id)).all()
        g_matters = s.exec(select(t.Matter).where(t.Matter.service_id == g.id)).all()
        assert len(g_matters) == 3 and not any(m.published for m in g_matters)
        assert not s.exec(select(t.Staff).where(t.Staff.login == "admin")).one().active
        assert s.exec(select(t.Device).where(t.Device.device_id == "demo-kiosk-2")).first() is None


def test_passwords_are_set_once_for_newcomers(engine: Engine, small_raw: dict[str, Any]) -> None:
    first = load_hall(
        engine, hall_of(small_raw), passwords={"zhangli": "zhangli-initial-1"}, environ={}, now=NOW
    )
    assert set(first.generated_passwords) == {"admin", "liuyang", "zhaolei"}
    small_raw["staff"].append(
        {"login": "newbie", "name": "新人", "windows": ["1"], "password_env": "PW_NEWBIE"}
    )
    second = load_hall(
        engine,
        hall_of(small_raw),
        passwords={"zhangli": "something-else-1"},
        environ={"PW_NEWBIE": "newbie-initial-1"},
        now=NOW,
    )
    assert second.created["staff"] == 1 and second.generated_passwords == {}
    with Session(engine) as s:
        hashes = {p.login: p.password_hash for p in s.exec(select(t.Staff))}
    assert verify_password("zhangli-initial-1", hashes["zhangli"])
    assert not verify_password("something-else-1", hashes["zhangli"])
    assert verify_password("newbie-initial-1", hashes["newbie"])
    assert verify_password(first.generated_passwords["admin"], hashes["admin"])


def test_in_a_callers_session_nothing_is_committed_for_it(engine: Engine, small_raw: dict[str, Any]) -> None:
    with Session(engine) as s:
        report = load_hall(s, hall_of(small_raw), environ=DEV_ENV, now=NOW)
        assert report.hall_id > 0
        s.rollback()
    with Session(engine) as s:
        assert s.exec(select(t.Hall)).first() is None
