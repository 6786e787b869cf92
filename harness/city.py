"""A city on loopback, for the city benchmark (benchmarks/city_bench.py) and tests: halls in one
PostgreSQL database, ``hallq server`` processes with leases on, and the devices of every hall.

Devices are economical: one MQTT connection per device kind (:class:`Fleet`) speaks for that kind in
every hall. The server tells devices apart by the topic (``hallq/{hall}/dev/{device}/req``), not by
the MQTT client id, so 50 halls' kiosks are 50 distinct devices to it over one connection. A fleet
resends an unanswered request with the same id every ``RETRY_S``, as the real devices do; the
server's request log makes the resend idempotent.

    prepare_halls(url, codes)                       # each hall loaded, window 1 open and staffed
    servers = start_servers(url, port, workdir, ["a", "b"])
    held(servers["a"])                              # the halls instance a says it serves
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from benchmarks.bench_hall import AGENT, PASSWORD, SERVICE, STAFF, WINDOW, bench_hall_file
from harness.processes import HallqServer, ServerConfig
from queue_server.halls.loader import load_hall
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.services import Services
from queue_server.services.ports import Actor, Role
from queue_server.settings import Settings
from queue_server.store import init_db
from queue_server.store.tables import Hall, Ticket

KIOSK = "demo-kiosk-1"
RETRY_S = 1.0  # a device resends an unanswered request (same id) after this long


@dataclass(frozen=True)
class LeasedConfig(ServerConfig):
    """A server of the city topology: leases on, the ttl given."""

    lease_ttl_s: float = 6.0
    broker_url: str = ""  # a broker list (a NATS cluster's nodes) instead of loopback's broker_port

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        leased = {"HALLQ_LEASES": "true", "HALLQ_LEASE_TTL_S": str(self.lease_ttl_s)}
        if self.broker_url:
            leased["HALLQ_BROKER_URL"] = self.broker_url
        return super().environment(leased | (extra or {}))


def prepare_halls(url: str, codes: list[str]) -> None:
    """Load each hall (the bench hall: open all day) and open window 1 with a person signed in."""
    engine = init_db(url)
    try:
        for code in codes:
            hall = bench_hall_file(code)
            load_hall(engine, hall, passwords={s.login: PASSWORD for s in hall.staff})
            services = Services(engine, Settings(environment="development", database_url=url, hall=code))
            services.sign_in(code, WINDOW, actor=Actor(Role.STAFF, STAFF))
            services.open_window(code, WINDOW, actor=Actor(Role.STAFF, STAFF, WINDOW))
            services.runner.wait_idle(10)
    finally:
        engine.dispose()


def start_servers(
    url: str,
    port: int,
    workdir: Path,
    names: list[str],
    lease_ttl_s: float = 6.0,
    broker_urls: list[str] | None = None,
) -> dict[str, HallqServer]:
    """``hallq server`` per name, started together (each returns once its health probe answers);
    ``broker_urls``: each server's broker list (a cluster's nodes), else loopback's ``port``."""
    servers = {}
    for i, name in enumerate(names):
        directory = workdir / name
        directory.mkdir()
        broker_url = broker_urls[i] if broker_urls else ""
        config = LeasedConfig(
            url, port, "unused", directory, instance=name, lease_ttl_s=lease_ttl_s, broker_url=broker_url
        )
        servers[name] = HallqServer(config)
    with ThreadPoolExecutor(len(servers)) as pool:
        for started in [pool.submit(server.start) for server in servers.values()]:
            started.result()
    return servers


def held(server: HallqServer) -> set[str]:
    """The halls ``GET /api/health/ready`` says a server serves; none while it does not answer.

    Plain http.client: a poll builds no TLS context (httpx loads the CA bundle per call)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.config.http_port, timeout=2)
    try:
        connection.request("GET", "/api/health/ready")  # a 503 has the same body
        return set(json.loads(connection.getresponse().read())["halls"])
    except (OSError, ValueError, KeyError):
        return set()
    finally:
        connection.close()


def stored_tickets(url: str) -> dict[str, list[tuple[str, int, str | None]]]:
    """Every hall's tickets in the database: hall code → (public id, seq, request id)."""
    engine = init_db(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(col(Hall.code), col(Ticket.public_id), col(Ticket.seq), col(Ticket.request_id)).join(
                    Hall, col(Hall.id) == col(Ticket.hall_id)
                )
            ).all()
    finally:
        engine.dispose()
    tickets: dict[str, list[tuple[str, int, str | None]]] = {}
    for hall, public, seq, request in rows:
        tickets.setdefault(str(hall), []).append((str(public), int(seq), request))
    return tickets


