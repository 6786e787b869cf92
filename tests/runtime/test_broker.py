"""The hall's own broker: mosquitto with no-delay on loopback, the amqtt fallback, clean stops."""

from __future__ import annotations

import queue
import socket
import threading
from pathlib import Path

import pytest

from harness.waiting import scaled
from queue_server.protocol.client import MqttLink
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES
from queue_server.runtime.broker import (
    BrokerError,
    BrokerKind,
    free_port,
    mosquitto_binary,
    mosquitto_conf,
    port_is_free,
    start_broker,
)


def echo_works(link: MqttLink) -> bool:
    got = threading.Event()
    link.subscribe("hallq-test/echo", lambda _m: got.set())
    # Subscribe is in effect before the publish: the broker handles one client's packets in order.
    link.publish("hallq-test/echo", b"x", qos=1)
    return got.wait(scaled(5))


@pytest.mark.parametrize("kind", [BrokerKind.MOSQUITTO, BrokerKind.AMQTT])
def test_broker_serves_on_loopback_and_stops(kind: BrokerKind, tmp_path: Path) -> None:
    if kind is BrokerKind.MOSQUITTO and mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed")
    port = free_port()
    broker = start_broker(port, tmp_path, kind=kind)
    try:
        assert broker.kind is kind
        assert broker.url == f"mqtt://127.0.0.1:{port}"
        link = MqttLink(f"t-{kind}", broker.address)
        link.start()
        try:
            assert link.wait_connected(scaled(5))
            assert echo_works(link)
        finally:
            link.stop()
    finally:
        broker.stop()
        broker.stop()  # idempotent
    assert port_is_free(port)


def test_mosquitto_conf_is_loopback_anonymous_and_no_delay() -> None:
    conf = mosquitto_conf(18830).splitlines()
    assert "listener 18830 127.0.0.1" in conf
    assert "set_tcp_nodelay true" in conf
    assert "allow_anonymous true" in conf
    assert not any(line.startswith("listener") and "127.0.0.1" not in line for line in conf)


def test_a_taken_port_is_refused_with_advice(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(BrokerError, match="--mqtt-port"):
            start_broker(port, tmp_path)


def test_mosquitto_that_fails_to_start_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed")
    monkeypatch.setattr("queue_server.runtime.broker.mosquitto_conf", lambda port: "no_such_option 1\n")
    with pytest.raises(BrokerError, match="mosquitto did not start"):
        start_broker(free_port(), tmp_path, kind=BrokerKind.MOSQUITTO)


def test_mosquitto_drops_a_publish_over_the_contracts_size_limit(tmp_path: Path) -> None:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed")
    broker = start_broker(free_port(), tmp_path, kind=BrokerKind.MOSQUITTO)
    link = MqttLink("t-size-limit", broker.address)
    got: queue.Queue[bytes] = queue.Queue()
    try:
        link.subscribe("hallq-test/size", lambda m: got.put(m.payload))
        link.start()
        assert link.wait_connected(scaled(5)) and link.wait_subscribed(scaled(5))
        # QoS 1: the broker acknowledges the oversized message too, then drops it.
        assert link.publish_and_wait("hallq-test/size", b"x" * (MAX_PAYLOAD_BYTES + 1), timeout=scaled(5))
        largest = b"y" * MAX_PAYLOAD_BYTES
        assert link.publish_and_wait("hallq-test/size", largest, timeout=scaled(5))
        assert got.get(timeout=scaled(5)) == largest  # the marker comes first: the big one never did
    finally:
        link.stop()
        broker.stop()
