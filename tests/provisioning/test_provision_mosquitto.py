"""The generated broker files in a REAL Mosquitto: passwords accepted and refused, the ACL enforced.

Mosquitto started as root drops to user ``mosquitto`` before it reads the password and ACL files
(FIELD-NOTES). ``write_bundle`` therefore writes them 0600 owned by that user, and this test puts the
bundle in a directory the broker can traverse: pytest's own tmp dirs are 0700 root, so it uses a
``mkdtemp`` under /tmp with mode 0711 instead of running the broker as root.

MQTT 3.1.1 drops a forbidden publish silently (the PUBACK still comes), so "not delivered" is proved
with a marker: the forbidden message is acknowledged first, then an allowed one is sent, and the
subscriber must see the allowed one without the forbidden one before it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from harness.broker import free_port
from harness.waiting import eventually, scaled
from provisioning import (
    BrokerSettings,
    Credential,
    ensure_credentials,
    render_bundle,
    usernames,
    write_bundle,
)
from provisioning.credentials import SERVER_USER
from queue_server.halls import HallFile, validate_data
from queue_server.protocol import topics
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES

pytestmark = pytest.mark.broker

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
WAIT = 5.0  # seconds: an upper bound for a broker answer on loopback (scaled), not a timing assertion


@dataclass
class Broker:
    port: int
    root: Path
    hall: HallFile
    credentials: dict[str, Credential]
    proc: subprocess.Popen[bytes] | None = None

    def provision(self) -> None:
        settings = BrokerSettings(port=self.port, bind="127.0.0.1", conf_dir=str(self.root / "broker"))
        write_bundle(render_bundle(self.hall, self.credentials, broker=settings), self.root)

    def start(self) -> None:
        with (self.root / "mosquitto.log").open("wb") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.root / "broker" / "mosquitto.conf")], stdout=log, stderr=log
            )
        proc = self.proc

        def listening() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"mosquitto did not start: {(self.root / 'mosquitto.log').read_text()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return True
            return False

        eventually(listening, WAIT, what=f"mosquitto listening on port {self.port}", interval=0.02)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(scaled(5))
            self.proc = None

    def password(self, user: str) -> str:
        return self.credentials[user].password


def _provisioned_broker(hall: HallFile) -> Iterator[Broker]:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")
    root = Path(tempfile.mkdtemp(prefix="hallq-provision-"))
    root.chmod(0o711)  # the broker's user must reach broker/ inside it
    broker = Broker(free_port(), root, hall, ensure_credentials(usernames(hall), {}))
    broker.provision()
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def broker(demo_hall: HallFile) -> Iterator[Broker]:
    yield from _provisioned_broker(demo_hall)


class Peer:
    """A raw paho client (no project helpers: this checks the broker files, not our link)."""

    def __init__(self, broker: Broker, username: str | None, password: str | None) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"{username or 'anon'}-{os.urandom(3).hex()}",
            protocol=mqtt.MQTTv311,
            reconnect_on_failure=False,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.connack: queue.Queue[Any] = queue.Queue()
        self.subacks: queue.Queue[list[Any]] = queue.Queue()
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.acks: queue.Queue[int] = queue.Queue()
        self.client.on_connect = lambda _c, _u, _f, rc, _p: self.connack.put(rc)
        self.client.on_subscribe = lambda _c, _u, _mid, rcs, _p: self.subacks.put(list(rcs))
        self.client.on_message = lambda _c, _u, m: self.messages.put((m.topic, bytes(m.payload)))
        self.client.on_publish = lambda _c, _u, mid, _rc, _p: self.acks.put(mid)
        self.client.connect("127.0.0.1", broker.port, keepalive=10)
        self.client.loop_start()
        self.result = self.connack.get(timeout=scaled(WAIT))

    @property
    def connected(self) -> bool:
        return not self.result.is_failure

    def subscribe(self, *filters: str) -> list[Any]:
        self.client.subscribe([(f, 1) for f in filters])
        return self.subacks.get(timeout=scaled(WAIT))

    def publish(self, topic: str, payload: bytes) -> None:
        """Publish QoS 1 and wait for the broker's PUBACK (sent for forbidden topics too on 3.1.1)."""
        info = self.client.publish(topic, payload, qos=1)
        assert self.acks.get(timeout=scaled(WAIT)) == info.mid

    def until(self, payload: bytes) -> list[tuple[str, bytes]]:
        """Every message received up to and including the one carrying ``payload``."""
        seen: list[tuple[str, bytes]] = []
        while not seen or seen[-1][1] != payload:
            seen.append(self.messages.get(timeout=scaled(WAIT)))
        return seen

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def peers(broker: Broker) -> Iterator[Any]:
    opened: list[Peer] = []

    def open_peer(username: str | None, password: str | None = None) -> Peer:
        peer = Peer(
            broker, username, broker.password(username) if password is None and username else password
        )
        opened.append(peer)
        return peer

    yield open_peer
    for peer in opened:
        peer.close()


HALL = "demo"
KIOSK_1, KIOSK_2, AGENT_5 = "demo-kiosk-1", "demo-kiosk-2", "demo-win-5-agent"


def test_every_provisioned_account_connects_with_its_password(broker: Broker, peers: Any) -> None:
    for user in usernames(broker.hall):
        assert peers(user).connected, user


def test_a_wrong_password_an_unknown_user_and_anonymous_are_refused(broker: Broker, peers: Any) -> None:
    assert not peers(KIOSK_1, "not-the-password").connected
    assert not peers(KIOSK_1, broker.password(KIOSK_2)).connected
    assert not peers("demo-kiosk-9", broker.password(KIOSK_1)).connected
    assert not peers(None).connected


