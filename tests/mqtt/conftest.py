"""Fixtures for the bridge tests: a running bridge over a real Mosquitto, and plain MQTT probes."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.waiting import scaled
from queue_server.mqtt import MqttAnnouncer, MqttBridge, new_boot, server_link
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.services.ports import HallServices
from tests.conftest import MosquittoBroker
from tests.mqtt.fakes import FakeHall

WAIT = 5.0  # seconds for an answer that must come, before the suite's time scale


@dataclass
class Served:
    bridge: MqttBridge
    announcer: MqttAnnouncer
    instance: str


def start_bridge(
    address: BrokerAddress,
    services: HallServices,
    hall: str,
    *,
    instance: str | None = None,
    shared: bool = False,
    attach: Callable[[MqttAnnouncer], None] | None = None,
    config_refresh_s: float | None = None,
) -> Served:
    """Link → announcer → (services told about it) → bridge, as ``hallq up`` wires them."""
    instance = instance or f"s{uuid.uuid4().hex[:8]}"
    boot = new_boot()
    link = server_link(address, instance, boot=boot)
    announcer = MqttAnnouncer(link)
    if attach is not None:
        attach(announcer)
    bridge = MqttBridge(
        link,
        services,
        announcer,
        [hall],
        instance=instance,
        boot=boot,
        shared=shared,
        config_refresh_s=config_refresh_s,  # None: only on connect and when asked, unless a test wants it
    )
    bridge.start()
    assert bridge.wait_ready(scaled(WAIT))
    return Served(bridge, announcer, instance)


class Probe:
    """A plain MQTT client that records what arrives, for assertions."""

    def __init__(self, address: BrokerAddress, client_id: str | None = None) -> None:
        self.link = MqttLink(client_id or f"probe-{uuid.uuid4().hex[:8]}", address)
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.link.start()
        assert self.link.wait_connected(scaled(WAIT))

    def listen(self, topic_filter: str) -> None:
        self.link.subscribe(topic_filter, self.inbox.put)
        self.sync()

    def sync(self) -> None:
        """Return once the broker has handled everything this client sent before and what that brought.

        A marker's echo, not a PUBACK: after a subscribe, the retained messages it brings are queued
        to us ahead of the echo, while a PUBACK may overtake them (QoS 1 deliveries wait for the
        in-flight window, acknowledgements do not).
        """
        marker = f"hallq-test/sync/{uuid.uuid4().hex}"
        echoed = threading.Event()
        undo = self.link.subscribe(marker, lambda _msg: echoed.set())
        self.link.publish(marker, b"x", qos=1)
        assert echoed.wait(scaled(WAIT)), "the broker did not echo the sync marker"
        undo()

    def next(self, timeout: float = WAIT) -> Received:
        return self.inbox.get(timeout=scaled(timeout))

    def next_on(self, topic: str, timeout: float = WAIT) -> Received:
        while True:
            msg = self.inbox.get(timeout=scaled(timeout))
            if msg.topic == topic:
                return msg

    def publish(self, topic: str, payload: bytes | str | dict[str, Any], *, retain: bool = False) -> None:
        """Publish and wait until the broker has it, so a message sent next from elsewhere comes after."""
        body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
        # The broker's PUBACK: it has routed the message to every subscriber before acknowledging it.
        assert self.link.publish_and_wait(topic, body, retain=retain, timeout=scaled(WAIT)), "no PUBACK"

    def close(self) -> None:
        self.link.stop()


class Device(Probe):
    """A device speaking raw JSON on its own req/resp topics (no project request helper)."""

    def __init__(self, address: BrokerAddress, hall: str, device_id: str) -> None:
        super().__init__(address, device_id)
        self.hall, self.device_id = hall, device_id
        self.listen(topics.dev_resp(hall, device_id))

    def send(self, payload: bytes | str | dict[str, Any]) -> None:
        self.publish(topics.dev_req(self.hall, self.device_id), payload)

    def reply(self, timeout: float = WAIT) -> dict[str, Any]:
        msg = self.next_on(topics.dev_resp(self.hall, self.device_id), timeout)
        body: dict[str, Any] = json.loads(msg.payload)
        return body

    def ask(self, op: str, args: dict[str, Any] | None = None, rid: str | None = None) -> dict[str, Any]:
        rid = rid or uuid.uuid4().hex
        self.send({"id": rid, "op": op, "args": args or {}})
        body = self.reply()
        assert body["id"] == rid
        return body


@pytest.fixture
def fake(hall_code: str) -> FakeHall:
    return FakeHall(hall_code)


@pytest.fixture
def served(broker: MosquittoBroker, fake: FakeHall, hall_code: str) -> Iterator[Served]:
    s = start_bridge(broker.address, fake, hall_code, attach=fake.announcers.append)
    yield s
    s.bridge.stop()


@pytest.fixture
def devices(broker: MosquittoBroker, hall_code: str) -> Iterator[Callable[[str], Device]]:
    made: list[Device] = []

    def make(device_id: str) -> Device:
        d = Device(broker.address, hall_code, device_id)
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


@pytest.fixture
def probe(broker: MosquittoBroker) -> Iterator[Probe]:
    p = Probe(broker.address)
    yield p
    p.close()
