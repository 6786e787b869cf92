"""Supervision on the real server path: the services with their MQTT bridge on a real Mosquitto, the
monitor running, the HTTP API; SQLite and PostgreSQL. Time-based rules move on the services' clock
(``FakeClock``) and ``tick()``, what the monitor's thread runs every ``TICK_S``; changes (a call, a
device's status) trigger an evaluation by themselves."""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.factories import PASSWORD, HallFixture
from harness.waiting import eventually, scaled
from queue_server.api import create_app
from queue_server.protocol import topics
from queue_server.protocol.client import DeviceLink
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import WAIT, Device, Probe, Served, start_bridge

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DeviceMaker = Callable[[str], Device]


@pytest.fixture
def running(broker: MosquittoBroker, hall: HallFixture) -> Iterator[Served]:
    served = start_bridge(broker.address, hall.services, hall.code, attach=hall.services.add_announcer)
    # Ticks only when a test says so (the clock is fake): changes still trigger evaluations.
    hall.services.supervision.start([hall.code], tick_s=3600)
    yield served
    hall.services.supervision.stop()
    served.bridge.stop()


@pytest.fixture
def api(hall: HallFixture) -> Iterator[TestClient]:
    with TestClient(create_app(hall.settings, hall.services)) as client:
        reply = client.post(
            "/api/auth/token", json={"hall": hall.code, "login": "manager", "password": PASSWORD}
        )
        assert reply.status_code == 200, reply.text
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {reply.json()['access_token']}"
        yield client


def retained_alerts(broker: MosquittoBroker, hall: str) -> list[dict[str, Any]]:
    """What a newcomer reads on ``…/alerts``: the retained message."""
    reader = Probe(broker.address)
    try:
        reader.listen(topics.alerts(hall))
        alerts: list[dict[str, Any]] = json.loads(reader.next_on(topics.alerts(hall)).payload)["alerts"]
        return alerts
    finally:
        reader.close()


