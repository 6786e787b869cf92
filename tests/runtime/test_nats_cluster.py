"""The city's broker: a three-node NATS cluster (R3 JetStream) under one ``hallq server`` and its devices.

Every client is given the three nodes (``BrokerAddress.alternates``), each starting on a different
one: the server on n1, the kiosk and the window agent on n2, the hall display (a persistent MQTT
session) on n3. One node is killed (SIGKILL, as a machine is lost) while tickets are issued and calls
made; the clients it held reconnect to the others, and afterwards every ticket exists once, the
display has every call once and in order, and the retained hall state is there. The seconds from the
kill to each reconnect are printed (``-s``): NATS elects new leaders for the streams the dead node
led before it lets a client whose session lived there in again (docs/city.md).
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func
from sqlmodel import Session, col, select

from display.sequencer import CallSequencer, Outcome
from harness.factories import FakeClock, build_hall
from harness.processes import HallqServer, ServerConfig
from harness.waiting import eventually, eventually_equal, scaled
from queue_server.cli import main
from queue_server.protocol import topics
from queue_server.protocol.client import DeviceLink, MqttLink, Received
from queue_server.protocol.messages import CallEvent, CallsSinceResult, Response
from queue_server.runtime.nats_cluster import (
    CLIENT_USER,
    ROUTE_USER,
    NatsAccounts,
    NatsCluster,
    NatsNode,
    NodePorts,
    NodeSpec,
    nats_binary,
    node_config,
)
from queue_server.store import make_engine
from queue_server.store import tables as t

SERVER_CLIENT = "hallq-server-server-1"
ROUNDS_BEFORE, ROUNDS = 2, 6  # a round: issue a ticket, call it, start, finish
# A request resent with the same id until a reply comes: long enough for a reconnect and an election.
REQUEST_TIMEOUT_S, REQUEST_ATTEMPTS = 2.0, 20


def test_each_node_is_configured_with_the_routes_jetstream_and_mqtt_on_three_replicas(tmp_path: Path) -> None:
    node = NodeSpec("n2", "10.0.0.2", NodePorts(4222, 6222, 1883, 8222), tmp_path / "store")
    routes = [f"nats-route://10.0.0.{i}:6222" for i in (1, 2, 3)]
    accounts = NatsAccounts("a-password-of-24-chars!!")
    conf = node_config(node, routes, accounts)
    assert "server_name: n2\n" in conf and "name: hallq\n" in conf
    assert f'store_dir: "{tmp_path / "store"}"' in conf
    route_auth = f"{ROUTE_USER}:{accounts.route_password}@"
    assert all(f"nats-route://{route_auth}10.0.0.{i}:6222" in conf for i in (1, 2, 3))
    assert f'authorization {{ user: "{ROUTE_USER}", password: "{accounts.route_password}" }}' in conf
    assert f'users: [{{user: "{CLIENT_USER}", password: "a-password-of-24-chars!!"}}]' in conf
    assert "http: 127.0.0.1:8222\n" in conf  # monitoring for the machine itself
    assert "listen: 10.0.0.2:1883\n  stream_replicas: 3\n" in conf
    assert "stream_replicas: 1" in node_config(node, routes[:1], accounts, replicas=1)
    with pytest.raises(ValueError, match="replicas 3"):
        node_config(node, routes[:2], accounts)  # three copies need three nodes
    with pytest.raises(ValueError, match="16 characters"):
        NatsAccounts("short")
    assert "a-password" not in repr(accounts)


def test_hallq_nats_config_prints_a_machines_node(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "nats-password"
    args = ["nats", "config", "--name", "n2", "--host", "10.0.0.2", "--store", "/var/lib/hallq-nats"]
    args += ["--password-file", str(secret)]
    assert main([*args, "--routes", "10.0.0.1,10.0.0.2"]) == 2  # no password file: refused
    secret.write_text("0123456789abcdef0123\n")
    assert main([*args, "--routes", "10.0.0.1,10.0.0.2,10.0.0.3:7222"]) == 0
    printed = capsys.readouterr()
    conf = printed.out
    assert "listen: 10.0.0.2:6222\n" in conf and "@10.0.0.3:7222" in conf
    assert "listen: 10.0.0.2:1883\n  stream_replicas: 3\n" in conf
    assert 'password: "0123456789abcdef0123"' in conf and "0123456789abcdef0123" not in printed.err
    assert main([*args, "--routes", "10.0.0.1,10.0.0.2", "--replicas", "3"]) == 2  # two copies at most


def _connack(node: NatsNode, username: str | None, password: str | None) -> Any:
    """A raw paho client's CONNACK from ``node`` (no project helper: this checks the node's file)."""
    answers: queue.Queue[Any] = queue.Queue()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"auth-{uuid.uuid4().hex[:8]}", reconnect_on_failure=False
    )
    if username is not None:
        client.username_pw_set(username, password)
    client.on_connect = lambda _c, _u, _f, rc, _p: answers.put(rc)
    client.connect(node.spec.host, node.spec.ports.mqtt, keepalive=10)
    client.loop_start()
    try:
        return answers.get(timeout=scaled(10))
    finally:
        client.disconnect()
        client.loop_stop()


def test_a_node_admits_only_the_clusters_account(tmp_path: Path) -> None:
    if nats_binary() is None:
        pytest.skip("nats-server not installed (scripts/bootstrap)")
    with NatsCluster(tmp_path / "nats") as cluster:
        node = cluster.nodes[0]
        assert _connack(node, None, None).is_failure  # anonymous
        assert _connack(node, CLIENT_USER, "not-the-password-at-all").is_failure
        assert not _connack(node, CLIENT_USER, cluster.accounts.client_password).is_failure
        assert cluster.accounts.client_password not in node.mqtt_address
        assert oct(node.config_file.stat().st_mode & 0o777) == oct(0o600)  # it holds the passwords


@dataclass(frozen=True)
class ClusterServerConfig(ServerConfig):
    """``hallq server`` given every node of the cluster (``HALLQ_BROKER_URL`` as a list)."""

    broker_url: str = ""

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return super().environment(extra) | {"HALLQ_BROKER_URL": self.broker_url}


@dataclass
class City:
    """A fresh cluster and one ``hallq server`` on a SQLite hall (n1 first in its list of nodes)."""

    cluster: NatsCluster
    server: HallqServer
    hall: str


@pytest.fixture
def city(tmp_path: Path) -> Iterator[City]:
    if nats_binary() is None:
        pytest.skip("nats-server not installed (scripts/bootstrap)")
    code = "city-broker"
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    hall = build_hall(url, code=code, clock=FakeClock(datetime.now(UTC)))
    hall.open_window("1", "zhang")  # agent-1 serves window 1
    hall.close()
    with NatsCluster(tmp_path / "nats") as cluster:
        server = HallqServer(ClusterServerConfig(url, 0, code, tmp_path, broker_url=cluster.url))
        server.start()
        try:
            eventually(
                lambda: cluster.node_of(SERVER_CLIENT) is cluster.nodes[0], 10, what="the server on n1"
            )
            yield City(cluster, server, code)
        finally:
            server.stop()


class Display:
    """A hall display's view: every call on ``…/calls`` (a persistent session: QoS 1 calls published
    while it reconnects are kept for it) through the display's own ``CallSequencer``, and the newest
    retained ``…/state``.

    A broker may hand a redelivered call over after newer ones (NATS, after the display's node was
    lost: calls 1, 2, 3, 5, 6, 4 seen): the sequencer holds 5 and 6 behind the gap and asks
    ``calls.since``, as the display does; the replay is asked here from the test's thread (through
    ``replays_by``), never from paho's."""

    def __init__(self, cluster: NatsCluster, hall: str, first: int) -> None:
        self.sequencer = CallSequencer()
        self.shown: list[int] = []
        self.replays: list[int] = []
        self.replays_by: DeviceLink | None = None
        self._lock = threading.Lock()
        self.state_seq = -1
        self.client_id = f"display-{uuid.uuid4().hex[:8]}"
        self.link = MqttLink(self.client_id, cluster.rotated(first), clean_session=False)
        self.link.subscribe(topics.calls(hall), self._on_call)
        self.link.subscribe(topics.state(hall), self._on_state)
        self.link.start()
        assert self.link.wait_connected(scaled(10)) and self.link.wait_subscribed(scaled(10))

    def _on_call(self, msg: Received) -> None:
        with self._lock:
            self._take(self.sequencer.on_call(CallEvent.model_validate_json(msg.payload)))

    def _take(self, out: Outcome) -> None:
        self.shown += [call.seq for call in out.deliver]
        if out.replay is not None:
            self.replays.append(out.replay.since)

    def _on_state(self, msg: Received) -> None:
        self.state_seq = max(self.state_seq, int(json.loads(msg.payload)["seq"]))

    def calls_once(self) -> list[int]:
        """The calls shown, after asking for any replay the sequencer wants."""
        with self._lock:
            wanted, self.replays = self.replays, []
        for since in wanted:
            assert self.replays_by is not None, f"calls.since({since}) wanted and no link to ask it"
            reply = self.replays_by.request(
                "calls.since", {"seq": since}, timeout=scaled(REQUEST_TIMEOUT_S), attempts=REQUEST_ATTEMPTS
            )
            assert reply.ok and reply.result is not None, reply.error
            with self._lock:
                self._take(self.sequencer.on_replay(since, CallsSinceResult.model_validate(reply.result)))
        with self._lock:
            return list(self.shown)


