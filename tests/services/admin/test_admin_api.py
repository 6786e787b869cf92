"""The administrators' pages' API on the demo hall: who may use it, every refused field named, and
each edit taken up by the running server at once (issue, call, sign-in, hours, thresholds)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlmodel import Session, select

from queue_server.errors import QueueEmptyError, RefusedError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.ports import Actor, Role
from queue_server.store import tables as t
from queue_server.store.tables.audit import RequestLog

from .conftest import HALL, DemoApi


def _put(api: DemoApi, name: str, data: Any, headers: dict[str, str], etag: str | None = None) -> Any:
    return api.client.put(f"{api.base}/sections/{name}", json={"data": data, "etag": etag}, headers=headers)


def _errors(reply: Any) -> dict[str, str]:
    assert reply.status_code == 422, reply.text
    return {e["path"]: e["message"] for e in reply.json()["data"]["errors"]}


@pytest.mark.parametrize("login", ["wangfang", "zhangli", "zhoudao"])
def test_staff_managers_and_the_guide_desk_cannot_administer(demo_api: DemoApi, login: str) -> None:
    headers = demo_api.token(login)
    admin = demo_api.token("admin")
    services = demo_api.section("services", admin)["data"]
    assert demo_api.client.get(f"{demo_api.base}/sections/services", headers=headers).status_code == 403
    assert _put(demo_api, "services", services, headers).status_code == 403
    create = {"login": "intruder", "name": "某人", "password": "long enough 1"}
    assert demo_api.client.post(f"{demo_api.base}/staff", json=create, headers=headers).status_code == 403
    reset = demo_api.client.post(f"{demo_api.base}/staff/wangfang/password", json={}, headers=headers)
    assert reset.status_code == 403
    assert demo_api.client.get(f"{demo_api.base}/history", headers=headers).status_code == 403
    assert demo_api.client.get(f"{demo_api.base}/sections/services").status_code == 401


def test_a_daily_cap_edited_is_what_the_kiosk_issue_path_refuses_past(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    view = demo_api.section("services", admin)
    services = copy.deepcopy(view["data"])
    assert services[1]["code"] == "B"
    services[1]["daily_cap"] = 1
    reply = _put(demo_api, "services", services, admin, etag=str(view["etag"]))
    assert reply.status_code == 200, reply.text
    saved = reply.json()
    assert saved["changes"] == [{"item": "B", "field": "daily_cap", "old": 200, "new": 1}]
    assert saved["view"]["etag"] != view["etag"]
    demo_api.issue("B")
    with pytest.raises(RefusedError) as refused:
        demo_api.issue("B")
    assert refused.value.code is ErrorCode.DAILY_CAP_REACHED
    # Audited: who, when, what; the event's id is the section's version.
    history = demo_api.client.get(f"{demo_api.base}/history?section=services", headers=admin).json()
    assert history[0]["version"] == saved["version"]
    assert history[0]["actor"] == "admin:admin"
    assert history[0]["changes"] == saved["changes"]
    # The same version again (a stale etag) is refused, not applied over the newer one.
    stale = _put(demo_api, "services", services, admin, etag=str(view["etag"]))
    assert stale.status_code == 409


def test_every_refused_field_is_named_and_nothing_is_written(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    view = demo_api.section("services", admin)
    services = copy.deepcopy(view["data"])
    services[0]["daily_cap"] = 0
    services[2]["max_wait_min"] = 1
    errors = _errors(_put(demo_api, "services", services, admin))
    assert "services[0].daily_cap" in errors
    assert "services[2].max_wait_min" in errors
    windows = demo_api.section("windows", admin)["data"]
    windows[0]["primary"] = ["Z"]
    errors = _errors(_put(demo_api, "windows", windows, admin))
    assert errors["windows[0].primary[0]"].startswith("未知的业务“Z”")
    # A service that matters still point at cannot leave the hall: the matter's reference is named.
    kept = [s for s in view["data"] if s["code"] != "B"]
    errors = _errors(_put(demo_api, "services", kept, admin))
    assert any(path.startswith("matters[") and path.endswith(".service") for path in errors)
    assert demo_api.section("services", admin)["etag"] == view["etag"]


def test_calls_follow_the_window_services_edited(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    actor = Actor(Role.STAFF, "wangfang")
    demo_api.services.sign_in(HALL, "1", actor=actor)
    demo_api.services.open_window(HALL, "1", actor=actor)
    at_window = Actor(Role.STAFF, "wangfang", "1")
    ticket = demo_api.issue("A")
    windows = demo_api.section("windows", admin)["data"]
    original = copy.deepcopy(windows)
    assert windows[0]["number"] == "1"
    windows[0]["primary"], windows[0]["secondary"] = ["B"], []
    assert _put(demo_api, "windows", windows, admin).status_code == 200
    with pytest.raises(QueueEmptyError):
        demo_api.services.call_next(HALL, "1", actor=at_window, request_id="c-1")
    assert demo_api.services.device_configs(HALL)["demo-win-1-agent"].services == ["B"]
    assert _put(demo_api, "windows", original, admin).status_code == 200
    called = demo_api.services.call_next(HALL, "1", actor=at_window, request_id="c-2")
    assert called.call is not None
    assert called.call.ticket_id == ticket.ticket_id
    assert demo_api.services.device_configs(HALL)["demo-win-1-agent"].services == ["A", "B"]


def test_a_new_account_signs_in_with_its_one_time_password_never_stored(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    person = {"login": "xinren", "name": "辛仁", "role": "staff", "windows": ["1"]}
    reply = demo_api.client.post(f"{demo_api.base}/staff", json=person, headers=admin)
    assert reply.status_code == 200, reply.text
    password = reply.json()["password"]["one_time_password"]
    assert password
    first = {"hall": HALL, "login": "xinren", "password": password}
    login = demo_api.client.post("/api/auth/token", json=first)
    assert login.status_code == 200, login.text
    assert login.json()["staff"]["must_change_password"] is True
    with Session(demo_api.engine) as session:
        stored = [str(e.data) for e in session.exec(select(t.Event))]
        stored += [str(r.response) for r in session.exec(select(RequestLog))]
    assert not [text for text in stored if password in text]
    # A reset: the typed password works, the old one no more.
    reset = demo_api.client.post(
        f"{demo_api.base}/staff/xinren/password", json={"password": "typed by admin 1"}, headers=admin
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["one_time_password"] is None
    demo_api.token("xinren", "typed by admin 1")
    # Deactivated: signed out everywhere, and no sign-in.
    token = demo_api.token("xinren", "typed by admin 1")
    gone = demo_api.client.post(f"{demo_api.base}/staff/xinren/deactivate", headers=admin)
    assert gone.status_code == 200, gone.text
    assert demo_api.client.get("/api/auth/me", headers=token).status_code == 401
    again = {"hall": HALL, "login": "xinren", "password": "typed by admin 1"}
    assert demo_api.client.post("/api/auth/token", json=again).status_code == 401


def test_staff_edits_name_their_fields(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    staff = demo_api.section("staff", admin)["data"]
    index = [p["login"] for p in staff].index("wangfang")
    bad = {"name": "王芳", "role": "boss", "windows": ["1"]}
    errors = _errors(demo_api.client.put(f"{demo_api.base}/staff/wangfang", json=bad, headers=admin))
    assert list(errors) == [f"staff[{index}].role"]
    bad = {"name": "王芳", "role": "staff", "windows": ["1", "99"]}
    errors = _errors(demo_api.client.put(f"{demo_api.base}/staff/wangfang", json=bad, headers=admin))
    assert errors[f"staff[{index}].windows[1]"].startswith("未知的窗口“99”")
    me = demo_api.client.post(f"{demo_api.base}/staff/admin/deactivate", headers=admin)
    assert "staff[0].login" in _errors(me)
    taken = {"login": "wangfang", "name": "又一个", "password": "long enough 1"}
    errors = _errors(demo_api.client.post(f"{demo_api.base}/staff", json=taken, headers=admin))
    assert f"staff[{len(staff)}].login" in errors
    good = {"name": "王芳", "role": "staff", "department": "spj", "windows": ["18"]}
    saved = demo_api.client.put(f"{demo_api.base}/staff/wangfang", json=good, headers=admin)
    assert saved.status_code == 200, saved.text
    change = {"item": "wangfang", "field": "windows", "old": ["1", "18"], "new": ["18"]}
    assert saved.json()["changes"] == [change]


def test_the_schedule_follows_the_hours_edited(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    demo_api.issue("A")  # Wednesday 10:00: open
    hours = demo_api.section("hours", admin)["data"]
    hours["wed"] = ["14:00-17:00"]
    errors = _errors(_put(demo_api, "hours", {**hours, "wed": ["17:00-14:00"]}, admin))
    assert "hours.wed[0]" in errors
    assert _put(demo_api, "hours", hours, admin).status_code == 200
    with pytest.raises(RefusedError) as closed:
        demo_api.issue("A")
    assert closed.value.code is ErrorCode.SERVICE_CLOSED
    hours["extra_holidays"] = ["2025-03-12"]
    hours["wed"] = ["09:00-12:00", "13:30-17:30"]
    assert _put(demo_api, "hours", hours, admin).status_code == 200
    with pytest.raises(RefusedError):
        demo_api.issue("B")  # a holiday now; B is no weekend service
    year = demo_api.client.get(f"{demo_api.base}/calendar?year=2025", headers=admin).json()
    assert "2025-03-12" in year["holidays"]
    assert year["source"] == "official"


def test_thresholds_are_validated_and_applied(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    supervision = demo_api.section("supervision", admin)["data"]
    errors = _errors(_put(demo_api, "supervision", {**supervision, "max_pause_min": 0}, admin))
    assert list(errors) == ["supervision.max_pause_min"]
    errors = _errors(_put(demo_api, "supervision", {**supervision, "max_pause": 5}, admin))
    assert "supervision.max_pause" in errors
    assert _put(demo_api, "supervision", {**supervision, "max_pause_min": 33}, admin).status_code == 200
    booking = demo_api.section("booking", admin)["data"]
    assert "booking.days_ahead" in _errors(_put(demo_api, "booking", {**booking, "days_ahead": 100}, admin))
    assert _put(demo_api, "booking", {**booking, "days_ahead": 7}, admin).status_code == 200
    with Session(demo_api.engine) as session:
        hall = session.exec(select(t.Hall).where(t.Hall.code == HALL)).one()
        supervision_row = session.get(t.HallSupervision, hall.id)
        booking_row = session.get(t.HallBooking, hall.id)
    assert supervision_row is not None and supervision_row.max_pause_min == 33
    assert booking_row is not None and booking_row.days_ahead == 7


def test_displays_are_told_the_hall_and_windows_as_edited(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    services = demo_api.section("services", admin)["data"]
    services[1]["name"] = "市场主体登记（新）"
    assert _put(demo_api, "services", services, admin).status_code == 200
    demo_api.services.runner.wait_idle(10)
    state = demo_api.announcer.states[-1]
    assert [s.name for s in state.services if s.code == "B"] == ["市场主体登记（新）"]
    assert state.open
    assert {w.window for w in demo_api.announcer.windows} >= {"1", "19"}
    hours = demo_api.section("hours", admin)["data"]
    hours["wed"] = ["14:00-17:00"]
    assert _put(demo_api, "hours", hours, admin).status_code == 200
    demo_api.services.runner.wait_idle(10)
    assert not demo_api.announcer.states[-1].open  # Wednesday 10:00: closed now
