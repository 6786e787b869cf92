"""The running server keeps the rollups: tickets issued and served over HTTP (a real uvicorn) or over
MQTT (the bridge, a real Mosquitto) show in the manager's statistics at once, with no rebuild; so do
today's idle time with people waiting and the guide desk's enquiries."""

from __future__ import annotations

from collections.abc import Callable

from harness.factories import HallFixture
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, start_bridge
from tests.web.conftest import Web

DeviceMaker = Callable[[str], Device]

DAY = "date_from=2025-03-12&date_to=2025-03-12"


def test_http_use_cases_update_the_statistics(web: Web) -> None:
    desk, manager = web.login("zhang"), web.login("manager")
    hall = f"/api/halls/{web.code}"

    def post(path: str, body: dict[str, object] | None = None) -> None:
        reply = desk.post(f"{hall}/{path}", json=body)
        assert reply.status_code == 200, reply.text

    def stats(group: str) -> dict[str, dict[str, object]]:
        reply = manager.get(f"{hall}/stats?{DAY}&group={group}")
        assert reply.status_code == 200, reply.text
        body = reply.json()
        return {"total": body["total"], **{row["label"]: row for row in body["rows"]}}

    assert stats("channel")["total"]["issued"] == 0
    post("tickets", {"service": "A"})
    post("tickets", {"service": "A"})
    assert stats("channel")["导办台"]["issued"] == 2  # the guide desk's tickets, no rebuild
    post("windows/1/sign-in")
    post("windows/1/open")
    web.dh.clock.advance(minutes=4)
    post("windows/1/next")
    post("windows/1/start")
    web.dh.clock.advance(minutes=6)
    post("windows/1/finish", {})
    by_window = stats("window")
    assert (by_window["1号窗口"]["served"], by_window["1号窗口"]["wait_mean_s"]) == (1, 240.0)
    assert by_window["1号窗口"]["handling_mean_s"] == 360.0
    assert by_window["total"]["waiting"] == 1 and by_window["total"]["service_level"] == 1.0
    # Today's idle time with people waiting, replayed at once: the 4 minutes before the call, and
    # the minutes since the finish while the second ticket waits.
    assert by_window["1号窗口"]["idle_waiting_minutes"] == 4.0
    web.dh.clock.advance(minutes=3)
    assert stats("staff")["张三"]["idle_waiting_minutes"] == 7.0
    clerk = web.login("daoban")
    reply = clerk.post(f"{hall}/guide/enquiries", json={"matter": "A01"})
    assert reply.status_code == 200, reply.text
    by_service = stats("service")
    assert by_service["A 户籍业务"]["enquiries"] == by_service["total"]["enquiries"] == 1
    assert by_service["total"]["enquiries_by_matter"] == {"A01": 1}


def test_mqtt_use_cases_update_the_statistics(
    broker: MosquittoBroker, hall: HallFixture, devices: DeviceMaker
) -> None:
    served = start_bridge(broker.address, hall.services, hall.code, attach=hall.services.add_announcer)
    try:
        hall.open_window("1", "zhang")
        kiosk, agent = devices("kiosk-1"), devices("agent-1")
        first = kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-1")
        assert kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-1") == first  # a resend: one ticket
        kiosk.ask("ticket.issue", {"service": "C"}, rid="kiosk-1-2")
        hall.clock.advance(minutes=2)
        assert agent.ask("window.next")["result"]["call"]["ticket"] == "A001"
        agent.ask("window.start")
        hall.clock.advance(minutes=5)
        agent.ask("window.finish")
        assert agent.ask("rating.submit", {"score": 5})["ok"] is True
    finally:
        served.bridge.stop()
    day = hall.clock.now.date()
    report = hall.services.statistics(hall.code, day, day, "window", actor=hall.manager)
    window = {row.label: row for row in report.rows}["1号窗口"]
    assert (window.visits, window.served, window.wait_mean_s, window.handling_mean_s) == (1, 1, 120.0, 300.0)
    assert (window.ratings, window.satisfaction) == (1, 1.0)
    assert (report.total.issued, report.total.waiting) == (2, 1)
    channels = hall.services.statistics(hall.code, day, day, "channel", actor=hall.manager)
    assert [(row.key, row.issued) for row in channels.rows] == [("kiosk", 2)]