@dataclass
class Request:
    """One device request: first sent, last (re)sent, answered, on this process's monotonic clock."""

    hall: str
    op: str
    rid: str
    args: dict[str, Any]
    first_sent: float
    last_sent: float
    attempts: int = 1
    replied: float | None = None
    reply: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.reply.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.reply.get("error", {}).get("code"))


class Fleet:
    """One device id in many halls over one MQTT connection; requests resent until answered."""

    def __init__(self, port: int, device_id: str, on_reply: Callable[[Request], None]) -> None:
        self.device_id = device_id
        self._on_reply = on_reply
        self._lock = threading.Lock()
        self.pending: dict[str, Request] = {}
        self.answered: list[Request] = []
        self.unavailable = 0  # "try again" replies: the hall had no holder for a moment
        self.link = MqttLink(f"city-{device_id}-{uuid.uuid4().hex[:6]}", BrokerAddress("127.0.0.1", port))
        self.link.subscribe(f"{topics.PREFIX}/+/dev/{device_id}/resp", self._on_message)
        self.link.start()
        if not self.link.wait_connected(10) or not self.link.wait_subscribed(10):
            raise RuntimeError(f"{device_id}: no broker")

    def send(self, hall: str, op: str, args: dict[str, Any] | None = None) -> Request:
        now = time.monotonic()
        request = Request(hall, op, f"{self.device_id}-{uuid.uuid4().hex[:16]}", args or {}, now, now)
        with self._lock:
            self.pending[request.rid] = request
        self._publish(request)
        return request

    def resend_due(self, now: float) -> int:
        """Resend every request unanswered for ``RETRY_S`` (same id); how many."""
        with self._lock:
            due = [r for r in self.pending.values() if now - r.last_sent >= RETRY_S]
        for request in due:
            request.last_sent = now
            request.attempts += 1
            self._publish(request)
        return len(due)

    def _publish(self, request: Request) -> None:
        body = {"id": request.rid, "op": request.op, "args": request.args}
        self.link.publish(topics.dev_req(request.hall, self.device_id), json.dumps(body).encode(), qos=1)

    def _on_message(self, msg: Received) -> None:
        replied = time.monotonic()
        reply = json.loads(msg.payload)
        if not reply["ok"] and reply["error"]["code"] == "unavailable":
            self.unavailable += 1  # the resend (same id) goes on
            return
        with self._lock:
            request = self.pending.pop(reply["id"], None)
            if request is None:
                return  # the answer to a resend of a request already answered
            request.replied, request.reply = replied, reply
            self.answered.append(request)
        self._on_reply(request)

    def close(self) -> None:
        self.link.stop()


class Displays:
    """A hall display per hall, over one connection: when each call (hall, seq) first arrived, and
    every arrival in order (a call shown twice or out of order is visible in ``shown``)."""

    def __init__(self, port: int) -> None:
        self._lock = threading.Lock()
        self.arrived: dict[tuple[str, int], float] = {}
        self.shown: dict[str, list[int]] = {}
        self.link = MqttLink(f"city-displays-{uuid.uuid4().hex[:6]}", BrokerAddress("127.0.0.1", port))
        self.link.subscribe(f"{topics.PREFIX}/+/calls", self._on_call)
        self.link.start()
        if not self.link.wait_connected(10) or not self.link.wait_subscribed(10):
            raise RuntimeError("displays: no broker")

    def _on_call(self, msg: Received) -> None:
        now = time.monotonic()
        hall = msg.topic.removeprefix(topics.PREFIX + "/").split("/", 1)[0]
        seq = int(json.loads(msg.payload)["seq"])
        with self._lock:
            self.arrived.setdefault((hall, seq), now)
            self.shown.setdefault(hall, []).append(seq)

    def close(self) -> None:
        self.link.stop()


