"""The bridge in front of the real services, on SQLite and PostgreSQL, over a real Mosquitto.

``hall`` (tests/conftest.py) lives in the session's shared database beside other tests' halls, so
every count below is of this hall's rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session, func, select

from harness.factories import HallFixture
from queue_server.protocol import topics
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import DeviceConfig
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Probe, Served, start_bridge

DeviceMaker = Callable[[str], Device]


@pytest.fixture
def real(broker: MosquittoBroker, hall: HallFixture) -> Iterator[Served]:
    s = start_bridge(broker.address, hall.services, hall.code, attach=hall.services.add_announcer)
    yield s
    s.bridge.stop()


def tickets(hall: HallFixture) -> int:
    query = select(func.count()).select_from(t.Ticket).where(t.Ticket.hall_id == hall.hall_id)
    with Session(hall.engine) as session:
        return int(session.exec(query).one())


def ratings(hall: HallFixture) -> int:
    query = select(func.count()).select_from(t.Rating).where(t.Rating.hall_id == hall.hall_id)
    with Session(hall.engine) as session:
        return int(session.exec(query).one())


def device_row(hall: HallFixture, device_id: str) -> t.Device:
    with Session(hall.engine) as session:
        row = session.exec(
            select(t.Device).where(t.Device.hall_id == hall.hall_id, t.Device.device_id == device_id)
        ).one()
        session.expunge(row)
        return row


def test_ticket_issue_and_status(real: Served, hall: HallFixture, devices: DeviceMaker) -> None:
    kiosk = devices("kiosk-1")
    issued = kiosk.ask("ticket.issue", {"service": "A"})
    assert issued["ok"] is True, issued
    ticket = issued["result"]
    assert (ticket["number"], ticket["service"], ticket["people_ahead"]) == ("A001", "A", 0)
    by_matter = kiosk.ask("ticket.issue", {"matter": "A01"})["result"]
    assert (by_matter["number"], by_matter["matter"]) == ("A002", "A01")
    assert [m["name"] for m in by_matter["materials"]] == ["居民户口簿", "居民身份证", "准予迁入证明"]

    status = kiosk.ask("ticket.status", {"ticket_id": by_matter["ticket_id"]})["result"]
    assert (status["state"], status["people_ahead"]) == ("waiting", 1)
    assert kiosk.ask("ticket.issue", {"service": "Z"})["error"]["code"] == "unknown_service"
    catalog = kiosk.ask("catalog.get")["result"]
    assert {s["code"] for s in catalog["services"]} == {"A", "B", "C"}
    assert kiosk.ask("catalog.get", {"etag": catalog["etag"]})["result"]["not_modified"] is True


def test_window_ops_calls_and_replay(
    real: Served, hall: HallFixture, devices: DeviceMaker, probe: Probe
) -> None:
    hall.open_window("1", "zhang")
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    probe.listen(topics.calls(hall.code))
    kiosk.ask("ticket.issue", {"service": "A"})
    kiosk.ask("ticket.issue", {"service": "A"})

    called = agent.ask("window.next")["result"]
    assert called["call"]["ticket"] == "A001"
    event = json.loads(probe.next_on(topics.calls(hall.code)).payload)
    assert (event["seq"], event["ticket"], event["window"]) == (called["call"]["seq"], "A001", "1")
    recalled = agent.ask("window.recall")["result"]["call"]
    assert recalled["seq"] == event["seq"] + 1
    assert agent.ask("window.start")["result"]["window"]["status"] == "serving"
    assert agent.ask("window.finish")["result"]["ticket"]["state"] == "done"
    agent.ask("window.next")
    assert agent.ask("window.no_show")["ok"] is True
    assert agent.ask("window.next")["error"]["code"] == "queue_empty"
    assert agent.ask("window.pause", {"reason": "午休"})["result"]["window"]["status"] == "paused"
    assert agent.ask("window.resume")["ok"] is True

    replay = kiosk.ask("calls.since", {"seq": event["seq"]})["result"]["calls"]
    assert [(c["kind"], c["ticket"]) for c in replay] == [("recall", "A001"), ("call", "A002")]
    assert [c["seq"] for c in replay] == [event["seq"] + 1, event["seq"] + 2]

    # Not the agent of this window: refused, nothing called.
    assert kiosk.ask("window.next")["error"]["code"] == "not_authorized"


def test_retained_state_reflects_the_database(
    real: Served, hall: HallFixture, devices: DeviceMaker, broker: MosquittoBroker
) -> None:
    hall.open_window("1", "zhang")
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    for _ in range(3):
        kiosk.ask("ticket.issue", {"service": "A"})
    agent.ask("window.next")
    # The hall state is coalesced (built off the request path): once the services are idle, the
    # announcer has the newest one, and closing it publishes what it still holds back.
    assert hall.services.runner.wait_idle(10)
    real.announcer.close()
    screen = Probe(broker.address)
    try:
        screen.listen(topics.state(hall.code))
        state = json.loads(screen.next_on(topics.state(hall.code)).payload)
        assert state["waiting"]["A"] == 2
        assert state["windows"]["1"]["ticket"] == "A001"
        assert state["recent_calls"][-1]["ticket"] == "A001"
        screen.listen(topics.window_state(hall.code, "1"))
        window = json.loads(screen.next_on(topics.window_state(hall.code, "1")).payload)
        assert (window["status"], window["ticket"], window["staff"]) == ("calling", "A001", "张*")
    finally:
        screen.close()


def test_same_id_twice_one_ticket_also_across_a_server_restart(
    broker: MosquittoBroker, hall: HallFixture, devices: DeviceMaker
) -> None:
    first_server = start_bridge(broker.address, hall.services, hall.code)
    kiosk = devices("kiosk-1")
    try:
        first = kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-7-1")
        again = kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-7-1")
    finally:
        first_server.bridge.stop()
    assert again == first
    second_server = start_bridge(broker.address, hall.services, hall.code)
    try:
        after_restart = kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-7-1")
    finally:
        second_server.bridge.stop()
    assert after_restart == first
    assert tickets(hall) == 1


def test_malformed_requests_change_nothing(real: Served, hall: HallFixture, devices: DeviceMaker) -> None:
    kiosk = devices("kiosk-1")
    for payload in (
        b"not json",
        b"[]",
        json.dumps({"id": "m1", "op": "ticket.issue", "args": {"service": 1}}).encode(),
        json.dumps({"id": "m2", "op": "ticket.issue", "args": {"service": "A", "x": 1}}).encode(),
        json.dumps({"id": "m3", "op": "ticket.issue", "args": {"service": "A" * 70_000}}).encode(),
    ):
        kiosk.send(payload)
    codes = [kiosk.reply()["error"]["code"] for _ in range(3)]
    assert codes == ["bad_request"] * 3
    assert tickets(hall) == 0
    assert kiosk.ask("ticket.issue", {"service": "A"})["result"]["number"] == "A001"


def test_rating_and_device_status_reach_the_database(
    real: Served, hall: HallFixture, devices: DeviceMaker
) -> None:
    hall.open_window("1", "zhang")
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    kiosk.ask("ticket.issue", {"service": "A"})
    for op in ("window.next", "window.start", "window.finish"):
        assert agent.ask(op)["ok"] is True
    rating_topic = topics.dev_evt(hall.code, "agent-1", "rating")
    agent.publish(rating_topic, {"id": "r-1", "score": 2})
    agent.publish(rating_topic, {"id": "r-1", "score": 2})  # a resent event: still one rating
    status_topic = topics.dev_status(hall.code, "agent-1")
    agent.publish(status_topic, {"state": "online", "boot": 5, "kind": "window_agent"})
    agent.publish(status_topic, {"state": "offline", "boot": 4})  # a stale Last Will
    agent.ask("catalog.get")  # handled after the events and statuses before it (ordered per device)
    assert ratings(hall) == 1
    row = device_row(hall, "agent-1")
    assert (row.state, row.boot) == ("online", 5)


def _rebind(hall: HallFixture, device_id: str, window: str) -> None:
    with Session(hall.engine) as session, session.begin():
        row = session.exec(
            select(t.Device).where(t.Device.hall_id == hall.hall_id, t.Device.device_id == device_id)
        ).one()
        row.window_id = session.exec(
            select(t.Window.id).where(t.Window.hall_id == hall.hall_id, t.Window.number == window)
        ).one()
        session.add(row)


def _remove(hall: HallFixture, device_id: str) -> None:
    with Session(hall.engine) as session, session.begin():
        row = session.exec(
            select(t.Device).where(t.Device.hall_id == hall.hall_id, t.Device.device_id == device_id)
        ).one()
        session.delete(row)


def _config(probe: Probe, topic: str) -> DeviceConfig | None:
    """The next config on ``topic`` (None: the retained config was cleared)."""
    payload = probe.next_on(topic).payload
    return decode(DeviceConfig, payload) if payload else None


def test_device_configs_are_retained_and_follow_the_database(
    broker: MosquittoBroker, hall: HallFixture, probe: Probe
) -> None:
    # A short refresh: what a hall file loaded by another process (`hallq hall load`) looks like.
    served = start_bridge(broker.address, hall.services, hall.code, config_refresh_s=0.1)
    agent_topic = topics.dev_config(hall.code, "agent-1")
    kiosk_topic = topics.dev_config(hall.code, "kiosk-1")
    try:
        probe.listen(agent_topic)
        first = _config(probe, agent_topic)
        assert first is not None and (first.kind, first.window, first.hall_name) == (
            "window_agent",
            "1",
            "测试市民大厅",
        )
        probe.listen(kiosk_topic)
        kiosk = _config(probe, kiosk_topic)
        assert kiosk is not None and kiosk.services == ["A", "B", "C"]
        assert kiosk.extra["elderly_age"] == 60

        _rebind(hall, "agent-1", "2")
        moved = _config(probe, agent_topic)
        assert moved is not None and moved.window == "2"
        assert moved.version > first.version  # what a display needs to take it

        _remove(hall, "kiosk-1")
        assert _config(probe, kiosk_topic) is None  # the device left the hall: cleared
    finally:
        served.bridge.stop()
    # Nothing changed meanwhile: a new server publishes the same version again.
    again = start_bridge(broker.address, hall.services, hall.code)
    try:
        late = Probe(broker.address)
        try:
            late.listen(agent_topic)
            assert _config(late, agent_topic) == moved
        finally:
            late.close()
    finally:
        again.bridge.stop()


def test_refresh_publishes_only_what_changed(real: Served, hall: HallFixture, probe: Probe) -> None:
    agent_topic, kiosk_topic = (topics.dev_config(hall.code, d) for d in ("agent-1", "kiosk-1"))
    probe.listen(agent_topic)
    probe.listen(kiosk_topic)
    retained = {probe.next().topic for _ in range(2)}
    assert retained == {agent_topic, kiosk_topic}
    _rebind(hall, "agent-1", "4")
    assert real.bridge.publish_device_configs(hall.code, changed_only=True) == 1  # not the kiosk's
    msg = probe.next()
    assert msg.topic == agent_topic and not msg.retain  # live, not the retained copy
    config = decode(DeviceConfig, msg.payload)
    assert (config.window, config.services) == ("4", ["A", "B", "C"])