class Hall:
    """The kiosk and the window agent (both on node ``first``), taking turns as a morning does."""

    def __init__(self, cluster: NatsCluster, hall: str, first: int) -> None:
        broker = cluster.rotated(first)
        self.kiosk = DeviceLink(hall, "kiosk-1", "kiosk", boot=1, broker=broker, heartbeat_s=None)
        self.agent = DeviceLink(hall, "agent-1", "window_agent", boot=1, broker=broker, heartbeat_s=None)
        for device in (self.kiosk, self.agent):
            device.start()
            assert device.link.wait_connected(scaled(10))
        self.tickets: list[str] = []
        self.calls: list[int] = []
        self.rounds_done = 0

    def ask(self, device: DeviceLink, op: str, args: dict[str, Any] | None = None) -> Response:
        reply = device.request(op, args, timeout=scaled(REQUEST_TIMEOUT_S), attempts=REQUEST_ATTEMPTS)
        assert reply.ok, (op, reply.error)
        return reply

    def round(self) -> None:
        issued = self.ask(self.kiosk, "ticket.issue", {"service": "A"}).result
        assert issued is not None
        self.tickets.append(str(issued["ticket_id"]))
        called = self.ask(self.agent, "window.next").result
        assert called is not None and called["call"]["ticket_id"] == issued["ticket_id"]
        self.calls.append(int(called["call"]["seq"]))
        self.ask(self.agent, "window.start")
        self.ask(self.agent, "window.finish")
        self.rounds_done += 1

    def stop(self) -> None:
        for device in (self.kiosk, self.agent):
            device.stop()