class CityTraffic:
    """Every hall at work: citizens arriving at its kiosk on a schedule (open loop: ``arrivals[hall]``,
    seconds from the start) and queueing in front of it, the kiosk issuing one ticket at a time (as a
    real one: the next citizen waits for the printout, so a slow server lengthens the line instead of
    piling up requests); its window agent calling, starting and finishing as fast as the server
    answers (after an empty queue it asks again ``poll_s`` later); its display recording the calls.

    One driver thread fires the schedule, the agents' wake-ups and the fleets' resends; the replies
    drive the agents from the agent fleet's network thread.
    """

    def __init__(self, port: int, arrivals: dict[str, list[float]], poll_s: float = 1.0) -> None:
        self.arrivals = arrivals
        self.poll_s = poll_s
        self.kiosks = Fleet(port, KIOSK, self._kiosk_replied)
        self.agents = Fleet(port, AGENT, self._agent_replied)
        self.displays = Displays(port)
        self.refused: list[Request] = []  # replies neither ok nor an expected "queue empty"
        self._wakeups: dict[str, float] = {}
        self.line = dict.fromkeys(arrivals, 0)  # citizens waiting at each hall's kiosk
        self.line_max = 0
        self._busy: set[str] = set()  # halls whose kiosk waits for a reply
        self._issuing = True
        self._closed = False
        self._lock = threading.Lock()
        self._calling = threading.Event()  # cleared: the agents send nothing more
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drive, name="city-driver", daemon=True)
        self.started = 0.0

    def start(self, progress: Callable[[float], None] | None = None) -> None:
        self._progress = progress
        self.started = time.monotonic()
        self._calling.set()
        for hall in self.arrivals:
            self._wake(hall, 0.0)
        self._thread.start()

    def issued(self) -> int:
        return len(self.kiosks.answered)

    def calls(self) -> list[Request]:
        return [r for r in self.agents.answered if r.op == "window.next" and r.ok]

    def pending(self) -> int:
        return len(self.kiosks.pending) + len(self.agents.pending)

    def stop_calling(self) -> None:
        """The agents send nothing more (the kiosks go on until their lines are empty)."""
        self._calling.clear()

    def stop_issuing(self) -> None:
        """The kiosks send nothing more: citizens still in line stay there."""
        self._issuing = False

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def close(self) -> None:
        """Disconnect every device (once): nothing arrives afterwards, the figures hold still."""
        if self._closed:
            return
        self._closed = True
        for link in (self.kiosks, self.agents, self.displays):
            link.close()

    def _wake(self, hall: str, after_s: float) -> None:
        with self._lock:
            self._wakeups[hall] = time.monotonic() + after_s

    def _kiosk_replied(self, request: Request) -> None:
        with self._lock:
            self._busy.discard(request.hall)

    def _agent_replied(self, request: Request) -> None:
        if not self._calling.is_set():
            return
        if request.error is not None:
            if request.error != "queue_empty":
                self.refused.append(request)
            self._wake(request.hall, self.poll_s)
        elif request.op == "window.next":
            self.agents.send(request.hall, "window.start")
        elif request.op == "window.start":
            self.agents.send(request.hall, "window.finish")
        else:
            self.agents.send(request.hall, "window.next")

    def _drive(self) -> None:
        due = {hall: iter(times) for hall, times in self.arrivals.items()}
        upcoming = {hall: next(times, None) for hall, times in due.items()}
        shown = self.started
        while not self._stop.wait(0.01):
            now = time.monotonic()
            for hall, at in upcoming.items():
                while at is not None and self.started + at <= now:
                    self.line[hall] += 1
                    at = next(due[hall], None)
                upcoming[hall] = at
            self.line_max = max(self.line_max, *self.line.values())
            self._issue()
            self._wake_agents(now)
            self.kiosks.resend_due(now)
            self.agents.resend_due(now)
            if self._progress is not None and now - shown >= 5.0:
                shown = now
                self._progress(now - self.started)

    def _issue(self) -> None:
        """The first citizen in line at every idle kiosk gets a ticket."""
        if not self._issuing:
            return
        with self._lock:
            idle = [hall for hall, waiting in self.line.items() if waiting and hall not in self._busy]
            self._busy.update(idle)
        for hall in idle:
            self.line[hall] -= 1
            self.kiosks.send(hall, "ticket.issue", {"service": SERVICE})

    def _wake_agents(self, now: float) -> None:
        with self._lock:
            woken = [hall for hall, at in self._wakeups.items() if at <= now]
            for hall in woken:
                del self._wakeups[hall]
        for hall in woken if self._calling.is_set() else []:
            self.agents.send(hall, "window.next")
