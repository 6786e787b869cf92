"""The hall file's hall, device and service fields where people read them, over real HTTP (uvicorn,
SQLite): the hall API (names, address, phone, level, parent), the citizen page's footer, the device's
name in the managers' overview and device status."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from queue_server.store import tables as t
from tests.services.helpers import citizen_token
from tests.web.conftest import Web

ADDRESS = "测试市新城区政务大道1号"
PHONE = "0954-12345"


def _set_hall(web: Web, **values: object) -> None:
    with Session(web.dh.hall.engine) as session, session.begin():
        hall = session.exec(select(t.Hall).where(t.Hall.code == web.code)).one()
        for key, value in values.items():
            setattr(hall, key, value)
        session.add(hall)


def test_the_hall_api_describes_the_hall_and_its_place(web: Web) -> None:
    _set_hall(web, short_name="测试大厅", address=ADDRESS, phone=PHONE, level="county", parent="shi")
    anyone = web.anonymous()
    body = anyone.get(f"/api/halls/{web.code}").json()
    assert body == {
        "code": web.code, "name": "测试市民大厅", "short_name": "测试大厅", "tz": "Asia/Shanghai",
        "address": ADDRESS, "phone": PHONE, "level": "county", "parent": "shi", "parent_name": None,
    }  # fmt: skip
    # A parent hall in the same database is named; one elsewhere stays a code (by design).
    with Session(web.dh.hall.engine) as session, session.begin():
        session.add(t.Hall(code="shi", name="测试市政务服务中心", created_at=datetime.now(UTC)))
    assert anyone.get(f"/api/halls/{web.code}").json()["parent_name"] == "测试市政务服务中心"


def test_the_citizen_page_gives_the_halls_address_and_phone(web: Web) -> None:
    _set_hall(web, address=ADDRESS, phone=PHONE)
    token = citizen_token(web.dh.issue("A"))
    body = web.anonymous().get(f"/api/citizen/{token}").json()
    assert (body["hall_address"], body["hall_phone"]) == (ADDRESS, PHONE)
    page = web.anonymous().get(f"/t/{token}").text
    assert 'id="hall-contact"' in page  # filled by citizen.js from the JSON above


def test_the_managers_see_each_devices_name(web: Web) -> None:
    with Session(web.dh.hall.engine) as session, session.begin():
        session.add(
            t.Device(hall_id=web.dh.hall.hall_id, device_id="kiosk-9", kind="kiosk", name="大厅东侧1号取号机")
        )
    manager = web.login("manager")
    overview = manager.get(f"/api/halls/{web.code}/overview").json()
    named = {d["id"]: d["name"] for d in overview["devices"]}
    assert named["kiosk-9"] == "大厅东侧1号取号机"
    status = manager.get(f"/api/halls/{web.code}/devices/status").json()
    assert {d["id"]: d["name"] for d in status["devices"]}["kiosk-9"] == "大厅东侧1号取号机"
