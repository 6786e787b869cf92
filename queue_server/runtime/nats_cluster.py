"""A NATS cluster as the city's MQTT broker: each node's configuration, and the nodes as processes.

NATS (``nats-server``, Debian's package) speaks MQTT 3.1.1 on a listener of its own and keeps what
MQTT needs to keep (sessions, QoS 1 messages owed to them, retained messages) in JetStream streams.
In a cluster those streams are replicated (``stream_replicas``, R3 on three nodes): a majority of
the nodes holds every retained message and session, so the loss of any one node loses neither, and
hallq's clients, given every node's address (``BrokerAddress.alternates``), reconnect to another.

- :func:`node_config` is pure: one node's configuration file, for ``hallq nats config`` (a node
  per machine) and for :class:`NatsCluster`.
- :class:`NatsCluster` runs N nodes on loopback ports of this machine, for trying the city
  topology out (``hallq nats try``) and for tests: start, wait until every node serves MQTT, kill one.

Who may connect (``NatsAccounts``): every client (MQTT, and NATS's own protocol) signs in as
``CLIENT_USER`` with the cluster's password; each node's routes to the others sign in as
``ROUTE_USER`` with a password derived from it (a stranger reaching the route port cannot join the
cluster); the monitoring port listens on the node's loopback address only. No anonymous client is
accepted. Not yet: one account per device with its own topics (as ``hallq provision`` writes for
Mosquitto), and TLS.

NATS has no MQTT shared subscriptions (``$share``): several server instances split the halls by
lease instead (docs/city.md). Nothing here is hall-specific.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from queue_server.files import write_private
from queue_server.protocol.address import BrokerAddress
from queue_server.protocol.client import MqttLink
from queue_server.runtime.broker import HOST, BrokerError, die_with_parent, free_port

log = logging.getLogger(__name__)

CLUSTER_NAME = "hallq"
# A majority of three survives the loss of one; more replicas only cost writes (JetStream allows 1-5).
MAX_REPLICAS = 3
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# MQTT clients are refused until the JetStream meta leader is elected and the MQTT streams exist.
PROBE_TIMEOUT_S = 2.0
CLIENT_USER = "hallq"  # every MQTT client of the cluster: servers and devices
ROUTE_USER = "hallq-route"  # the nodes, to each other
MONITOR_HOST = "127.0.0.1"  # /healthz, /jsz, /connz: for the machine itself, not the network


@dataclass(frozen=True, slots=True)
class NatsAccounts:
    """The cluster's password for its clients, and the routes' password derived from it (so one secret,
    written once to every node, configures both). Never logged: ``repr`` hides it."""

    client_password: str = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.client_password) < 16 or any(c in self.client_password for c in '"\\ \n'):
            raise ValueError("the cluster password: at least 16 characters, no quote, backslash or space")

    @property
    def route_password(self) -> str:
        return hmac.new(self.client_password.encode(), b"hallq nats routes", hashlib.sha256).hexdigest()

    @classmethod
    def generate(cls) -> NatsAccounts:
        return cls(secrets.token_hex(24))

    def client_url(self, host: str, port: int) -> str:
        """An MQTT client's URL of one node, with the account (``BrokerAddress.parse`` reads it)."""
        return f"mqtt://{CLIENT_USER}:{self.client_password}@{host}:{port}"


def nats_binary() -> str | None:
    """The nats-server executable, also where Debian puts it outside a normal user's PATH."""
    found = shutil.which("nats-server")
    if found:
        return found
    sbin = Path("/usr/sbin/nats-server")
    return str(sbin) if sbin.exists() else None


