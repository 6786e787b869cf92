"""The supervision routes: managers and administrators only, problems with their codes, the exact
shapes the managers' pages read (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.api.conftest import Api


def test_only_managers_read_and_acknowledge_alerts(api: Api) -> None:
    hall = api.hall
    zhang = api.token("zhang")
    manager = api.token("manager")
    assert api.client.get(f"{api.base}/alerts").status_code == 401
    refused = api.client.get(f"{api.base}/alerts", headers=zhang)
    assert (refused.status_code, refused.json()["code"]) == (403, "not_authorized")
    assert api.client.get(f"{api.base}/devices/status", headers=zhang).status_code == 403
    assert (
        api.client.post(f"{api.base}/alerts/1/acknowledge", json={"note": "x"}, headers=zhang).status_code
        == 403
    )

    assert api.client.get(f"{api.base}/alerts", headers=manager).json() == {"alerts": []}
    missing = api.client.post(f"{api.base}/alerts/999999/acknowledge", json={"note": "看过"}, headers=manager)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")

    hall.services.pause(
        hall.code, "1", "临时离开", actor=hall.open_window("1", "zhang"), request_id=hall.rid()
    )
    hall.clock.advance(minutes=16)
    hall.services.supervision.tick()
    [alert] = api.client.get(f"{api.base}/alerts?state=open", headers=manager).json()["alerts"]
    assert (alert["kind"], alert["window"], alert["title"]) == ("window_paused_too_long", "1", "窗口暂停超时")
    url = f"{api.base}/alerts/{alert['id']}/acknowledge"
    assert api.client.post(url, json={"note": ""}, headers=manager).status_code == 422
    assert api.client.post(url, json={"note": "x", "extra": 1}, headers=manager).status_code == 422
    acked = api.client.post(url, json={"note": "已提醒"}, headers=manager).json()
    assert (acked["id"], acked["note"], acked["acknowledged_by"]) == (alert["id"], "已提醒", "manager")


def test_device_status_lists_every_device(api: Api) -> None:
    devices = api.client.get(f"{api.base}/devices/status", headers=api.token("manager")).json()["devices"]
    assert {d["id"] for d in devices} == {"agent-1", "kiosk-1"}
    agent = next(d for d in devices if d["id"] == "agent-1")
    assert {k: agent[k] for k in ("kind", "window", "online", "last_seen", "boot_count", "paper")} == {
        "kind": "window_agent",
        "window": "1",
        "online": False,
        "last_seen": None,
        "boot_count": 0,
        "paper": "unknown",
    }