def latest(probe: Probe, topic: str, check: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    """The first message on ``topic`` from now on that passes ``check``."""
    while True:
        try:
            body: dict[str, Any] = json.loads(probe.next_on(topic).payload)
        except Exception as exc:
            raise AssertionError(f"{what}: never seen on {topic}") from exc
        if check(body):
            return body


def test_a_long_wait_on_the_topic_and_the_api_acknowledged_and_resolved_by_the_call(
    running: Served,
    hall: HallFixture,
    devices: DeviceMaker,
    probe: Probe,
    api: TestClient,
    broker: MosquittoBroker,
) -> None:
    hall.open_window("1", "zhang")
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    topic = topics.alerts(hall.code)
    probe.listen(topic)
    kiosk.ask("ticket.issue", {"service": "A"})
    waiting = kiosk.ask("ticket.issue", {"service": "A"})["result"]
    agent.ask("window.next")
    agent.ask("window.start")
    hall.clock.advance(minutes=21)
    hall.services.supervision.tick()

    body = latest(probe, topic, lambda b: bool(b["alerts"]), "the wait alert")
    [alert] = body["alerts"]
    assert (alert["kind"], alert["severity"], alert["service"], alert["title"]) == (
        "wait_over_target",
        "warning",
        "A",
        "等候超时",
    )
    assert retained_alerts(broker, hall.code) == body["alerts"]
    listed = api.get(f"/api/halls/{hall.code}/alerts").json()["alerts"]
    assert [a["id"] for a in listed] == [alert["id"]]
    assert set(listed[0]) == {
        "id",
        "kind",
        "key",
        "severity",
        "title",
        "detail",
        "window",
        "service",
        "device",
        "raised_at",
        "acknowledged_at",
        "acknowledged_by",
        "note",
        "resolved_at",
    }

    key = {"Idempotency-Key": f"ack-{uuid.uuid4().hex}"}
    url = f"/api/halls/{hall.code}/alerts/{alert['id']}/acknowledge"
    acked = api.post(url, json={"note": "已增开3号窗口"}, headers=key)
    assert acked.status_code == 200, acked.text
    assert api.post(url, json={"note": "已增开3号窗口"}, headers=key).json() == acked.json()
    assert (acked.json()["acknowledged_by"], acked.json()["note"]) == ("manager", "已增开3号窗口")
    body = latest(
        probe, topic, lambda b: bool(b["alerts"]) and b["alerts"][0]["note"] is not None, "the note"
    )
    assert body["alerts"][0]["acknowledged_by"] == "manager"

    # The call is the change that clears the condition: no tick needed.
    agent.ask("window.finish")
    assert agent.ask("window.next")["result"]["ticket"]["ticket_id"] == waiting["ticket_id"]
    latest(probe, topic, lambda b: b["alerts"] == [], "the resolved alert leaving the topic")
    assert api.get(f"/api/halls/{hall.code}/alerts?state=open").json() == {"alerts": []}
    [resolved] = api.get(f"/api/halls/{hall.code}/alerts?state=all").json()["alerts"]
    assert resolved["resolved_at"] == hall.clock().timestamp() and resolved["note"] == "已增开3号窗口"
    assert retained_alerts(broker, hall.code) == []
    assert api.get(f"/api/halls/{hall.code}/alerts?state=some").status_code == 422


def test_a_device_whose_heartbeats_stop_is_offline_and_paper_comes_from_its_status(
    running: Served,
    hall: HallFixture,
    devices: DeviceMaker,
    probe: Probe,
    api: TestClient,
    broker: MosquittoBroker,
) -> None:
    topic = topics.alerts(hall.code)
    probe.listen(topic)
    # A device that hangs keeps its connection (so no Last Will) and stops its heartbeat.
    link = DeviceLink(hall.code, "kiosk-2", "kiosk", boot=3, broker=broker.address, heartbeat_s=None)
    link.start()
    try:
        assert link.link.wait_connected(scaled(WAIT))

        def kiosk2() -> dict[str, Any]:
            """kiosk-2 as the overview lists it ({} until its status is stored)."""
            found = api.get(f"/api/halls/{hall.code}/devices/status").json()["devices"]
            return next((d for d in found if d["id"] == "kiosk-2"), {})

        seen = eventually(kiosk2, what="kiosk-2's status stored")
        assert (seen["online"], seen["boot_count"], seen["paper"], seen["kind"]) == (
            True,
            3,
            "unknown",
            "kiosk",
        )
        hall.clock.advance(seconds=91)
        hall.services.supervision.tick()
        body = latest(probe, topic, lambda b: bool(b["alerts"]), "the offline alert")
        assert [(a["kind"], a["device"]) for a in body["alerts"]] == [("device_offline", "kiosk-2")]
        assert kiosk2() == {**seen, "online": False}

        link.publish_status()  # a heartbeat again: back online, by the change alone
        latest(probe, topic, lambda b: b["alerts"] == [], "the offline alert resolved")
    finally:
        link.stop()

    agent = devices("agent-1")
    status = topics.dev_status(hall.code, "agent-1")
    agent.publish(
        status,
        {"state": "online", "boot": 9, "kind": "window_agent", "health": {"printer": "paper_near_end"}},
    )
    body = latest(probe, topic, lambda b: bool(b["alerts"]), "paper low")
    assert [(a["kind"], a["window"], a["severity"]) for a in body["alerts"]] == [
        ("printer_paper_low", "1", "warning")
    ]
    agent.publish(
        status, {"state": "online", "boot": 9, "kind": "window_agent", "health": {"printer": "paper_out"}}
    )
    body = latest(
        probe, topic, lambda b: b["alerts"] and b["alerts"][0]["kind"] == "printer_paper_out", "paper out"
    )
    assert [a["severity"] for a in body["alerts"]] == ["critical"]
    devices_now = api.get(f"/api/halls/{hall.code}/devices/status").json()["devices"]
    assert [(d["paper"], d["boot_count"]) for d in devices_now if d["id"] == "agent-1"] == [("out", 9)]


def test_a_device_link_sends_heartbeats(broker: MosquittoBroker, hall_code: str, probe: Probe) -> None:
    topic = topics.dev_status(hall_code, "kiosk-9")
    probe.listen(topic)
    link = DeviceLink(hall_code, "kiosk-9", "kiosk", boot=1, broker=broker.address, heartbeat_s=0.05)
    link.start()
    try:
        for _ in range(3):  # the birth, then heartbeats with the same boot, on their own
            body = json.loads(probe.next_on(topic).payload)
            assert (body["state"], body["boot"]) == ("online", 1)
    finally:
        link.stop()