@dataclass(frozen=True, slots=True)
class NodePorts:
    client: int = 4222  # NATS clients (and the `nats` tool); hallq itself speaks only MQTT
    cluster: int = 6222  # the routes between nodes
    mqtt: int = 1883
    monitor: int = 8222  # HTTP: /healthz, /jsz, /connz


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node: its name, the address it listens on, its ports and where its JetStream store is."""

    name: str
    host: str
    ports: NodePorts
    store_dir: Path

    @property
    def route(self) -> str:
        return f"nats-route://{self.host}:{self.ports.cluster}"


def node_config(
    node: NodeSpec,
    routes: Sequence[str],
    accounts: NatsAccounts,
    *,
    cluster: str = CLUSTER_NAME,
    replicas: int = MAX_REPLICAS,
) -> str:
    """The configuration file of ``node`` in a cluster whose nodes' routes are ``routes`` (its own may
    be among them: NATS drops the route to itself). ``replicas``: of the MQTT streams and consumers.
    It holds the cluster's passwords: write it readable by the node's user only."""
    if not 1 <= replicas <= len(routes) or not 1 <= replicas <= MAX_REPLICAS:
        raise ValueError(f"replicas {replicas}: between 1 and {min(len(routes), MAX_REPLICAS)} here")
    route_auth = f"{ROUTE_USER}:{accounts.route_password}@"
    listed = ",\n".join(f"    {route.replace('://', f'://{route_auth}', 1)}" for route in routes)
    return (
        f"# hallq: NATS node {node.name} of cluster {cluster}\n"
        f"server_name: {node.name}\n"  # JetStream in a cluster needs unique names
        f"listen: {node.host}:{node.ports.client}\n"
        f"http: {MONITOR_HOST}:{node.ports.monitor}\n"
        # MQTT clients sign in against these users too (their CONNECT's username and password).
        "authorization {\n"
        f'  users: [{{user: "{CLIENT_USER}", password: "{accounts.client_password}"}}]\n'
        "}\n"
        "jetstream {\n"
        f'  store_dir: "{node.store_dir}"\n'
        "}\n"
        "cluster {\n"
        f"  name: {cluster}\n"
        f"  listen: {node.host}:{node.ports.cluster}\n"
        f'  authorization {{ user: "{ROUTE_USER}", password: "{accounts.route_password}" }}\n'
        f"  routes: [\n{listed}\n  ]\n"
        "}\n"
        "mqtt {\n"
        f"  listen: {node.host}:{node.ports.mqtt}\n"
        # Sessions, retained messages and QoS 1 messages owed, each on a majority of the nodes.
        f"  stream_replicas: {replicas}\n"
        # A QoS 1 message unacknowledged this long is sent again (the default, written for the reader).
        "  ack_wait: 30s\n"
        "}\n"
    )


def loopback_nodes(count: int, root: Path, *, host: str = HOST) -> list[NodeSpec]:
    """``count`` nodes on free ports of ``host``, with their stores under ``root``."""
    return [
        NodeSpec(
            f"n{i}",
            host,
            NodePorts(free_port(host), free_port(host), free_port(host), free_port(host)),
            root / f"n{i}" / "store",
        )
        for i in range(1, count + 1)
    ]


@dataclass
class NatsNode:
    """One ``nats-server`` process of a :class:`NatsCluster`."""

    spec: NodeSpec
    config_file: Path
    accounts: NatsAccounts
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def mqtt_url(self) -> str:
        """This node's MQTT listener, with the cluster's client account."""
        return self.accounts.client_url(self.spec.host, self.spec.ports.mqtt)

    @property
    def mqtt_address(self) -> str:
        """The same without the account: for a line on a terminal."""
        return f"mqtt://{self.spec.host}:{self.spec.ports.mqtt}"

    @property
    def log_file(self) -> Path:
        return self.config_file.with_suffix(".log")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, binary: str) -> None:
        if self.running:
            return
        self.spec.store_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as out:
            self.proc = subprocess.Popen(
                [binary, "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(),  # no node left holding its ports if we die
            )

    def kill(self) -> None:
        """SIGKILL, as a machine's loss looks to the others: no goodbye to routes or clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        """SIGTERM (NATS hands JetStream leadership over), killed after a timeout."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def monitor(self, path: str) -> Any:
        """A JSON document of the node's monitoring endpoint (``/jsz``, ``/connz?…``)."""
        conn = http.client.HTTPConnection(MONITOR_HOST, self.spec.ports.monitor, timeout=PROBE_TIMEOUT_S)
        try:
            conn.request("GET", path)
            return json.load(conn.getresponse())
        finally:
            conn.close()

    def healthy(self) -> bool:
        """The node's own view: up, JetStream current (``/healthz``)."""
        try:
            return bool(self.monitor("/healthz").get("status") == "ok")
        except (OSError, ValueError):
            return False

    def serves_mqtt(self) -> bool:
        """An MQTT client is accepted now (the MQTT streams of the account exist and have a leader)."""
        link = MqttLink(f"hallq-probe-{uuid.uuid4().hex[:8]}", BrokerAddress.parse(self.mqtt_url))
        link.start()
        try:
            return link.wait_connected(PROBE_TIMEOUT_S)
        finally:
            link.stop()

    def holds(self, client_id: str) -> bool:
        """Whether the MQTT client ``client_id`` is connected to this node now."""
        try:
            found = self.monitor(f"/connz?mqtt_client={client_id}")
        except (OSError, ValueError):
            return False
        return any(c.get("mqtt_client") == client_id for c in found.get("connections") or [])


