"""The hall's ``[policies]`` and staff rules through the HTTP API of a hall loaded from a hall file
(SQLite and PostgreSQL): an administrator reads and changes the policies (validated by the hall
file's model, every error with its field, audited with who changed it), and the running server applies
them from the next request: the per-ID limit, the elderly age and the priority classes, the no-show
policy, lunch-time duty (午间不休), staff bound to their department, and what a clerk may decide alone
(充分授权)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from harness.factories import PASSWORD, SHANGHAI, FakeClock, make_settings
from queue_server.api import create_app
from queue_server.halls import HallFile, validate_data
from queue_server.halls.loader import load_hall
from queue_server.services import Services
from queue_server.services.ports import Actor, Role
from queue_server.store import init_db
from queue_server.store.tables import Event

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

CODE = "pol"
BASE = f"/api/halls/{CODE}"
WEDNESDAY = datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI)
ID_1, ID_2 = "1" * 64, "2" * 64


def hall_file() -> HallFile:
    raw: dict[str, Any] = {
        "hall": {"code": CODE, "name": "策略测试大厅"},
        "hours": {d: ["09:00-12:00", "13:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
        "departments": [{"code": "civil", "name": "民政局"}, {"code": "market", "name": "市场监管局"}],
        "services": [{"code": "A", "name": "户籍业务"}, {"code": "B", "name": "企业开办"}],
        "windows": [
            {"number": "1", "department": "civil", "primary": ["A"]},
            {"number": "2", "department": "market", "primary": ["B"], "secondary": ["A"]},
            {"number": "3", "department": "civil", "primary": ["A", "B"]},
        ],
        "staff": [
            {"login": "admin", "name": "管理员", "role": "admin"},
            {"login": "manager", "name": "值班长", "role": "manager"},
            {"login": "zhang", "name": "张三", "department": "civil", "windows": ["1", "3"]},
            {"login": "li", "name": "李四", "department": "market"},
            {"login": "free", "name": "周五"},  # no department: any window
        ],
        "appointment_slots": [
            {"service": "A", "morning": 6, "afternoon": 7},
            {"service": "B", "morning": 6, "afternoon": 7},
        ],
        "devices": [
            {"id": "kiosk-1", "kind": "kiosk"},
            {"id": "agent-1", "kind": "window_agent", "window": "1"},
        ],
        "policies": {
            "lunch_windows": ["3"],
            "lunch_services": ["A"],
            "delegations": [
                {"role": "staff", "case_types": ["immediate", "supplement"], "decisions": ["immediate"]},
                {
                    "login": "li",
                    "case_types": ["immediate", "promised", "returned"],
                    "decisions": ["immediate", "receipt", "refuse"],
                },
            ],
        },
    }
    hall = validate_data(raw)
    assert isinstance(hall, HallFile), hall
    return hall


class Client:
    def __init__(self, client: TestClient, services: Services, clock: FakeClock) -> None:
        self.http = client
        self.services = services
        self.clock = clock
        self._tokens: dict[str, dict[str, str]] = {}
        self._n = 0

    def auth(self, login: str) -> dict[str, str]:
        if login not in self._tokens:
            body = {"hall": CODE, "login": login, "password": PASSWORD}
            reply = self.http.post("/api/auth/token", json=body)
            assert reply.status_code == 200, reply.text
            self.http.cookies.clear()
            self._tokens[login] = {"Authorization": f"Bearer {reply.json()['access_token']}"}
        self._n += 1
        return {**self._tokens[login], "Idempotency-Key": f"k-{self._n}"}

    def post(self, login: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.http.post(BASE + path, json=body or {}, headers=self.auth(login))

    def issue(self, **args: Any) -> Any:
        return self.post("manager", "/tickets", {"service": "A", **args})

    def open_window(self, login: str, window: str) -> None:
        for step in ("sign-in", "open"):
            reply = self.post(login, f"/windows/{window}/{step}")
            assert reply.status_code == 200, reply.text

    def serve(self, login: str, window: str) -> str:
        """Call the next ticket at the window and start it; its number."""
        called = self.post(login, f"/windows/{window}/next")
        assert called.status_code == 200, called.text
        assert self.post(login, f"/windows/{window}/start").status_code == 200
        number: str = called.json()["ticket"]["number"]
        return number

    def put_policies(self, **changes: Any) -> Any:
        current = self.http.get(BASE + "/policies", headers=self.auth("admin")).json()
        body = {"policies": {**current["policies"], **changes}, "etag": current["etag"]}
        return self.http.put(BASE + "/policies", json=body, headers=self.auth("admin"))


@pytest.fixture
def api(db_url: str) -> Iterator[Client]:
    engine = init_db(db_url)
    clock = FakeClock(WEDNESDAY)
    logins = [p.login for p in hall_file().staff]
    load_hall(engine, hall_file(), passwords=dict.fromkeys(logins, PASSWORD), now=clock())
    services = Services(engine, make_settings(hall=CODE, database_url=db_url), clock)
    with TestClient(create_app(services.settings, services)) as client:
        yield Client(client, services, clock)
    services.runner.wait_idle(10)
    engine.dispose()


def test_admins_read_and_change_the_policies_each_error_with_its_field(api: Client) -> None:
    read = api.http.get(BASE + "/policies", headers=api.auth("admin"))
    assert read.status_code == 200, read.text
    policies = read.json()["policies"]
    assert (policies["id_daily_limit"], policies["elderly_age"], policies["no_show"]) == (2, 60, "void")
    assert (policies["lunch_windows"], policies["lunch_services"]) == (["3"], ["A"])
    assert policies["delegations"][1]["login"] == "li"
    assert api.http.get(BASE + "/policies", headers=api.auth("manager")).status_code == 403
    assert api.put_policies(id_daily_limit=1).status_code == 200

    bad = api.put_policies(lunch_windows=["9"], elderly_age=20, delegations=[{"login": "nobody"}])
    assert bad.status_code == 422, bad.text
    fields = {e["path"] for e in bad.json()["data"]["errors"]}
    assert {"policies.elderly_age", "policies.delegations[0].case_types"} <= fields
    unknown = api.put_policies(lunch_windows=["9"], delegations=[])
    assert [e["path"] for e in unknown.json()["data"]["errors"]] == ["policies.lunch_windows[0]"]
    assert "9" in unknown.json()["data"]["errors"][0]["message"]  # the unknown window named

    saved = api.put_policies(id_daily_limit=3, no_show="requeue")
    assert saved.status_code == 200, saved.text
    changes = {c["field"]: (c["old"], c["new"]) for c in saved.json()["changes"]}
    assert changes == {"id_daily_limit": (1, 3), "no_show": ("void", "requeue")}
    stale = api.http.put(
        BASE + "/policies",
        json={"policies": policies, "etag": read.json()["etag"]},
        headers=api.auth("admin"),
    )
    assert stale.status_code == 409  # changed since it was read
    with Session(api.services.engine) as s:
        audit = s.exec(select(Event).where(Event.kind == "hall_section").order_by(col(Event.id))).all()
    assert [e.data["actor"] for e in audit] == ["admin:admin", "admin:admin"]
    assert audit[-1].data["section"] == "policies"
    history = api.http.get(f"{BASE}/admin/history?section=policies", headers=api.auth("admin")).json()
    newest = history[0]
    assert (newest["actor"], newest["version"]) == ("admin:admin", saved.json()["version"])


def test_the_changed_limit_age_classes_and_no_show_policy_apply_at_once(api: Client) -> None:
    assert api.issue(id_hash=ID_1).status_code == 200
    assert api.issue(id_hash=ID_1).status_code == 200
    assert api.issue(id_hash=ID_1).json()["code"] == "id_daily_limit"  # the default: 2
    aged_62 = date(1962, 6, 1)
    assert api.issue(birth_date=aged_62.isoformat()).json()["priority"] == "elderly"  # 60 and over
    policies = {"id_daily_limit": 1, "elderly_age": 65, "no_show": "requeue", "recalls_before_no_show": 1}
    saved = api.put_policies(**policies, priority_classes=["elderly", "disabled", "military"])
    assert saved.status_code == 200, saved.text

    assert api.issue(id_hash=ID_2).status_code == 200
    assert api.issue(id_hash=ID_2).json()["code"] == "id_daily_limit"
    assert api.issue(birth_date=aged_62.isoformat()).json()["priority"] is None  # 62 < 65
    pregnant = api.issue(priority="pregnant")
    assert (pregnant.status_code, pregnant.json()["detail"]) == (422, "本厅未设孕妇优先。")
    assert api.issue(priority="disabled").json()["priority"] == "disabled"

    api.open_window("zhang", "1")
    assert api.post("zhang", "/windows/1/next").status_code == 200
    early = api.post("zhang", "/windows/1/no-show")
    assert (early.status_code, early.json()["detail"]) == (409, "请先重呼1次再标记过号。")
    assert api.post("zhang", "/windows/1/recall").status_code == 200
    requeued = api.post("zhang", "/windows/1/no-show")
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["ticket"]["state"] == "waiting"  # requeue, not void
    assert api.put_policies(id_daily_limit=0).status_code == 200  # 0: no limit
    assert api.issue(id_hash=ID_2).status_code == 200


def test_lunch_duty_windows_and_services_serve_through_the_break(api: Client) -> None:
    api.clock.set(WEDNESDAY.replace(hour=11))
    a1 = api.issue().json()["number"]
    api.issue(service="B")
    api.open_window("zhang", "1")
    api.open_window("free", "3")
    api.clock.set(WEDNESDAY.replace(hour=12, minute=30))  # the lunch break
    resting = api.post("zhang", "/windows/1/next")
    assert (resting.status_code, resting.json()["detail"]) == (
        409,
        "午间休息时间，本窗口不在午间值班，不能叫号。",
    )
    assert api.issue().status_code == 200  # the kiosk issues A through the break
    assert api.serve("free", "3") == a1  # the duty window calls A
    assert api.post("free", "/windows/3/finish", {"outcome": None}).status_code == 200
    second = api.serve("free", "3")
    assert second.startswith("A")  # B waits since 11:00 but is not a lunch service
    api.post("free", "/windows/3/finish", {"outcome": None})
    assert api.post("free", "/windows/3/next").json()["code"] == "queue_empty"  # only B is left
    api.clock.set(WEDNESDAY.replace(hour=13, minute=30))
    assert api.serve("free", "3").startswith("B")  # the afternoon: every service again


def test_a_lunch_duty_service_offers_booking_slots_in_the_break(api: Client) -> None:
    def starts(service: str) -> list[str]:
        reply = api.http.get(
            BASE + "/appointments/slots", params={"service": service, "from": "2025-03-13", "days": 1}
        )
        assert reply.status_code == 200, reply.text
        [day] = reply.json()["days"]
        return [datetime.fromtimestamp(s["start"], SHANGHAI).strftime("%H:%M") for s in day["slots"]]

    lunch = ["12:00", "12:30", "13:00"]
    assert set(lunch) <= set(starts("A"))  # 30-minute slots through the break (午间不休)
    assert not set(lunch) & set(starts("B"))
    assert "13:30" in starts("B") and "11:30" in starts("B")


def test_staff_sign_in_only_at_their_departments_windows(api: Client) -> None:
    refused = api.post("li", "/windows/1/sign-in")  # li: market; window 1: civil
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "该窗口不属于您所在的部门，不能在此签到。",
    )
    assert api.post("li", "/windows/2/sign-in").status_code == 200
    assert api.post("free", "/windows/1/sign-in").status_code == 200  # no department: any window
    # An administrator's edit of the staff section keeps each person's department.
    url = f"{BASE}/admin/sections/staff"
    view = api.http.get(url, headers=api.auth("admin")).json()
    assert {p["login"]: p.get("department") for p in view["data"]}["li"] == "market"
    staff = [{**p, "name": "李四四"} if p["login"] == "li" else p for p in view["data"]]
    saved = api.http.put(url, json={"data": staff, "etag": view["etag"]}, headers=api.auth("admin"))
    assert saved.status_code == 200, saved.text
    assert api.post("li", "/windows/3/sign-in").status_code == 403  # still bound to market


def test_a_clerk_decides_alone_only_what_is_delegated(api: Client) -> None:
    for _ in range(4):
        api.issue()
    api.open_window("zhang", "1")
    api.serve("zhang", "1")
    refuse = {"case_type": "returned", "reasons": ["材料不符合法定形式"]}
    refused = api.post("zhang", "/windows/1/finish", refuse)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "您未获授权独立办结退回件（不予受理并说明理由），请报值班长审核办理。"
    assert refused.json()["data"]["decision"] == "refuse"
    promised = api.post("zhang", "/windows/1/finish", {"case_type": "promised"})
    assert promised.json()["data"]["decision"] == "receipt"
    # The window agent's keypad finishes for the person signed in at its window (the MQTT path's call).
    agent = Actor(Role.DEVICE, "agent-1", "1")
    with pytest.raises(Exception, match="未获授权"):
        api.services.finish(CODE, "1", "promised", actor=agent, request_id="agent-1")
    done = api.post("zhang", "/windows/1/finish", {"case_type": "immediate", "result": "当场办结"})
    assert done.status_code == 200, done.text
    # The manager on duty (值班长) decides what the clerk refers.
    api.serve("zhang", "1")
    assert api.post("manager", "/windows/1/finish", refuse).status_code == 200
    # A person's own delegation: li refuses with reasons alone.
    api.open_window("li", "2")
    api.serve("li", "2")
    assert api.post("li", "/windows/2/finish", refuse).status_code == 200
