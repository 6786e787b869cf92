"""A city on loopback for the failover tests: halls in one PostgreSQL database, ``hallq server``
processes with leases on (started by ``harness/city.py``, which the city benchmark shares), and raw
MQTT devices per hall (a kiosk issuing, a window agent calling, a
hall display listening), each retrying its request with the same id until a reply comes, as the real
devices do.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from benchmarks.bench_hall import AGENT, SERVICE
from harness.processes import HallqServer
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.store import init_db
from queue_server.store.tables import Call, Hall, Ticket

KIOSK = "demo-kiosk-1"
DISPLAY = "demo-hall-display"
RETRY_S = 1.0  # a device resends an unanswered request (same id) after this long
# A NATS node's loss stalled a hall for up to 53 s on the loaded machine (docs/city.md): the server's
# subscriptions refused while JetStream re-elected; a device keeps resending past that.
GIVE_UP_S = 120.0

Broker = int | BrokerAddress  # a Mosquitto's port on loopback, or a cluster's nodes


def address(broker: Broker) -> BrokerAddress:
    return broker if isinstance(broker, BrokerAddress) else BrokerAddress("127.0.0.1", broker)


def readiness(server: HallqServer) -> dict[str, Any]:
    """``GET /api/health/ready`` (a 503 has the same body); plain http.client: a poll builds no TLS
    context (httpx loads the CA bundle per call, a real cost on a loaded machine)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.config.http_port, timeout=2)
    try:
        connection.request("GET", "/api/health/ready")
        body: dict[str, Any] = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    return body


def hall_served(server: HallqServer, hall: str) -> int:
    """The status of ``GET /api/health/halls/{hall}``: 200 on the hall's holder, 503 elsewhere."""
    connection = http.client.HTTPConnection("127.0.0.1", server.config.http_port, timeout=2)
    try:
        connection.request("GET", f"/api/health/halls/{hall}")
        return connection.getresponse().status
    finally:
        connection.close()


def pause(server: HallqServer) -> None:
    os.kill(server.pid, signal.SIGSTOP)


def resume(server: HallqServer) -> None:
    os.kill(server.pid, signal.SIGCONT)


@dataclass
class Answer:
    op: str
    rid: str
    first_sent: float
    last_sent: float
    replied: float
    reply: dict[str, Any]
    attempts: int


