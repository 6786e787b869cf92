"""The paho link against a real Mosquitto: subscriptions, undo, restart, request/reply, presence."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from harness.waiting import eventually, scaled
from queue_server.protocol import topics
from queue_server.protocol.client import (
    BrokerAddress,
    DeviceLink,
    MqttLink,
    Received,
    RequestTimeoutError,
    next_boot,
)
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import DeviceStatus, Request, Response
from tests.conftest import MosquittoBroker, free_port


def _collect(link: MqttLink, topic_filter: str) -> queue.Queue[Received]:
    q: queue.Queue[Received] = queue.Queue()
    link.subscribe(topic_filter, q.put)
    return q


def test_broker_address_parse() -> None:
    assert BrokerAddress.parse("mqtt://u:p@10.0.0.2:1884") == BrokerAddress("10.0.0.2", 1884, "u", "p")
    assert BrokerAddress.parse("localhost") == BrokerAddress("localhost", 1883)


def test_subscribe_delivers_and_undo_stops(broker: MosquittoBroker, hall_code: str) -> None:
    a, b = MqttLink("a-" + hall_code, broker.address), MqttLink("b-" + hall_code, broker.address)
    for link in (a, b):
        link.start()
        assert link.wait_connected()
    got = queue.Queue[Received]()
    undo = a.subscribe(topics.calls(hall_code), got.put)
    assert a.wait_subscribed()
    b.publish_and_wait(topics.calls(hall_code), b"one")
    assert got.get(timeout=scaled(2)).payload == b"one"
    undo()
    b.publish_and_wait(topics.calls(hall_code), b"two")
    b.publish_and_wait(topics.state(hall_code), b"sync", retain=True)
    probe = _collect(a, topics.state(hall_code))
    assert probe.get(timeout=scaled(2)).payload == b"sync"
    assert got.empty()
    a.stop()
    b.stop()


def test_handlers_follow_subscriptions_made_after_a_topic_was_routed(
    broker: MosquittoBroker, hall_code: str
) -> None:
    """A link remembers which handlers a topic goes to; a later or undone subscription must count."""
    a, b = MqttLink("a-" + hall_code, broker.address), MqttLink("b-" + hall_code, broker.address)
    for link in (a, b):
        link.start()
        assert link.wait_connected()
    topic = topics.calls(hall_code)
    first, second = queue.Queue[Received](), queue.Queue[Received]()
    undo_first = a.subscribe(topic, first.put)
    assert a.wait_subscribed()
    b.publish_and_wait(topic, b"one")
    assert first.get(timeout=scaled(2)).payload == b"one"  # the topic is routed, and remembered, now
    a.subscribe(topic, second.put)  # the same filter: nothing new for the broker, a new handler here
    b.publish_and_wait(topic, b"two")
    assert first.get(timeout=scaled(2)).payload == b"two"
    assert second.get(timeout=scaled(2)).payload == b"two"
    undo_first()
    b.publish_and_wait(topic, b"three")
    assert second.get(timeout=scaled(2)).payload == b"three"
    b.publish_and_wait(topics.state(hall_code), b"sync", retain=True)
    _collect(a, topics.state(hall_code)).get(timeout=scaled(2))  # what came before it has been delivered
    assert first.empty()
    a.stop()
    b.stop()


def test_resubscribes_after_broker_restart(fresh_broker: MosquittoBroker, hall_code: str) -> None:
    sub, pub = (
        MqttLink("s-" + hall_code, fresh_broker.address),
        MqttLink("p-" + hall_code, fresh_broker.address),
    )
    reconnected = threading.Event()
    for link in (sub, pub):
        link.start()
        assert link.wait_connected()
    got = _collect(sub, topics.calls(hall_code))
    assert sub.wait_subscribed()
    sub.on_connect(reconnected.set)
    reconnected.clear()
    fresh_broker.restart()
    assert reconnected.wait(scaled(15)), "no reconnect after the broker came back"
    assert sub.wait_subscribed()
    assert pub.wait_connected(scaled(15))
    pub.publish_and_wait(topics.calls(hall_code), b"after")
    assert got.get(timeout=scaled(3)).payload == b"after"
    sub.stop()
    pub.stop()


def test_a_link_given_several_brokers_moves_to_the_next_when_one_is_unreachable_or_drops(
    fresh_broker: MosquittoBroker, broker: MosquittoBroker, hall_code: str
) -> None:
    nobody = free_port()  # nothing listens there: the first attempt is refused at once
    nodes = f"mqtt://127.0.0.1:{nobody},{fresh_broker.url},{broker.url}"
    link = MqttLink("c-" + hall_code, BrokerAddress.parse(nodes))
    got = _collect(link, topics.calls(hall_code))
    link.start()
    try:
        assert link.wait_connected(scaled(10))
        assert link.endpoint == ("127.0.0.1", fresh_broker.port)
        fresh_broker.stop()  # the node in use drops: the next one, not the dead first, takes over
        eventually(lambda: link.connected and link.endpoint[1] == broker.port, 15, what="the third node")
        assert link.wait_subscribed(scaled(5))
        probe = MqttLink("p-" + hall_code, broker.address)
        probe.start()
        assert probe.wait_connected(scaled(5))
        probe.publish_and_wait(topics.calls(hall_code), b"on the third")
        probe.stop()
        assert got.get(timeout=scaled(3)).payload == b"on the third"
    finally:
        link.stop()


def test_a_failing_handler_does_not_kill_the_loop(broker: MosquittoBroker, hall_code: str) -> None:
    link = MqttLink("h-" + hall_code, broker.address)
    link.start()
    assert link.wait_connected()

    def boom(msg: Received) -> None:
        raise RuntimeError("handler bug")

    link.subscribe(topics.calls(hall_code), boom)
    got = _collect(link, topics.calls(hall_code))
    assert link.wait_subscribed()
    link.publish(topics.calls(hall_code), b"x")
    link.publish(topics.calls(hall_code), b"y")
    assert [got.get(timeout=scaled(2)).payload, got.get(timeout=scaled(2)).payload] == [b"x", b"y"]
    link.stop()


def _echo_server(broker: MosquittoBroker, hall: str, drop_first: bool) -> tuple[MqttLink, list[str]]:
    server = MqttLink("srv-" + hall, broker.address)
    seen: list[str] = []

    def on_req(msg: Received) -> None:
        req = decode(Request, msg.payload)
        seen.append(req.id)
        if drop_first and len(seen) == 1:
            return
        device = topics.parse_topic(msg.topic)
        assert isinstance(device, topics.DeviceTopic)
        server.publish(topics.dev_resp(hall, device.device_id), Response.success(req.id, {"op": req.op}))

    server.subscribe(topics.all_requests(hall), on_req)
    server.start()
    assert server.wait_connected()
    assert server.wait_subscribed()
    return server, seen


def test_request_reply_and_resend_with_the_same_id(broker: MosquittoBroker, hall_code: str) -> None:
    server, seen = _echo_server(broker, hall_code, drop_first=True)
    dev = DeviceLink(hall_code, "kiosk-1", "kiosk", boot=3, broker=broker.address)
    dev.start()
    assert dev.link.wait_connected()
    assert dev.link.wait_subscribed()
    resp = dev.request("catalog.get", timeout=0.5, attempts=3)
    assert resp.ok
    assert resp.result == {"op": "catalog.get"}
    # The first went unanswered; every resend carried the same id (a slow CI box may need a third).
    assert len(seen) >= 2
    assert set(seen) == {resp.id}
    dev.stop()
    server.stop()


def test_request_times_out_without_a_server(broker: MosquittoBroker, hall_code: str) -> None:
    dev = DeviceLink(hall_code, "kiosk-2", "kiosk", boot=1, broker=broker.address)
    dev.start()
    assert dev.link.wait_connected()
    with pytest.raises(RequestTimeoutError):
        dev.request("catalog.get", timeout=0.2, attempts=2)
    dev.stop()


def test_presence_online_then_offline_with_boot(broker: MosquittoBroker, hall_code: str) -> None:
    watcher = MqttLink("w-" + hall_code, broker.address)
    statuses = _collect(watcher, topics.dev_status(hall_code, "disp-1"))
    watcher.start()
    assert watcher.wait_connected()
    assert watcher.wait_subscribed()
    dev = DeviceLink(
        hall_code, "disp-1", "hall_display", boot=7, broker=broker.address, health=lambda: {"x": "ok"}
    )
    dev.start()
    online = decode(DeviceStatus, statuses.get(timeout=scaled(3)).payload)
    assert (online.state, online.boot, online.health) == ("online", 7, {"x": "ok"})
    dev.stop()
    offline = decode(DeviceStatus, statuses.get(timeout=scaled(3)).payload)
    assert (offline.state, offline.boot) == ("offline", 7)
    watcher.stop()


def test_boot_counter_survives_restarts(tmp_path: Path) -> None:
    f = tmp_path / "dev" / "boot"
    assert [next_boot(f), next_boot(f), next_boot(f)] == [1, 2, 3]
    f.write_text("garbage")
    assert next_boot(f) == 1