class NatsCluster:
    """N NATS nodes on loopback, each with its own store and MQTT listener, routed to each other."""

    def __init__(
        self,
        root: Path,
        count: int = 3,
        *,
        replicas: int | None = None,
        accounts: NatsAccounts | None = None,
    ) -> None:
        self.root = root
        self.binary = nats_binary()
        self.accounts = accounts or NatsAccounts.generate()
        specs = loopback_nodes(count, root)
        routes = [spec.route for spec in specs]
        replicas = min(count, MAX_REPLICAS) if replicas is None else replicas
        self.nodes: list[NatsNode] = []
        root.mkdir(parents=True, exist_ok=True)
        for spec in specs:
            config = root / f"{spec.name}.conf"
            write_private(config, node_config(spec, routes, self.accounts, replicas=replicas))
            self.nodes.append(NatsNode(spec, config, self.accounts))

    @property
    def address(self) -> BrokerAddress:
        """Every node's MQTT listener, the first node first (``BrokerAddress.alternates``)."""
        return BrokerAddress.parse(self.url)

    @property
    def url(self) -> str:
        return ",".join(node.mqtt_url for node in self.nodes)

    def rotated(self, first: int) -> BrokerAddress:
        """The same nodes with node ``first`` first: spreads clients over the nodes."""
        return BrokerAddress.parse(self.rotated_url(first))

    def rotated_url(self, first: int) -> str:
        """``rotated`` as a broker list with the account (a server's ``HALLQ_BROKER_URL``)."""
        urls = [node.mqtt_url for node in self.nodes]
        return ",".join(urls[first:] + urls[:first])

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Start every node; return once each one accepts MQTT clients. BrokerError when one does not."""
        if self.binary is None:
            raise BrokerError("nats-server is not installed: sudo apt-get install nats-server")
        for node in self.nodes:
            node.start(self.binary)
        self.wait_serving(self.nodes, timeout)

    def wait_serving(self, nodes: Sequence[NatsNode], timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(nodes)
        while waiting:
            waiting = [n for n in waiting if not (n.running and n.healthy() and n.serves_mqtt())]
            dead = [n for n in waiting if not n.running]
            if dead or (waiting and time.monotonic() > deadline):
                names = ", ".join(n.spec.name for n in waiting)
                tail = self._log_tail(waiting[0])
                raise BrokerError(f"NATS node(s) {names} not serving MQTT after {timeout:.0f} s: {tail}")
            if waiting:
                time.sleep(0.2)

    def node_of(self, client_id: str) -> NatsNode | None:
        """The running node the MQTT client ``client_id`` is connected to, if any."""
        return next((n for n in self.nodes if n.running and n.holds(client_id)), None)

    def stream_leader(self, stream: str) -> NatsNode | None:
        """The node leading a JetStream stream (``$MQTT_rmsgs``: the retained messages), if known."""
        for node in self.nodes:
            if not node.running:
                continue
            with contextlib.suppress(OSError, ValueError):
                leader = _leader_of(node.monitor("/jsz?streams=true"), stream)
                if leader is not None:
                    return next((n for n in self.nodes if n.spec.name == leader), None)
        return None

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> NatsCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @staticmethod
    def _log_tail(node: NatsNode, chars: int = 1500) -> str:
        with contextlib.suppress(OSError):
            return node.log_file.read_text(errors="replace")[-chars:]
        return "(no log)"


def _leader_of(jsz: dict[str, Any], stream: str) -> str | None:
    for account in jsz.get("account_details") or []:
        for detail in account.get("stream_detail") or []:
            if detail.get("name") == stream:
                leader = (detail.get("cluster") or {}).get("leader")
                return str(leader) if leader else None
    return None
