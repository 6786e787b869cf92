"""Hall factories: a whole hall in two lines, for any test or benchmark that needs the real services.

    hall = build_hall(db_url)                                  # migrated DB + small hall + Services
    ticket = hall.issue("A")                                   # a TicketResult (unique request id)

API
- ``build_hall(url, *, code="hall1", clock=None, announcers=(), record=False, migrate=True,
  **hall_fields) -> HallFixture``: runs the migrations on ``url`` (any SQLAlchemy URL, e.g. ``db_url``),
  seeds the small hall below with ``seed_small_hall`` and builds ``Services`` (``record=True`` attaches
  ``hall.announcer``: every change then also builds the hall state). ``hall_fields`` override Hall columns
  (``no_show_policy="requeue"``, ``schedule={...}``, ``interleave_n=3`` …). Call ``hall.close()`` (or
  use the ``hall`` fixture of tests/conftest.py) to dispose the engine.
- ``HallFixture``: ``code``, ``hall_id``, ``engine``, ``services``, ``clock`` (a ``FakeClock``), ``settings``,
  ``announcer`` (a ``RecordingAnnouncer``, attached to the services when ``record=True``);
  ``issue(service="A", **TicketIssueArgs fields) -> TicketResult``;
  ``staff(login) -> Actor`` / ``manager`` / ``admin``; ``open_window(window, login)`` signs the person
  in and opens the window; ``rid()`` a fresh request id; ``services.<use case>(hall.code, ...)``.
- ``seed_small_hall(session, code, now, **hall_fields) -> Hall``: the data alone, in a caller's session.
- ``SharedDatabases(workdir, pg_admin_url=PG_ADMIN_URL)``: ``url("sqlite" | "postgresql")`` is a
  database migrated once per session; tests keep apart by hall code: ``build_hall(url,
  code=hall_code, migrate=False)`` (what the ``hall`` fixture of tests/conftest.py does).
  Filter rows by ``hall.hall_id``.
  The fixtures themselves (``db_url``, ``shared_url``, ``hall``, ``make_hall`` …) are in
  tests/conftest.py, offered to every test.
- ``FakeClock(start)``: ``clock()`` returns the current instant; ``advance(minutes=5)``; ``set(dt)``.
  Default start: Wednesday 2025-03-12 10:00 Asia/Shanghai, an ordinary working day.
- ``RecordingAnnouncer``: ``calls``, ``windows``, ``states`` lists of what the services announced.

The small hall ("测试市民大厅", always open unless ``schedule`` is given):
- departments ``civil`` 民政局, ``market`` 市场监管局;
- services ``A`` 户籍业务 (target 20 min, max wait 60), ``B`` 企业开办 (no max wait), ``C`` 社保业务;
  each with appointment capacity 4 per half-day;
- matters ``A01`` 户口迁移 (3 materials, immediate), ``B01`` 企业设立登记 (promised, 3 working days),
  ``C01`` 社保卡补办 — all published;
- windows ``1`` (A primary, C secondary), ``2`` (B, licensing), ``3`` (A, military priority),
  ``4`` (A, B, C equal weight; weekend + extended hours);
- staff (password ``PASSWORD``): ``admin`` (admin), ``manager`` (manager), ``zhang`` 张三 (qualified),
  ``zhao`` 赵六 (qualified), ``li`` 李四 (no qualification), ``wang`` 王五 (qualification expired),
  ``daoban`` 周导 (guide desk: role ``guide``);
- devices ``agent-1`` (window agent of window 1), ``kiosk-1`` (kiosk).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from harness.postgres import PG_ADMIN_URL, create_database, drop_database
from queue_server.protocol.messages import CallEvent, HallState, TicketIssueArgs, TicketResult, WindowState
from queue_server.services import Services
from queue_server.services.people.security import hash_password
from queue_server.services.ports import Actor, Role
from queue_server.settings import Settings
from queue_server.store import init_db, make_engine
from queue_server.store import tables as t

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_START = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)  # a Wednesday, a working day
PASSWORD = "correct horse battery"  # noqa: S105 (every seeded staff member's, in tests only)


class FakeClock:
    """An injectable clock that moves only when told to."""

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@dataclass
class RecordingAnnouncer:
    """Keeps every announcement, in order (an ``Announcer``)."""

    calls: list[CallEvent] = field(default_factory=list)
    windows: list[WindowState] = field(default_factory=list)
    states: list[HallState] = field(default_factory=list)

    def call_made(self, hall: str, call: CallEvent) -> None:
        self.calls.append(call)

    def window_changed(self, hall: str, window: WindowState) -> None:
        self.windows.append(window)

    def hall_changed(self, hall: str, state: HallState) -> None:
        self.states.append(state)


@cache
def password_hash(password: str = PASSWORD) -> str:
    # scrypt costs tens of milliseconds: hash each test password once per session.
    return hash_password(password)


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"environment": "development", "database_url": "sqlite://", "hall": "hall1"}
    # The printer simulators listen on loopback: the window-printer allow-list lets them in.
    values["printer_addresses"] = ["127.0.0.1"]
    values.update(overrides)
    return Settings(**values)


@dataclass
class HallFixture:
    code: str
    hall_id: int
    engine: Engine
    services: Services
    clock: FakeClock
    settings: Settings
    announcer: RecordingAnnouncer
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def rid(self) -> str:
        return f"req-{next(self._ids)}"

    def issue(
        self, service: str | None = "A", *, device_id: str | None = "kiosk-1", **args: Any
    ) -> TicketResult:
        issue_args = TicketIssueArgs(service=service, **args)
        return self.services.issue_ticket(self.code, issue_args, request_id=self.rid(), device_id=device_id)

    def staff(self, login: str) -> Actor:
        return Actor(Role.STAFF, login)

    @property
    def manager(self) -> Actor:
        return Actor(Role.MANAGER, "manager")

    @property
    def admin(self) -> Actor:
        return Actor(Role.ADMIN, "admin")

    def open_window(self, window: str, login: str) -> Actor:
        actor = self.staff(login)
        self.services.sign_in(self.code, window, actor=actor)
        self.services.open_window(self.code, window, actor=actor)
        return Actor(Role.STAFF, login, window)

    def close(self) -> None:
        # Writes still queued and hall states still owed are done before the database goes away.
        self.services.runner.wait_idle(10)
        self.engine.dispose()


def build_hall(
    url: str,
    *,
    code: str = "hall1",
    clock: FakeClock | None = None,
    announcers: tuple[Any, ...] = (),
    record: bool = False,
    migrate: bool = True,
    **hall_fields: Any,
) -> HallFixture:
    clock = clock or FakeClock()
    engine = init_db(url) if migrate else make_engine(url)
    with Session(engine) as session, session.begin():
        hall_id = _id(seed_small_hall(session, code, clock(), **hall_fields))
    settings = make_settings(hall=code)
    recorder = RecordingAnnouncer()
    services = Services(engine, settings, clock, (recorder, *announcers) if record else announcers)
    return HallFixture(code, hall_id, engine, services, clock, settings, recorder)


def seed_small_hall(session: Session, code: str, now: datetime, **hall_fields: Any) -> t.Hall:
    hall = t.Hall(
        code=code, name="测试市民大厅", tz="Asia/Shanghai", notice="请保管好您的号票。", created_at=now
    )
    for key, value in hall_fields.items():
        if not hasattr(hall, key):
            raise TypeError(f"Hall has no field {key!r}")
        setattr(hall, key, value)
    session.add(hall)
    session.flush()
    hid = _id(hall)
    civil = t.Department(hall_id=hid, code="civil", name="民政局")
    market = t.Department(hall_id=hid, code="market", name="市场监管局")
    session.add_all([civil, market])
    session.flush()
    a = t.Service(
        hall_id=hid, code="A", name="户籍业务", department_id=civil.id, position=0, appointment_capacity=4
    )
    b = t.Service(
        hall_id=hid, code="B", name="企业开办", department_id=market.id, max_wait_min=None, position=1,
        appointment_capacity=4,
    )  # fmt: skip
    c = t.Service(
        hall_id=hid, code="C", name="社保业务", department_id=civil.id, position=2, appointment_capacity=4
    )
    session.add_all([a, b, c])
    session.flush()
    _matter(session, hid, "A01", "户口迁移", a, civil, ["居民户口簿", "居民身份证", "准予迁入证明"])
    _matter(session, hid, "B01", "企业设立登记", b, market, ["设立登记申请书", "公司章程"], "promised", 3)
    _matter(session, hid, "C01", "社保卡补办", c, civil, ["居民身份证"])
    windows = {
        "1": t.Window(hall_id=hid, number="1", name="1号窗口", zone="A区", department_id=civil.id),
        "2": t.Window(
            hall_id=hid, number="2", name="2号窗口", zone="B区", department_id=market.id, licensing=True
        ),
        "3": t.Window(hall_id=hid, number="3", name="3号窗口", zone="A区", military_priority=True),
        "4": t.Window(hall_id=hid, number="4", name="4号窗口", zone="C区", weekend=True, extended_hours=True),
    }
    session.add_all(windows.values())
    session.flush()
    serves = {"1": [(a, 2), (c, 1)], "2": [(b, 2)], "3": [(a, 2)], "4": [(a, 1), (b, 1), (c, 1)]}
    for number, services in serves.items():
        for service, weight in services:
            session.add(
                t.WindowService(window_id=_id(windows[number]), service_id=_id(service), weight=weight)
            )
    far, past = date(2099, 12, 31), date(2020, 1, 1)
    people = [
        ("admin", "管理员", "admin", None, None),
        ("manager", "值班长", "manager", None, None),
        ("zhang", "张三", "staff", "ZF-001", far),
        ("zhao", "赵六", "staff", "ZF-002", far),
        ("li", "李四", "staff", None, None),
        ("wang", "王五", "staff", "ZF-003", past),
        ("daoban", "周导", "guide", None, None),  # the guide desk's clerk (导办台)
    ]
    for login, name, role, qualification, expires in people:
        session.add(
            t.Staff(
                hall_id=hid, login=login, name=name, role=role, password_hash=password_hash(),
                qualification_no=qualification, qualification_expires=expires,
            )
        )  # fmt: skip
    session.add(t.Device(hall_id=hid, device_id="agent-1", kind="window_agent", window_id=windows["1"].id))
    session.add(t.Device(hall_id=hid, device_id="kiosk-1", kind="kiosk"))
    session.flush()
    return hall


# What ``hall load`` derives with pypinyin (halls/loader.py), written out: the guide desk searches them.
_INITIALS = {"户口迁移": "hkqy", "企业设立登记": "qysldj", "社保卡补办": "sbkbb"}


def _matter(
    session: Session,
    hall_id: int,
    code: str,
    name: str,
    service: t.Service,
    department: t.Department,
    materials: list[str],
    case_type: str = "immediate",
    promised_days: int | None = None,
) -> None:
    matter = t.Matter(
        hall_id=hall_id,
        code=code,
        name=name,
        service_id=_id(service),
        department_id=department.id,
        published=True,
        case_type=case_type,
        content=f"{name}的办理内容。",
        legal_basis="《中华人民共和国行政许可法》",
        conditions="符合法定条件的申请人。",
        procedure="申请—受理—审查—决定—送达",
        promised_days=promised_days,
        fees="不收费",
        result=f"{name}结果文书",
        pinyin_initials=_INITIALS.get(name, ""),
    )
    session.add(matter)
    session.flush()
    for position, material in enumerate(materials):
        session.add(
            t.Material(
                matter_id=_id(matter), position=position, code=f"{code}-M{position + 1}", name=material
            )
        )


class SharedDatabases:
    """One migrated database per backend for a whole test session; tests keep apart by hall code.

    Every table is keyed by hall, so a test that builds its own hall (``build_hall(url, code=…,
    migrate=False)`` with the ``hall_code`` fixture) sees only its own rows, and skips the second or
    so that creating and migrating a PostgreSQL database costs on a busy machine. The migrations
    themselves are tested from an empty database in tests/store.
    """

    def __init__(self, workdir: Path, pg_admin_url: str = PG_ADMIN_URL) -> None:
        self.workdir = workdir
        self.pg_admin_url = pg_admin_url
        self._urls: dict[str, str] = {}
        self._pg_url: str | None = None

    def url(self, kind: str) -> str:
        if kind not in self._urls:
            if kind == "sqlite":
                url = f"sqlite:///{self.workdir / 'shared.db'}"
            else:
                url = self._pg_url = create_database("hallq_s", self.pg_admin_url)
            init_db(url).dispose()
            self._urls[kind] = url
        return self._urls[kind]

    def close(self) -> None:
        if self._pg_url is not None:
            drop_database(self._pg_url, self.pg_admin_url)


def _id(row: Any) -> int:
    assert isinstance(row.id, int)
    return row.id