def _tickets(url: str, hall: str) -> list[str]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(t.Ticket.public_id)
                .join(t.Hall, col(t.Hall.id) == col(t.Ticket.hall_id))
                .where(t.Hall.code == hall)
            ).all()
            assert session.exec(select(func.count()).select_from(t.Ticket)).one() == len(rows)
    finally:
        engine.dispose()
    return sorted(rows)


def _retained_state_seq(cluster: NatsCluster, node: int, hall: str) -> int:
    """The ``seq`` of the hall state a screen booting now on node ``node`` paints from."""
    got: list[int] = []
    link = MqttLink(f"boot-{time.monotonic_ns()}", cluster.rotated(node))
    link.subscribe(topics.state(hall), lambda m: got.append(int(json.loads(m.payload)["seq"])))
    link.start()
    try:
        return eventually(lambda: got[-1] if got else 0, 30, what=f"the retained hall state via node {node}")
    finally:
        link.stop()


def _reconnect_s(
    cluster: NatsCluster, client_id: str, link: MqttLink | None, dying: NatsNode, killed_at: float
) -> float:
    """Seconds from the kill until ``client_id`` is connected to another node: its link says so (the
    devices here), or the nodes' monitoring does (the server, another process)."""
    dead = (dying.spec.host, dying.spec.ports.mqtt)

    def moved() -> bool:
        if link is not None:
            return link.connected and link.endpoint != dead
        node = cluster.node_of(client_id)
        return node is not None and node is not dying

    eventually(moved, 25, what=f"{client_id} on another node", interval=0.05)
    return time.monotonic() - killed_at


