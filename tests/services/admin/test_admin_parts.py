"""The hall's own table, departments, appointment capacities and devices edited on the administrators'
pages: who may, every refused field named (in Chinese, the validator's English kept as ``detail``),
and the running server following each edit (the managers' overview, device configs, booking)."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import HALL, DemoApi

TZ = ZoneInfo("Asia/Shanghai")


def _put(api: DemoApi, name: str, data: Any, headers: dict[str, str]) -> Any:
    return api.client.put(f"{api.base}/sections/{name}", json={"data": data}, headers=headers)


def _errors(reply: Any) -> dict[str, dict[str, str]]:
    assert reply.status_code == 422, reply.text
    return {e["path"]: e for e in reply.json()["data"]["errors"]}


def _saved(reply: Any) -> list[dict[str, Any]]:
    assert reply.status_code == 200, reply.text
    changes: list[dict[str, Any]] = reply.json()["changes"]
    return changes


@pytest.mark.parametrize("section", ["hall", "departments", "appointment_slots", "devices"])
def test_only_administrators_read_and_change_them(demo_api: DemoApi, section: str) -> None:
    admin = demo_api.token("admin")
    data = demo_api.section(section, admin)["data"]
    for login in ("zhangli", "wangfang"):
        headers = demo_api.token(login)
        assert demo_api.client.get(f"{demo_api.base}/sections/{section}", headers=headers).status_code == 403
        assert _put(demo_api, section, data, headers).status_code == 403
    assert _saved(_put(demo_api, section, data, admin)) == []  # the same version: nothing changed


def test_the_hall_table_is_edited_but_not_its_code_or_time_zone(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    hall = demo_api.section("hall", admin)["data"]
    assert hall["code"] == HALL
    errors = _errors(_put(demo_api, "hall", {**hall, "code": "other", "tz": "Europe/Paris"}, admin))
    assert set(errors) == {"hall.code", "hall.tz"}
    errors = _errors(_put(demo_api, "hall", {**hall, "level": "village", "phone": "1" * 41}, admin))
    assert errors["hall.level"]["message"] == "取值无效，可选：city、county、township"
    assert errors["hall.level"]["detail"].startswith("Input should be 'city'")
    assert errors["hall.phone"]["message"] == "不能超过40个字"
    errors = _errors(_put(demo_api, "hall", {**hall, "parent": HALL}, admin))
    assert errors["hall.parent"]["message"] == "上级大厅不能是本厅"
    edited = {k: v for k, v in hall.items() if k not in ("code", "tz")}  # read-only keys may be left out
    edited.update(name="示范市民中心", address="新城区政务大道2号", level="county", parent="city-hall")
    changes = _saved(_put(demo_api, "hall", edited, admin))
    assert {c["field"] for c in changes} == {"name", "address", "level", "parent"}
    manager = demo_api.token("zhangli")
    overview = demo_api.client.get(f"/api/halls/{HALL}/overview", headers=manager).json()
    assert overview["hall_name"] == "示范市民中心"
    assert demo_api.services.device_configs(HALL)["demo-kiosk-1"].hall_name == "示范市民中心"
    demo_api.services.runner.wait_idle(10)
    assert demo_api.announcer.states[-1].hall_name == "示范市民中心"


def test_departments_are_renamed_and_added_never_removed(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    departments = demo_api.section("departments", admin)["data"]
    assert departments[0]["code"] == "spj"
    errors = _errors(_put(demo_api, "departments", departments[1:], admin))
    assert "departments[0].code" in errors
    bad = [*copy.deepcopy(departments), {"code": "Tax Bureau", "name": ""}]
    errors = _errors(_put(demo_api, "departments", bad, admin))
    n = len(departments)
    assert errors[f"departments[{n}].code"]["message"].startswith("“Tax Bureau”须以小写字母开头")
    assert errors[f"departments[{n}].name"]["message"] == "不能为空"
    departments[0]["short_name"] = "审批局"
    departments.append({"code": "tax", "name": "示范市税务局", "short_name": "税务局"})
    changes = _saved(_put(demo_api, "departments", departments, admin))
    assert {"item": "spj", "field": "short_name", "old": "审批服务局", "new": "审批局"} in changes
    # Window 1 is the approval bureau's: its display names the department as a narrow screen does.
    assert demo_api.services.device_configs(HALL)["demo-win-1-display"].department == "审批局"
    windows = demo_api.section("windows", admin)["data"]
    windows[0]["department"] = "tax"  # the new department is known; its people are not the bureau's
    errors = _errors(_put(demo_api, "windows", windows, admin))
    assert "windows[0].department" not in errors
    assert "窗口 1 属于部门 tax，不属于 spj" in {e["message"] for e in errors.values()}


def test_a_device_renamed_shows_in_the_managers_overview(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    devices = demo_api.section("devices", admin)["data"]
    index = {d["id"]: i for i, d in enumerate(devices)}
    bad = copy.deepcopy(devices)
    bad[index["demo-win-1-display"]]["window"] = None
    bad[index["demo-kiosk-2"]]["services"] = ["D", "Z"]
    bad[index["demo-kiosk-1"]]["printer"] = "lpt1"
    errors = _errors(_put(demo_api, "devices", bad, admin))
    assert errors[f"devices[{index['demo-win-1-display']}].window"]["message"] == "窗口设备须填写所属窗口"
    unknown = errors[f"devices[{index['demo-kiosk-2']}].services[1]"]
    assert unknown["message"].startswith("未知的业务“Z”")
    assert unknown["detail"].startswith("unknown service 'Z'")
    assert errors[f"devices[{index['demo-kiosk-1']}].printer"]["message"].startswith("“lpt1”请写作 tcp://")
    devices[index["demo-kiosk-1"]]["name"] = "东门取号机"
    devices[index["demo-kiosk-2"]]["services"] = ["D"]
    gone = devices.pop(index["demo-hall-display"])
    changes = _saved(_put(demo_api, "devices", devices, admin))
    assert {
        "item": "demo-kiosk-1",
        "field": "name",
        "old": "大厅东侧1号取号机",
        "new": "东门取号机",
    } in changes
    assert {"item": gone["id"], "field": "", "old": gone, "new": None} in changes
    manager = demo_api.token("zhangli")
    listed = demo_api.client.get(f"/api/halls/{HALL}/overview", headers=manager).json()["devices"]
    names = {d["id"]: d["name"] for d in listed}
    assert names["demo-kiosk-1"] == "东门取号机"
    assert gone["id"] not in names
    assert demo_api.services.device_configs(HALL)["demo-kiosk-2"].services == ["D"]


def _offered(api: DemoApi, service: str) -> dict[str, int]:
    """Places left per half-day over the next days: {"am": n, "pm": n}."""
    reply = api.client.get(f"/api/halls/{HALL}/appointments/slots", params={"service": service, "days": 7})
    assert reply.status_code == 200, reply.text
    out = {"am": 0, "pm": 0}
    for day in reply.json()["days"]:
        for slot in day["slots"]:
            half = "am" if datetime.fromtimestamp(slot["start"], TZ).hour < 12 else "pm"
            out[half] += slot["left"]
    return out


def test_appointment_capacities_are_the_slots_the_booking_page_offers(demo_api: DemoApi) -> None:
    admin = demo_api.token("admin")
    slots = demo_api.section("appointment_slots", admin)["data"]
    assert "A" not in demo_api.client.get(f"/api/halls/{HALL}/appointments/services").json()
    before = _offered(demo_api, "B")
    assert before["am"] > 0 and before["pm"] > 0
    index = [s["service"] for s in slots].index("B")
    bad = [*copy.deepcopy(slots), {"service": "C", "morning": -1}, {"service": "Z", "morning": 1}]
    errors = _errors(_put(demo_api, "appointment_slots", bad, admin))
    assert errors[f"appointment_slots[{len(slots)}].morning"]["message"] == "不能小于 0"
    assert errors[f"appointment_slots[{len(slots) + 1}].service"]["message"].startswith("未知的业务“Z”")
    slots[index]["morning"] = 0  # B: afternoons only
    slots.append({"service": "A", "morning": 4, "afternoon": 0, "rest_day": 0})
    changes = _saved(_put(demo_api, "appointment_slots", slots, admin))
    assert {"item": "B", "field": "morning", "old": 15, "new": 0} in changes
    after = _offered(demo_api, "B")
    assert after["am"] == 0
    assert after["pm"] == before["pm"]
    assert "A" in demo_api.client.get(f"/api/halls/{HALL}/appointments/services").json()
    offered_a = _offered(demo_api, "A")
    assert offered_a["am"] > 0 and offered_a["pm"] == 0
