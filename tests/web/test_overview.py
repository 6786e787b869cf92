"""The managers' overview over real HTTP (uvicorn, SQLite, the hall's fake clock): every window with its
ticket, masked staff and minutes; the waiting per service against its target; today's totals; each
device as it last reported. Only supervisors read it."""

from __future__ import annotations

import json

from queue_server.services.casework.models import CaseRequest
from tests.web.conftest import Web


def _status(state: str, boot: int, **health: str) -> bytes:
    return json.dumps(
        {"state": state, "boot": boot, "kind": "kiosk", "version": "1.2.0", "health": health}
    ).encode()


def test_the_overview_shows_windows_queues_totals_and_devices(web: Web) -> None:
    dh = web.dh
    dh.issue("A")
    dh.issue("A")
    dh.issue("C")
    dh.serve("1", "zhang")  # calls A001 to window 1 and starts it
    dh.open("3", "zhao")
    dh.services.pause(web.code, "3", "学习培训", actor=dh.staff("zhao"), request_id="p-3")
    dh.clock.advance(minutes=21)  # the A and C tickets have waited past their 20-minute target
    dh.services.record_device_status(web.code, "kiosk-1", _status("online", 7, printer="paper_near_end"))

    body = web.login("manager").get(f"/api/halls/{web.code}/overview").json()

    windows = {w["window"]: w for w in body["windows"]}
    assert windows["1"]["status"] == "serving"
    assert windows["1"]["ticket"] == "A001"
    assert windows["1"]["service"] == "A"
    assert windows["1"]["staff"] == "张*"  # masked as on the displays
    assert windows["1"]["staff_id"] == "zhang"
    assert windows["1"]["minutes"] == 21
    assert windows["3"]["status"] == "paused"
    assert windows["3"]["pause_reason"] == "学习培训"
    assert windows["3"]["minutes"] == 21
    assert windows["2"]["status"] == "closed"
    assert windows["2"]["minutes"] is None
    services = {s["code"]: s for s in body["services"]}
    assert (services["A"]["waiting"], services["A"]["longest_wait_min"]) == (1, 21)
    assert services["A"]["target_wait_min"] == 20
    assert services["A"]["over_target"] is True
    assert services["A"]["windows_open"] == 2  # windows 1 and 3 (paused is not closed)
    assert (services["B"]["waiting"], services["B"]["longest_wait_min"], services["B"]["over_target"]) == (
        0,
        None,
        False,
    )
    assert services["C"]["waiting"] == 1
    assert body["totals"] == {
        "issued": 3, "waiting": 2, "at_window": 1, "served": 0, "no_show": 0, "transferred": 0, "voided": 0,
    }  # fmt: skip
    devices = {d["id"]: d for d in body["devices"]}
    assert devices["kiosk-1"]["online"] is True
    assert (devices["kiosk-1"]["boot_count"], devices["kiosk-1"]["paper"]) == (7, "low")
    assert devices["kiosk-1"]["last_seen"] == dh.clock().timestamp()
    assert (devices["agent-1"]["state"], devices["agent-1"]["online"]) == ("unknown", False)
    assert devices["agent-1"]["window"] == "1"


def test_finished_visits_and_a_device_gone_offline_are_counted(web: Web) -> None:
    dh = web.dh
    dh.issue("A")
    dh.serve("1", "zhang")
    dh.finish("1", "zhang", CaseRequest(case_type="immediate"))
    dh.issue("A")
    dh.call("1", "zhang")
    dh.services.no_show(web.code, "1", actor=dh.staff("zhang"), request_id="x-1")
    dh.services.record_device_status(web.code, "kiosk-1", _status("online", 3, printer="ok"))
    dh.services.record_device_status(
        web.code, "kiosk-1", json.dumps({"state": "offline", "boot": 3}).encode()
    )

    body = web.login("manager").get(f"/api/halls/{web.code}/overview").json()

    assert body["totals"]["issued"] == 2
    assert body["totals"]["served"] == 1
    assert body["totals"]["no_show"] + body["totals"]["waiting"] == 1  # a no-show may go back to the queue
    kiosk = next(d for d in body["devices"] if d["id"] == "kiosk-1")
    assert (kiosk["state"], kiosk["online"], kiosk["boot_count"]) == ("offline", False, 3)
    window = next(w for w in body["windows"] if w["window"] == "1")
    assert (window["status"], window["ticket"], window["minutes"]) == ("idle", None, None)


def test_only_supervisors_read_the_overview(web: Web) -> None:
    url = f"/api/halls/{web.code}/overview"
    assert web.anonymous().get(url).status_code == 401
    assert web.login("zhang").get(url).status_code == 403
    assert web.login("manager").get(url).status_code == 200