def test_a_device_cannot_publish_under_another_devices_topics(peers: Any) -> None:
    server = peers(SERVER_USER)
    assert server.subscribe(f"hallq/v1/{HALL}/#") == [1]
    kiosk = peers(KIOSK_1)
    kiosk.publish(topics.dev_req(HALL, KIOSK_2), b"forged request")
    kiosk.publish(topics.dev_evt(HALL, KIOSK_2, "rating"), b"forged rating")
    kiosk.publish(topics.dev_status(HALL, KIOSK_2), b"forged status")
    kiosk.publish(topics.dev_req("another-hall", KIOSK_1), b"other hall")
    # An event is one level under evt/ (the contract's device_events filter): deeper is not its own.
    kiosk.publish(topics.dev_evt(HALL, KIOSK_1, "rating") + "/deeper", b"not an event")
    kiosk.publish(topics.dev_req(HALL, KIOSK_1), b"marker")
    assert server.until(b"marker") == [(topics.dev_req(HALL, KIOSK_1), b"marker")]


def test_a_device_writes_its_own_status_requests_and_events(peers: Any) -> None:
    server = peers(SERVER_USER)
    server.subscribe(f"hallq/v1/{HALL}/dev/{AGENT_5}/#")
    agent = peers(AGENT_5)
    agent.publish(topics.dev_status(HALL, AGENT_5), b"online")
    agent.publish(topics.dev_evt(HALL, AGENT_5, "rating"), b"rating")
    agent.publish(topics.dev_req(HALL, AGENT_5), b"next")
    assert [p for _, p in server.until(b"next")] == [b"online", b"rating", b"next"]


def test_only_the_server_writes_calls_state_windows_replies_and_configs(peers: Any) -> None:
    server = peers(SERVER_USER)
    server.subscribe(f"hallq/v1/{HALL}/#")
    agent = peers(AGENT_5)
    for topic in (
        topics.calls(HALL),
        topics.state(HALL),
        topics.alerts(HALL),
        topics.window_state(HALL, "5"),
        topics.dev_resp(HALL, AGENT_5),
        topics.dev_config(HALL, AGENT_5),
    ):
        agent.publish(topic, b"forged")
    agent.publish(topics.dev_req(HALL, AGENT_5), b"marker")
    assert server.until(b"marker") == [(topics.dev_req(HALL, AGENT_5), b"marker")]


def test_a_device_reads_its_replies_and_the_halls_news_but_not_another_devices(peers: Any) -> None:
    kiosk = peers(KIOSK_1)
    kiosk.subscribe(
        topics.dev_resp(HALL, KIOSK_1),
        topics.dev_config(HALL, KIOSK_1),
        topics.calls(HALL),
        topics.state(HALL),
        topics.all_window_states(HALL),
    )
    # Subscribing is not reading: Mosquitto checks the read ACL on each message it would deliver.
    kiosk.subscribe(topics.dev_resp(HALL, KIOSK_2), topics.dev_req(HALL, KIOSK_2), f"hallq/v1/{HALL}/#")
    server = peers(SERVER_USER)
    other = peers(KIOSK_2)
    other.publish(topics.dev_req(HALL, KIOSK_2), b"kiosk 2 asks")
    server.publish(topics.dev_resp(HALL, KIOSK_2), b"kiosk 2's reply")
    server.publish(topics.dev_resp(HALL, KIOSK_1), b"reply")
    server.publish(topics.dev_config(HALL, KIOSK_1), b"config")
    server.publish(topics.state(HALL), b"state")
    server.publish(topics.window_state(HALL, "5"), b"window 5")
    server.publish(topics.alerts(HALL), b"alerts: the managers', not the devices'")
    server.publish(topics.calls(HALL), b"call")
    received = [p for _, p in kiosk.until(b"call")]
    # The broad "#" subscription may deliver an allowed message twice; never a forbidden one.
    assert set(received) == {b"reply", b"config", b"state", b"window 5", b"call"}


def test_reprovisioning_keeps_passwords_and_a_sighup_admits_a_new_device(demo_hall: HallFile) -> None:
    for broker in _provisioned_broker(demo_hall):
        raw: dict[str, Any] = demo_hall.model_dump(mode="json")
        raw["devices"].append({"id": "demo-kiosk-3", "kind": "kiosk", "printer_width_mm": 58})
        bigger = validate_data(raw)
        assert isinstance(bigger, HallFile)
        before = dict(broker.credentials)
        broker.hall = bigger
        broker.credentials = ensure_credentials(usernames(bigger), before)
        assert peers_connect(broker, "demo-kiosk-3") is False  # not in the broker's files yet
        broker.provision()
        assert broker.proc is not None
        broker.proc.send_signal(signal.SIGHUP)
        # Mosquitto applies SIGHUP asynchronously: try until it does.
        admitted = functools.partial(peers_connect, broker, "demo-kiosk-3")
        eventually(admitted, WAIT, what="the new kiosk let in", interval=0.05)
        assert peers_connect(broker, KIOSK_1), "an existing device keeps its password"


def peers_connect(broker: Broker, user: str) -> bool:
    peer = Peer(broker, user, broker.password(user))
    peer.close()
    return peer.connected


def test_a_publish_over_the_contracts_size_limit_is_dropped(peers: Any) -> None:
    server = peers(SERVER_USER)
    server.subscribe(topics.dev_req(HALL, KIOSK_1))
    kiosk = peers(KIOSK_1)
    kiosk.publish(topics.dev_req(HALL, KIOSK_1), b"x" * (MAX_PAYLOAD_BYTES + 1))  # acknowledged, dropped
    largest = b"y" * MAX_PAYLOAD_BYTES
    kiosk.publish(topics.dev_req(HALL, KIOSK_1), largest)
    assert server.until(largest) == [(topics.dev_req(HALL, KIOSK_1), largest)]