@pytest.mark.parametrize(
    "victim",
    [
        pytest.param(0, id="the-servers-node"),
        # The same with the node of the devices, then of the display: slow (a cluster and a server each).
        pytest.param(1, id="the-devices-node", marks=pytest.mark.slow),
        pytest.param(2, id="the-displays-node", marks=pytest.mark.slow),
    ],
)
def test_a_killed_node_loses_no_ticket_and_no_call(city: City, victim: int) -> None:
    """``victim``: the node killed, n1 (the server's), n2 (the kiosk's and agent's), n3 (the display's)."""
    cluster, code = city.cluster, city.hall
    display = Display(cluster, code, 2)
    hall = Hall(cluster, code, 1)
    display.replays_by = hall.kiosk  # the display's calls.since, over the kiosk's device link
    held = [SERVER_CLIENT, "kiosk-1", display.client_id][victim]
    dying = cluster.nodes[victim]
    try:
        for _ in range(ROUNDS_BEFORE):
            hall.round()
        eventually(lambda: display.calls_once() == hall.calls, 10, what="the calls before the kill")
        assert cluster.node_of(held) is dying
        # The rounds go on in a thread while the node dies: some request is in flight at the kill.
        errors: list[BaseException] = []
        worker = threading.Thread(target=_rounds, args=(hall, ROUNDS - ROUNDS_BEFORE, errors))
        worker.start()
        eventually(lambda: hall.rounds_done > ROUNDS_BEFORE, 10, what="a round after the first ones")
        killed_at = time.monotonic()
        dying.kill()
        link = [None, hall.kiosk.link, display.link][victim]
        reconnect_s = _reconnect_s(cluster, held, link, dying, killed_at)
        worker.join(scaled(40))
        assert not worker.is_alive() and not errors, errors
        rounds_s = time.monotonic() - killed_at
        print(
            f"\n{dying.spec.name} killed: {held} on another node after {reconnect_s:.1f} s, "
            f"the rounds done after {rounds_s:.1f} s"
        )

        assert hall.rounds_done == ROUNDS and len(set(hall.tickets)) == ROUNDS
        assert _tickets(city.server.config.database_url, code) == sorted(hall.tickets)  # each once
        assert hall.calls == sorted(hall.calls) and len(set(hall.calls)) == ROUNDS
        eventually_equal(display.calls_once, hall.calls, 20, what="every call once, in order, on the display")
        # The hall state follows the calls (coalesced, built after them): a screen booting a moment
        # after the last call may still paint the one before, and one booting soon after paints it.
        eventually_equal(
            lambda: _retained_state_seq(cluster, (victim + 1) % 3, code),
            hall.calls[-1],
            20,
            what="the last call's hall state retained on another node",
            interval=0.2,
        )
    finally:
        hall.stop()
        display.link.stop()


def _rounds(hall: Hall, count: int, errors: list[BaseException]) -> None:
    try:
        for _ in range(count):
            hall.round()
    except BaseException as exc:  # handed to the test's thread, which fails with it
        errors.append(exc)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    if nats_binary() is None:
        pytest.skip("nats-server not installed (scripts/bootstrap)")
    with NatsCluster(tmp_path / "nats") as running:
        yield running


def test_retained_messages_and_a_sessions_queued_ones_survive_the_loss_of_the_node_leading_them(
    cluster: NatsCluster,
) -> None:
    """What R3 is for: the node leading the sessions' stream dies with a retained message stored and
    QoS 1 messages queued for an absent persistent session; both are there on the other nodes."""
    publisher = MqttLink(f"pub-{uuid.uuid4().hex[:8]}", cluster.address)
    sessions = cluster.stream_leader("$MQTT_sess")
    assert sessions is not None
    at = cluster.nodes.index(sessions)
    got: list[bytes] = []
    client_id = f"absent-{uuid.uuid4().hex[:8]}"
    absent = MqttLink(client_id, cluster.rotated(at), clean_session=False)
    absent.subscribe("hallq-test/queued", lambda m: got.append(m.payload))
    try:
        for link in (publisher, absent):
            link.start()
            assert link.wait_connected(scaled(10))
        assert absent.wait_subscribed(scaled(10)) and cluster.node_of(client_id) is sessions
        absent.stop()  # a clean DISCONNECT: the session stays, and QoS 1 messages queue for it
        assert publisher.publish_and_wait("hallq-test/kept", b"retained", retain=True, timeout=scaled(10))
        for i in range(5):
            assert publisher.publish_and_wait("hallq-test/queued", str(i).encode(), timeout=scaled(10))
        killed_at = time.monotonic()
        sessions.kill()
        # Back (as after a restart), with a list that starts with the dead node: the next one takes it.
        absent = MqttLink(client_id, cluster.rotated(at), clean_session=False)
        absent.subscribe("hallq-test/queued", lambda m: got.append(m.payload))
        absent.start()
        eventually_equal(lambda: got, [b"0", b"1", b"2", b"3", b"4"], 30, what="the queued messages")
        back_s = time.monotonic() - killed_at
        assert absent.endpoint != (sessions.spec.host, sessions.spec.ports.mqtt)
        survivor = (at + 1) % len(cluster.nodes)
        print(f"\n{sessions.spec.name} (the sessions' leader) killed: the session back in {back_s:.1f} s")
        retained: list[bytes] = []
        booting = MqttLink(f"boot-{uuid.uuid4().hex[:8]}", cluster.rotated(survivor))
        booting.subscribe("hallq-test/kept", lambda m: retained.append(m.payload))
        booting.start()
        try:
            eventually_equal(lambda: retained, [b"retained"], 30, what="the retained message")
        finally:
            booting.stop()
    finally:
        absent.stop()
        publisher.stop()