class Device:
    """A device of one hall: requests with an id, resent with the same id until answered."""

    def __init__(self, port: Broker, hall: str, device_id: str) -> None:
        self.hall = hall
        self.device_id = device_id
        self._req = topics.dev_req(hall, device_id)
        self._waiting: dict[str, tuple[threading.Event, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self.unavailable = 0
        client_id = f"{device_id}-{hall}-{uuid.uuid4().hex[:4]}"
        self.link = MqttLink(client_id, address(port))
        self.link.subscribe(topics.dev_resp(hall, device_id), self._on_reply)
        self.link.start()
        if not self.link.wait_connected(10) or not self.link.wait_subscribed(10):
            raise RuntimeError(f"{device_id}: no broker")

    def _on_reply(self, msg: Received) -> None:
        reply = json.loads(msg.payload)
        if not reply["ok"] and reply["error"]["code"] == "unavailable":
            self.unavailable += 1  # "try again": the resend (same id) goes on
            return
        with self._lock:
            waiting = self._waiting.get(reply["id"])
        if waiting is not None and not waiting[0].is_set():
            waiting[1].append(reply)
            waiting[0].set()

    def publish(self, op: str, args: dict[str, Any], rid: str) -> None:
        self.link.publish(self._req, json.dumps({"id": rid, "op": op, "args": args}).encode(), qos=1)

    def request(self, op: str, args: dict[str, Any] | None = None) -> Answer:
        rid = f"{self.device_id}-{uuid.uuid4().hex[:12]}"
        event, box = threading.Event(), list[dict[str, Any]]()
        with self._lock:
            self._waiting[rid] = (event, box)
        first = last = time.monotonic()
        attempts = 0
        try:
            while time.monotonic() - first < GIVE_UP_S:
                last = time.monotonic()
                attempts += 1
                self.publish(op, args or {}, rid)
                if event.wait(RETRY_S):
                    return Answer(op, rid, first, last, time.monotonic(), box[0], attempts)
            raise TimeoutError(f"{self.hall}/{self.device_id}: {op} {rid} unanswered for {GIVE_UP_S} s")
        finally:
            with self._lock:
                self._waiting.pop(rid, None)

    def close(self) -> None:
        self.link.stop()


@dataclass
class HallTraffic:
    """One hall at work: a kiosk issuing, the window agent calling, a display recording the calls."""

    hall: str
    port: Broker
    tickets: list[Answer] = field(default_factory=list)
    calls: list[Answer] = field(default_factory=list)
    shown: list[int] = field(default_factory=list)  # the seq of every call the display received, in order
    errors: list[str] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.kiosk = Device(self.port, self.hall, KIOSK)
        self.agent = Device(self.port, self.hall, AGENT)
        self.display = MqttLink(f"display-{self.hall}-{uuid.uuid4().hex[:4]}", address(self.port))
        self.display.subscribe(topics.calls(self.hall), self._on_call)
        self.display.start()
        if not self.display.wait_connected(10) or not self.display.wait_subscribed(10):
            raise RuntimeError("display: no broker")
        self._threads = [
            threading.Thread(target=self._loop, args=(self._issue,), daemon=True),
            threading.Thread(target=self._loop, args=(self._call,), daemon=True),
        ]

    def _on_call(self, msg: Received) -> None:
        self.shown.append(int(json.loads(msg.payload)["seq"]))

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(GIVE_UP_S + 5)

    def close(self) -> None:
        for link in (self.kiosk, self.agent):
            link.close()
        self.display.stop()

    def _loop(self, step: Callable[[], None]) -> None:
        while not self.stopping.is_set():
            try:
                step()
            except Exception as exc:
                self.errors.append(repr(exc))
                return

    def _issue(self) -> None:
        answer = self.kiosk.request("ticket.issue", {"service": SERVICE})
        if not answer.reply["ok"]:
            raise RuntimeError(f"ticket.issue refused: {answer.reply}")
        self.tickets.append(answer)
        self.stopping.wait(0.05)

    def _call(self) -> None:
        answer = self.agent.request("window.next")
        if not answer.reply["ok"]:
            if answer.reply["error"]["code"] != "queue_empty":
                raise RuntimeError(f"window.next refused: {answer.reply}")
            self.stopping.wait(0.1)
            return
        self.calls.append(answer)
        for op in ("window.start", "window.finish"):
            done = self.agent.request(op)
            if not done.reply["ok"]:
                raise RuntimeError(f"{op} refused: {done.reply}")

    def first_served_after(self, moment: float) -> float | None:
        """When the first answer to a request (re)sent after ``moment`` arrived: the hall served again."""
        replied = [a.replied for a in self.tickets + self.calls if a.last_sent >= moment]
        return min(replied) if replied else None


def stored(url: str, hall: str) -> tuple[list[tuple[str, int]], list[int]]:
    """The hall's tickets (public id, seq) and its calls' seqs, from the database."""
    engine = init_db(url)
    try:
        with Session(engine) as session:
            hall_id = session.execute(select(col(Hall.id)).where(col(Hall.code) == hall)).scalar_one()
            tickets = session.execute(
                select(col(Ticket.public_id), col(Ticket.seq)).where(col(Ticket.hall_id) == hall_id)
            ).all()
            calls = session.execute(
                select(col(Call.seq)).where(col(Call.hall_id) == hall_id).order_by(col(Call.seq))
            ).scalars()
            return [(str(t), int(s)) for t, s in tickets], list(calls)
    finally:
        engine.dispose()


def calls_since(port: Broker, hall: str, seq: int) -> list[int]:
    """What a display asks after a gap: ``calls.since`` (the seqs the server has after ``seq``)."""
    display = Device(port, hall, DISPLAY)
    try:
        answer = display.request("calls.since", {"seq": seq, "limit": 500})
        return [int(call["seq"]) for call in answer.reply["result"]["calls"]]
    finally:
        display.close()


def retained_seq(port: Broker, hall: str) -> int | None:
    """The ``seq`` of the hall's retained state, as a display that starts now reads it."""
    got: list[int] = []
    arrived = threading.Event()

    def on_state(msg: Received) -> None:
        got.append(int(json.loads(msg.payload)["seq"]))
        arrived.set()

    link = MqttLink(f"state-{hall}-{uuid.uuid4().hex[:4]}", address(port))
    link.subscribe(topics.state(hall), on_state)
    link.start()
    try:
        arrived.wait(5)
        return got[-1] if got else None
    finally:
        link.stop()
