"""Server benchmarks: ticket.issue over MQTT, call-to-display latency, the broker floor, call-next cost.

Set-up, all real: a private Mosquitto with ``set_tcp_nodelay`` on a free loopback port; a fresh
database (a SQLite file, or a new PostgreSQL database on 127.0.0.1:5432 dropped afterwards); the demo
hall file loaded twice (halls ``bench`` and ``bench-cn``) with the daily caps removed so that
thousands of tickets are not refused; window 1 of ``bench`` open, having served 200 tickets (20 in
``--quick``) so that the wait estimates read a handling history; a clock that runs in real time from a
working Wednesday 09:30.

The server runs in a SUBPROCESS (``python -m benchmarks.server serve …``): the real ``Services`` and
the MQTT bridge, no HTTP, so the server's CPU and RSS are its own. The window agent and the hall
display are paho clients in this process.

The 10 kiosks of the issue benchmarks are the broker project's own C clients, driven by ONE Python
thread (``Kiosks``): per kiosk a ``mosquitto_pub -l --nodelay -q 1`` (client id = the device id
``bench-kiosk-{i}``; it publishes each line of its stdin at once on ``dev/{id}/req``) and a
``mosquitto_sub --nodelay -q 1`` (client id ``{id}-sub``; it prints and flushes each reply on
``dev/{id}/resp`` as one line). The driver writes the next request line into a kiosk's pub (closed
loop: when its reply arrives; open loop: when it is due) and reads the replies with one ``select`` on
the subs' stdout pipes. Before the first request each sub has printed a marker published to its own
topic, so its subscription is in place. Why: 10 paho clients (one network thread each) plus 10 kiosk
threads cost this process ~0.5–0.8 ms of CPU per ticket and convoyed on the GIL; against a stub
server that answers at once they topped out near 950 tickets/s with a p99 of ~26 ms, so the load
generator, not the server, set the issue latency, and on a 2-core machine it took CPU from the
server too. The C clients and the driver cost ~0.2–0.25 ms per ticket together, spread over
processes that hold no common lock (``issue_driver_cpu_ms_per_ticket``,
``issue_kiosks_cpu_ms_per_ticket``). Figures:

- ``bridge_only_issue_per_s``, ``bridge_only_issue_p99_ms``: the closed loop below against a stub
  server that answers every ``ticket.issue`` at once: what the kiosks, the broker and the server's
  MQTT bridge cost together, the ceiling for the real figures.
- ``issue_per_s``, ``issue_p50_ms``, ``issue_p99_ms``: 10 kiosk clients, each sending ``ticket.issue``
  and waiting for its reply before the next (closed loop, as fast as the server answers): the
  saturation throughput. Latency from publish to reply. By Little's law its mean latency is
  10 / throughput (20 ms at 500/s), so its p99 cannot be a latency target.
- ``issue_driver_cpu_ms_per_ticket`` / ``issue_kiosks_cpu_ms_per_ticket``: CPU (user + system) per
  ticket of the timed closed loop, of this process (the driver, ``process_time``) and of the 20 kiosk
  processes (/proc/PID/stat, 10 ms ticks: coarse in ``--quick`` mode).
- ``issue_at_{250,500}_per_s`` / ``_p50_ms`` / ``_p99_ms``: the same 10 kiosks OFFERING 250 and then
  500 tickets/s together on a fixed schedule (open loop); latency from the moment each request was
  due, so a server falling behind shows it. What "p99 at 500 tickets/s" means.
- ``call_to_display_p50_ms`` / ``_p99_ms``: from publishing ``window.next`` (the window agent) to the
  ``calls`` message arriving at a subscribed display client. Between calls the agent sends
  ``window.start`` + ``window.finish`` so the window is idle again (not timed).
- ``broker_rtt_p50_ms``: the floor, a bare QoS 1 publish to a topic the same client subscribes to,
  until it comes back; ``call_vs_broker_ratio`` = call p50 / this.
- ``call_next_ms_1k`` / ``_10k`` / ``_100k``: the ``call_next`` use case in process (no announcers) with
  that many tickets waiting for the window's service (bulk-inserted rows copied from a real ticket);
  median of several calls. ``call_next_announced_ms_*``: the same with an announcer attached, which
  adds the hall-state rebuild the services do after every change. ``--quick`` skips 100k and says so
  (``call_next_100k_skipped``); it never reports a figure it did not measure.
- ``server_rss_mb``: VmRSS of the server subprocess right after the issue benchmark.
- ``issue_transactions``, ``issue_writes_per_transaction``: how the server's group commit grouped the
  issue benchmark's writes (warm-up included), asked of the server over its stdin.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import logging
import os
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

Figures = dict[str, float | int | str]

HALL = "bench"
HALL_CALL_NEXT = "bench-cn"
WINDOW = "1"  # serves A (primary) and B (secondary) in the demo hall
AGENT = "demo-win-1-agent"  # the demo hall binds it to window 1
STAFF = "wangfang"  # may sign in at window 1
SERVICE = "A"
KIOSKS = 10
START = datetime(2025, 3, 12, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a working Wednesday
PG_ADMIN_URL = os.environ.get("HALLQ_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REPLY_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from queue_server.protocol.messages import Response


@dataclass(frozen=True)
class Sizes:
    warmup_per_kiosk: int
    issues_per_kiosk: int
    calls: int
    rtt_samples: int
    call_next_samples: int
    waiting: tuple[int, ...]
    offered_s: float  # how long each offered rate runs
    served: int  # tickets window 1 has served before the benchmarks (the hall's handling history)


QUICK = Sizes(5, 30, 20, 100, 5, (1_000, 10_000), 1.0, 20)
FULL = Sizes(50, 400, 200, 500, 21, (1_000, 10_000, 100_000), 8.0, 200)
# Rates the kiosks offer together in the open-loop runs (tickets/s); 500 is the issue's target.
OFFERED_RATES = (250, 500)


# --- the clock both processes use ---------------------------------------------------------------------


class RunningClock:
    """Real time, shifted so that the benchmark always runs on an open working day."""

    def __init__(self, start: datetime = START) -> None:
        self._start = start.astimezone(UTC)
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._t0)


# --- entry point ---------------------------------------------------------------------------------------


def run(quick: bool, db: str) -> Figures:
    sizes = QUICK if quick else FULL
    figures: Figures = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hallq-bench-")))
        url = stack.enter_context(_database(db, workdir))
        _prepare(url, sizes.served)
        with contextlib.ExitStack() as mqtt:
            broker = _start_broker(workdir)
            mqtt.callback(broker.stop)
            # One fleet for both servers: the kiosks only know the broker. Closed before it stops.
            kiosks = mqtt.enter_context(Kiosks(broker.port, workdir))
            with _server(url, broker.port, workdir, stub=True):
                floor = _issue(kiosks, sizes)
            figures["bridge_only_issue_per_s"] = floor["issue_per_s"]
            figures["bridge_only_issue_p99_ms"] = floor["issue_p99_ms"]
            server = mqtt.enter_context(_server(url, broker.port, workdir))
            figures["server_mode"] = "subprocess: Services + MQTT bridge, no HTTP"
            figures["broker_rtt_p50_ms"] = _broker_rtt(broker.port, sizes)
            server.commits()
            figures.update(_issue(kiosks, sizes))
            for rate in OFFERED_RATES:
                figures.update(_issue_offered(kiosks, sizes, rate))
            figures["server_rss_mb"] = round(_rss_mb(server.pid), 1)
            # Group commit at work: ticket.issue writes per committed transaction (warm-up included).
            commits = server.commits()
            transactions = sum(count for _size, count in commits)
            figures["issue_transactions"] = transactions
            figures["issue_writes_per_transaction"] = round(
                sum(size * count for size, count in commits) / max(transactions, 1), 2
            )
            figures.update(_call_to_display(broker.port, sizes))
            figures["call_vs_broker_ratio"] = round(
                float(figures["call_to_display_p50_ms"]) / max(float(figures["broker_rtt_p50_ms"]), 1e-6), 1
            )
        # The server and broker are stopped: the call-next cost is measured in process, alone.
        figures.update(_call_next_cost(url, sizes))
    if quick:
        figures["call_next_100k_skipped"] = "quick mode"
    return figures


# --- set-up ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _database(db: str, workdir: Path) -> Iterator[str]:
    if db == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import sqlalchemy as sa

    name = f"hallq_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _start_broker(workdir: Path) -> Any:
    from queue_server.runtime.broker import BrokerKind, free_port, start_broker

    # Always mosquitto: the figures are about the appliance's real broker, not the fallback.
    return start_broker(free_port(), workdir / "broker", kind=BrokerKind.MOSQUITTO)


def bench_hall_file(code: str) -> Any:
    """The demo hall under another code, daily caps at the schema's maximum (a benchmark issues thousands)."""
    from queue_server.halls import validate_data
    from queue_server.halls.validate import DEMO_HALL_PATH

    raw = tomllib.loads(DEMO_HALL_PATH.read_text())
    raw["hall"]["code"] = code
    for service in raw["services"]:
        service["daily_cap"] = 100_000
    hall = validate_data(raw)
    if isinstance(hall, list):
        raise RuntimeError("bench hall invalid: " + "; ".join(str(e) for e in hall))
    return hall


def _settings(url: str, hall: str) -> Any:
    from queue_server.settings import Settings

    return Settings(environment="development", database_url=url, hall=hall)


def _prepare(url: str, served: int) -> None:
    """Migrate, load both halls, open window 1 of each with a signed-in person, and let it serve
    ``served`` tickets of hall ``bench`` first: a hall at work has a handling history, which every
    ticket's wait estimate reads (up to ``queue.RECENT_HANDLING_ROWS`` finished tickets)."""
    from queue_server.halls.loader import load_hall
    from queue_server.protocol.messages import TicketIssueArgs
    from queue_server.services.hall import Services
    from queue_server.services.ports import Actor, Role
    from queue_server.store import init_db

    engine = init_db(url)
    try:
        clock = RunningClock()
        for code in (HALL, HALL_CALL_NEXT):
            staff = bench_hall_file(code).staff
            passwords = {s.login: "bench-password" for s in staff}
            load_hall(engine, bench_hall_file(code), passwords=passwords, now=clock())
            services = Services(engine, _settings(url, code), clock)
            actor = Actor(Role.STAFF, STAFF)
            services.sign_in(code, WINDOW, actor=actor)
            at_window = Actor(Role.STAFF, STAFF, WINDOW)
            services.open_window(code, WINDOW, actor=at_window)
            for _ in range(served if code == HALL else 0):
                services.issue_ticket(
                    code, TicketIssueArgs(service=SERVICE), request_id=_rid(), device_id=None
                )
                services.call_next(code, WINDOW, actor=at_window, request_id=_rid())
                services.start(code, WINDOW, actor=at_window, request_id=_rid())
                services.finish(code, WINDOW, None, actor=at_window, request_id=_rid())
    finally:
        engine.dispose()


def _rid() -> str:
    return uuid.uuid4().hex


@dataclass
class _Server:
    pid: int
    stdin: Any
    stdout: Any

    def commits(self) -> list[tuple[int, int]]:
        """(writes in one transaction, how many such transactions) since the last call."""
        self.stdin.write("stats\n")
        self.stdin.flush()
        return [(int(size), int(count)) for size, count in json.loads(self.stdout.readline())]


@contextlib.contextmanager
def _server(url: str, broker_port: int, workdir: Path, *, stub: bool = False) -> Iterator[_Server]:
    log_path = workdir / "server.log"
    argv = [
        sys.executable,
        "-m",
        "benchmarks.server",
        "serve",
        "--db",
        url,
        "--broker-port",
        str(broker_port),
    ]
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            [*argv, "--stub"] if stub else argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"bench server did not start: {log_path.read_text()[-2000:]}")
            yield _Server(proc.pid, proc.stdin, proc.stdout)
        finally:
            if proc.stdin is not None:
                proc.stdin.close()  # the server stops when its stdin closes
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()


def serve(db: str, broker_port: int, *, stub: bool = False) -> int:
    """The server subprocess: real services (or the stub) + MQTT bridge until stdin closes."""
    from queue_server.mqtt.door import default_workers, open_door
    from queue_server.protocol.client import BrokerAddress
    from queue_server.runtime.heap import settle_heap
    from queue_server.services.hall import Services
    from queue_server.store import make_engine

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = make_engine(db)
    services: Any = StubServices() if stub else Services(engine, _settings(db, HALL), RunningClock())
    # What `hallq server` would use for this database; HALLQ_BENCH_WORKERS to try others.
    workers = int(os.environ.get("HALLQ_BENCH_WORKERS", default_workers(db)))
    door = open_door(
        BrokerAddress("127.0.0.1", broker_port), services, [HALL], instance="bench", workers=workers
    )
    for announcer in door.announcers:
        services.add_announcer(announcer)
    settle_heap()  # as `hallq server` does once started
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.stdin.close())
    seen: Counter[int] = Counter()
    with contextlib.suppress(ValueError, OSError):
        for line in sys.stdin:  # until the parent closes it
            if line.strip() == "stats":  # the writes committed per transaction since the last ask
                sizes = Counter(getattr(getattr(services, "runner", None), "batch_sizes", {}))
                print(json.dumps(sorted((sizes - seen).items())), flush=True)
                seen = sizes
    door.stop()
    engine.dispose()
    return 0


class StubServices:
    """Answers ``ticket.issue`` at once with a fixed ticket: what the bridge, paho and the broker cost."""

    def __init__(self) -> None:
        from queue_server.protocol.messages import TicketResult

        self._ticket = TicketResult(
            ticket_id="stub", number="A001", service="A", service_name="综合受理", hall_name="stub",
            issued_at=0.0, people_ahead=0, eta_min=None, citizen_url="http://127.0.0.1/t/stub",
        )  # fmt: skip

    def issue_ticket(self, hall: str, args: Any, *, request_id: str, device_id: str | None) -> Any:
        return self._ticket

    def issue_ticket_async(
        self, hall: str, args: Any, done: Any, *, request_id: str, device_id: str | None
    ) -> None:
        done(self._ticket, None)

    def hall_state(self, hall: str) -> Any:
        from queue_server.protocol.messages import HallState

        return HallState(seq=0, open=True, extended=False)

    def window_states(self, hall: str) -> list[Any]:
        return []

    def add_announcer(self, announcer: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


# --- MQTT clients ------------------------------------------------------------------------------------------


class Client:
    """A device speaking the contract over one MqttLink, matching replies to requests by id."""

    def __init__(self, port: int, device_id: str) -> None:
        from queue_server.protocol import topics
        from queue_server.protocol.client import BrokerAddress, MqttLink, Received

        self.device_id = device_id
        self.req_topic = topics.dev_req(HALL, device_id)
        self.link = MqttLink(device_id, BrokerAddress("127.0.0.1", port))
        self._waiting: dict[str, Callable[[bytes], None]] = {}
        self._lock = threading.Lock()

        def on_reply(msg: Received) -> None:
            rid = json.loads(msg.payload)["id"]
            with self._lock:
                done = self._waiting.pop(rid, None)
            if done is not None:
                done(msg.payload)

        self.link.subscribe(topics.dev_resp(HALL, device_id), on_reply)
        self.link.start()
        if not self.link.wait_connected(10):
            raise RuntimeError(f"{device_id}: no broker")
        _sync(self.link)

    def send(self, op: str, args: dict[str, Any] | None, done: Callable[[bytes], None]) -> None:
        """Publish a request without waiting; ``done`` gets the reply's payload (paho's thread)."""
        rid = uuid.uuid4().hex
        with self._lock:
            self._waiting[rid] = done
        body = json.dumps({"id": rid, "op": op, "args": args or {}}).encode()
        self.link.publish(self.req_topic, body, qos=1)

    def request(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        arrived = threading.Event()
        box: list[bytes] = []

        def done(payload: bytes) -> None:
            box.append(payload)
            arrived.set()

        self.send(op, args, done)
        if not arrived.wait(REPLY_TIMEOUT_S):
            raise TimeoutError(f"{op}: no reply")
        reply: dict[str, Any] = json.loads(box[0])
        if not reply["ok"]:
            raise RuntimeError(f"{op} refused: {reply['error']}")
        return reply

    def close(self) -> None:
        self.link.stop()


def _sync(link: Any) -> None:
    """Return once the broker has handled this link's earlier packets (its subscriptions)."""
    marker = f"hallq-bench/sync/{uuid.uuid4().hex}"
    echoed = threading.Event()
    undo = link.subscribe(marker, lambda _m: echoed.set())
    link.publish(marker, b"x", qos=1)
    if not echoed.wait(10):
        raise RuntimeError("broker did not echo")
    undo()


def _ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index] * 1000, 3)


def _broker_rtt(port: int, sizes: Sizes) -> float:
    from queue_server.protocol.client import BrokerAddress, MqttLink, Received

    link = MqttLink(f"bench-rtt-{uuid.uuid4().hex[:6]}", BrokerAddress("127.0.0.1", port))
    link.start()
    link.wait_connected(10)
    arrived = threading.Event()

    def on_echo(_msg: Received) -> None:
        arrived.set()

    topic = f"hallq-bench/rtt/{uuid.uuid4().hex}"
    link.subscribe(topic, on_echo)
    _sync(link)
    samples = []
    try:
        for i in range(sizes.rtt_samples + 20):
            arrived.clear()
            t0 = time.perf_counter()
            link.publish(topic, b"x", qos=1)
            if not arrived.wait(REPLY_TIMEOUT_S):
                raise TimeoutError("broker echo")
            if i >= 20:  # warm-up
                samples.append(time.perf_counter() - t0)
    finally:
        link.stop()
    return _ms(samples, 0.5)


# --- the kiosks of the issue benchmarks: C clients, one Python driver thread ------------------------------

KIOSK_PUB = "mosquitto_pub"
KIOSK_SUB = "mosquitto_sub"
SYNC_PREFIX = b"hallq-bench-sync "  # not JSON: never mistaken for a reply
ISSUE_ARGS = {"service": SERVICE}


@dataclass(frozen=True)
class Reply:
    kiosk: int
    at: float  # perf_counter when the driver read it
    response: Response


class Kiosks:
    """``count`` kiosks, each a ``mosquitto_pub -l`` and a ``mosquitto_sub``, driven by the caller's thread.

    Kiosk ``i`` is the device ``bench-kiosk-{i}``: its ``mosquitto_pub`` (client id = the device id)
    publishes every line written to its stdin at once, QoS 1, on ``dev/{id}/req``; its
    ``mosquitto_sub`` (client id ``{id}-sub``) prints every QoS 1 reply on ``dev/{id}/resp`` as one line,
    flushed per message. The calling thread writes requests with ``send`` and collects replies with
    ``replies`` (one ``select`` on the subs' stdout pipes): no other Python thread, no GIL to fight.
    ``close`` ends every child; a parent-death signal ends them if this process is killed (Linux ties
    it to the thread that started them: create and drive the kiosks from one long-lived thread).
    """

    def __init__(self, port: int, workdir: Path, count: int = KIOSKS) -> None:
        from queue_server.protocol import topics
        from queue_server.runtime.broker import die_with_parent

        for binary in (KIOSK_PUB, KIOSK_SUB):
            if shutil.which(binary) is None:
                raise RuntimeError(f"{binary} not found: the issue benchmarks need mosquitto-clients")
        self.count = count
        self.devices = [f"bench-kiosk-{i}" for i in range(count)]
        self._nonce = uuid.uuid4().hex[:12]  # request ids stay unique across fleets on one database
        self._sent = itertools.count(1)
        self._log_path = workdir / "kiosks.log"
        self._procs: list[subprocess.Popen[bytes]] = []
        self._pubs: list[subprocess.Popen[bytes]] = []
        self._subs: list[subprocess.Popen[bytes]] = []
        self._pub_fds: list[int] = []
        self._partial = [b""] * count
        # select(2) takes microseconds; epoll rounds a timeout up to the next millisecond, which would
        # send the open loop's requests up to 1 ms late.
        self._selector = selectors.SelectSelector()
        self._closed = False
        self._preexec = die_with_parent()
        common = ["-h", "127.0.0.1", "-p", str(port), "-q", "1", "--nodelay"]
        try:
            with self._log_path.open("ab") as log_file:
                for i, device in enumerate(self.devices):
                    sub = self._spawn(
                        [KIOSK_SUB, *common, "-i", f"{device}-sub", "-t", topics.dev_resp(HALL, device)],
                        log_file,
                        stdout=subprocess.PIPE,
                    )
                    self._subs.append(sub)
                    assert sub.stdout is not None
                    self._selector.register(sub.stdout.fileno(), selectors.EVENT_READ, i)
                    pub = self._spawn(
                        [KIOSK_PUB, *common, "-i", device, "-l", "-t", topics.dev_req(HALL, device)],
                        log_file,
                        stdin=subprocess.PIPE,
                    )
                    self._pubs.append(pub)
                    assert pub.stdin is not None
                    self._pub_fds.append(pub.stdin.fileno())
            self._sync(port)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Kiosks:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _spawn(self, argv: list[str], log_file: Any, **pipes: Any) -> subprocess.Popen[bytes]:
        defaults: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL}
        proc = subprocess.Popen(argv, **(defaults | pipes), stderr=log_file, preexec_fn=self._preexec)
        self._procs.append(proc)
        return proc

    def _sync(self, port: int) -> None:
        """Return once every sub's subscription is in place: each has printed a marker sent to its topic.

        The pubs need no such check: a line written before a pub is connected waits in its stdin until
        it is, and the untimed warm-up round trips of ``_issue`` and ``_issue_offered`` absorb that wait.
        """
        from queue_server.protocol import topics
        from queue_server.protocol.client import BrokerAddress, MqttLink

        marker = SYNC_PREFIX + self._nonce.encode()
        link = MqttLink(f"bench-kiosk-sync-{self._nonce}", BrokerAddress("127.0.0.1", port))
        link.start()
        try:
            if not link.wait_connected(10):
                raise RuntimeError("kiosk sync: no broker")
            waiting = set(range(self.count))
            deadline = time.perf_counter() + 10
            while waiting:
                if time.perf_counter() > deadline:
                    raise RuntimeError(
                        f"mosquitto_sub never subscribed: kiosks {sorted(waiting)}; {self.log_tail()}"
                    )
                for i in waiting:  # again until it shows: a marker sent before the SUBSCRIBE is lost
                    link.publish(topics.dev_resp(HALL, self.devices[i]), marker, qos=1)
                until = time.perf_counter() + 0.05
                while waiting and (left := until - time.perf_counter()) > 0:
                    for i, _at, line in self._lines(left):
                        if line == marker:
                            waiting.discard(i)
        finally:
            link.stop()

    def send(self, kiosk: int, op: str, args: dict[str, Any]) -> str:
        """Write one request line into the kiosk's pub (which publishes it at once); its request id."""
        from queue_server.protocol.messages import Request, encode

        rid = f"{self._nonce}-{next(self._sent)}"
        line = encode(Request(id=rid, op=op, args=args)) + b"\n"
        try:
            # One write of a line shorter than PIPE_BUF: atomic, and the pub's stdio reads whole lines.
            os.write(self._pub_fds[kiosk], line)
        except BrokenPipeError:
            raise RuntimeError(f"{self.devices[kiosk]}: mosquitto_pub exited; {self.log_tail()}") from None
        return rid

    def replies(self, timeout: float) -> list[Reply]:
        """The replies that arrive within ``timeout`` s (none if it passes): decoded, stamped when read."""
        from queue_server.protocol.messages import ProtocolError, Response, decode

        out: list[Reply] = []
        for i, at, line in self._lines(timeout):
            if line.startswith(SYNC_PREFIX):
                continue  # a sync marker repeated while the first was on its way
            try:
                out.append(Reply(i, at, decode(Response, line)))
            except ProtocolError as exc:
                raise RuntimeError(f"{self.devices[i]}: not a reply: {line[:200]!r} ({exc})") from None
        return out

    def _lines(self, timeout: float) -> list[tuple[int, float, bytes]]:
        lines: list[tuple[int, float, bytes]] = []
        for key, _events in self._selector.select(max(timeout, 0.0)):
            i: int = key.data
            at = time.perf_counter()
            data = os.read(key.fd, 65536)
            if not data:
                code = self._subs[i].wait(5)
                raise RuntimeError(f"{self.devices[i]}: mosquitto_sub exited ({code}); {self.log_tail()}")
            *complete, self._partial[i] = (self._partial[i] + data).split(b"\n")
            lines.extend((i, at, line) for line in complete)
        return lines

    def cpu_seconds(self) -> float:
        """User + system CPU the kiosk processes have used so far."""
        return sum(_cpu_seconds(proc.pid) for proc in self._procs if proc.poll() is None)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            tail = self._log_path.read_text(errors="replace")[-500:].strip()
            return f"kiosk log: {tail}" if tail else "kiosk log empty"
        return "no kiosk log"

    def close(self) -> None:
        """End every kiosk process (idempotent): pubs at the end of their input, subs by SIGTERM."""
        if self._closed:
            return
        self._closed = True
        for pub in self._pubs:
            if pub.stdin is not None:
                with contextlib.suppress(OSError):
                    pub.stdin.close()
        for sub in self._subs:
            with contextlib.suppress(ProcessLookupError):
                sub.terminate()
        # One grace period for all (a pub with a dead broker waits for its PUBACKs forever), then kill.
        deadline = time.monotonic() + 5
        for proc in self._procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._selector.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of another process (all its threads), from /proc/PID/stat: 10 ms ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _checked(reply: Reply, expected: str | None) -> Response:
    """The reply's response if it answers ``expected`` and was not refused."""
    response = reply.response
    if response.id != expected:
        raise RuntimeError(f"bench-kiosk-{reply.kiosk}: reply {response.id!r}, expected {expected!r}")
    if not response.ok:
        raise RuntimeError(f"ticket.issue refused: {response.error}")
    return response


def _closed_loop(kiosks: Kiosks, per_kiosk: int) -> tuple[list[float], float]:
    """Every kiosk sends, waits for its reply, sends the next, ``per_kiosk`` times: (latencies, wall s)."""
    latencies: list[float] = []
    left = [per_kiosk] * kiosks.count
    waiting: dict[int, tuple[str, float]] = {}  # kiosk -> (its request id, sent at)

    def send(i: int) -> None:
        left[i] -= 1
        sent = time.perf_counter()
        waiting[i] = (kiosks.send(i, "ticket.issue", ISSUE_ARGS), sent)

    t0 = time.perf_counter()
    for i in range(kiosks.count):
        if left[i]:
            send(i)
    while waiting:
        oldest = min(sent for _rid, sent in waiting.values())
        timeout = oldest + REPLY_TIMEOUT_S - time.perf_counter()
        if timeout <= 0:
            raise TimeoutError(f"ticket.issue: no reply in {REPLY_TIMEOUT_S} s")
        for reply in kiosks.replies(timeout):
            rid, sent = waiting.pop(reply.kiosk, (None, 0.0))
            _checked(reply, rid)
            latencies.append(reply.at - sent)
            if left[reply.kiosk]:
                send(reply.kiosk)
    return latencies, time.perf_counter() - t0


def _issue(kiosks: Kiosks, sizes: Sizes) -> Figures:
    """Closed loop: each kiosk sends ``ticket.issue`` as soon as its previous one is answered."""
    _closed_loop(kiosks, sizes.warmup_per_kiosk)  # all kiosks warm before the clock starts
    # This process: process_time() counts all its threads, to the nanosecond.
    cpu_driver, cpu_kiosks = time.process_time(), kiosks.cpu_seconds()
    flat, wall = _closed_loop(kiosks, sizes.issues_per_kiosk)
    cpu_driver, cpu_kiosks = time.process_time() - cpu_driver, kiosks.cpu_seconds() - cpu_kiosks
    return {
        "issue_per_s": round(len(flat) / wall, 1),
        "issue_p50_ms": _ms(flat, 0.5),
        "issue_p99_ms": _ms(flat, 0.99),
        "issue_count": len(flat),
        "issue_clients": kiosks.count,
        # What the load generator itself costs (CPU the server could not use on a small machine).
        "issue_driver_cpu_ms_per_ticket": round(cpu_driver * 1000 / len(flat), 3),
        "issue_kiosks_cpu_ms_per_ticket": round(cpu_kiosks * 1000 / len(flat), 3),
    }


def _issue_offered(kiosks: Kiosks, sizes: Sizes, rate: int) -> Figures:
    """The 10 kiosks together OFFER ``rate`` tickets/s (open loop), whatever the replies do.

    Each kiosk sends on its own fixed schedule (every ``KIOSKS / rate`` s, the kiosks staggered), and a
    request's latency runs from the moment it was DUE, not from when it was sent: a server that falls
    behind cannot hide it by slowing the senders down (no coordinated omission), and neither can the
    driver if it sends late. This is the figure a latency target at a given rate means; the closed
    loop of ``_issue`` cannot have a p99 below ``KIOSKS / rate`` (Little's law: at 500/s its 10 kiosks
    wait 20 ms on average).
    """
    _closed_loop(kiosks, 1)  # every connection up and warm (not timed)
    total = max(1, round(sizes.offered_s * rate / kiosks.count)) * kiosks.count
    # Request j is kiosk j % count's, due at start + j / rate: each kiosk every count / rate s,
    # kiosk i offset by i / rate.
    start = time.perf_counter() + 0.1
    pending: dict[str, tuple[int, float]] = {}  # request id -> (kiosk, due), oldest first
    latencies: list[float] = []
    refused: list[str] = []
    sent = 0
    last = start
    while sent < total or pending:
        now = time.perf_counter()
        while sent < total and (due := start + sent / rate) <= now:
            kiosk = sent % kiosks.count
            pending[kiosks.send(kiosk, "ticket.issue", ISSUE_ARGS)] = (kiosk, due)
            sent += 1
        timeout = start + sent / rate - now if sent < total else REPLY_TIMEOUT_S
        if pending:
            oldest_due = next(iter(pending.values()))[1]
            if now - oldest_due > REPLY_TIMEOUT_S:
                raise TimeoutError(f"offered {rate}/s: replies missing")
            timeout = min(timeout, oldest_due + REPLY_TIMEOUT_S - now)
        for reply in kiosks.replies(timeout):
            kiosk, due = pending.pop(reply.response.id, (-1, 0.0))
            if kiosk != reply.kiosk:
                raise RuntimeError(f"bench-kiosk-{reply.kiosk}: unexpected reply {reply.response.id!r}")
            if not reply.response.ok:
                refused.append(str(reply.response.error))
            latencies.append(reply.at - due)
            last = reply.at
    if refused:
        raise RuntimeError(f"offered {rate}/s: {len(refused)} refused, e.g. {refused[0]}")
    return {
        f"issue_at_{rate}_per_s": round(len(latencies) / (last - start), 1),
        f"issue_at_{rate}_p50_ms": _ms(latencies, 0.5),
        f"issue_at_{rate}_p99_ms": _ms(latencies, 0.99),
    }


def _call_to_display(port: int, sizes: Sizes) -> Figures:
    from queue_server.protocol import topics
    from queue_server.protocol.client import BrokerAddress, MqttLink, Received

    agent = Client(port, AGENT)
    display = MqttLink(f"bench-display-{uuid.uuid4().hex[:6]}", BrokerAddress("127.0.0.1", port))
    arrived: dict[str, float] = {}
    got = threading.Condition()

    def on_call(msg: Received) -> None:
        now = time.perf_counter()
        with got:
            arrived[json.loads(msg.payload)["ticket_id"]] = now
            got.notify_all()

    display.subscribe(topics.calls(HALL), on_call)
    display.start()
    display.wait_connected(10)
    _sync(display)
    samples = []
    try:
        for i in range(sizes.calls + 5):
            t0 = time.perf_counter()
            reply = agent.request("window.next")
            ticket_id: str = reply["result"]["call"]["ticket_id"]
            with got:
                if not got.wait_for(partial(arrived.__contains__, ticket_id), REPLY_TIMEOUT_S):
                    raise TimeoutError("the call never reached the display")
                t1 = arrived[ticket_id]
            if i >= 5:  # warm-up
                samples.append(t1 - t0)
            agent.request("window.start")
            agent.request("window.finish")
    finally:
        agent.close()
        display.stop()
    return {
        "call_to_display_p50_ms": _ms(samples, 0.5),
        "call_to_display_p99_ms": _ms(samples, 0.99),
        "call_count": len(samples),
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


# --- call-next cost in process ---------------------------------------------------------------------------


class _NullAnnouncer:
    def call_made(self, hall: str, call: Any) -> None: ...

    def window_changed(self, hall: str, window: Any) -> None: ...

    def hall_changed(self, hall: str, state: Any) -> None: ...


def _call_next_cost(url: str, sizes: Sizes) -> Figures:
    from queue_server.protocol.messages import TicketIssueArgs
    from queue_server.services.hall import Services
    from queue_server.services.ports import Actor, Role
    from queue_server.store import make_engine

    engine = make_engine(url)
    figures: Figures = {}
    try:
        clock = RunningClock()
        settings = _settings(url, HALL_CALL_NEXT)
        plain = Services(engine, settings, clock)
        announced = Services(engine, settings, clock, [_NullAnnouncer()])
        actor = Actor(Role.STAFF, STAFF, WINDOW)
        template = plain.issue_ticket(
            HALL_CALL_NEXT, TicketIssueArgs(service=SERVICE), request_id=uuid.uuid4().hex, device_id=None
        )
        waiting = 1
        for target in sizes.waiting:
            _bulk_waiting(engine, template.ticket_id, waiting, target)
            waiting = target
            for name, services in (("call_next_ms", plain), ("call_next_announced_ms", announced)):
                figures[f"{name}_{target // 1000}k"] = _time_call_next(
                    services, actor, sizes.call_next_samples
                )
        first, last = sizes.waiting[0], sizes.waiting[-1]
        figures[f"call_next_growth_{first // 1000}k_to_{last // 1000}k"] = round(
            float(figures[f"call_next_ms_{last // 1000}k"])
            / float(figures[f"call_next_ms_{first // 1000}k"]),
            2,
        )
    finally:
        engine.dispose()
    return figures


def _time_call_next(services: Any, actor: Any, samples: int) -> float:
    times = []
    for _ in range(samples + 2):
        t0 = time.perf_counter()
        services.call_next(HALL_CALL_NEXT, WINDOW, actor=actor, request_id=uuid.uuid4().hex)
        times.append(time.perf_counter() - t0)
        services.start(HALL_CALL_NEXT, WINDOW, actor=actor, request_id=uuid.uuid4().hex)
        services.finish(HALL_CALL_NEXT, WINDOW, None, actor=actor, request_id=uuid.uuid4().hex)
    return round(statistics.median(times[2:]) * 1000, 3)


def _bulk_waiting(engine: Any, token: str, have: int, want: int) -> None:
    """Copy a real waiting ticket until ``want`` wait: rows as the issue use case writes them."""
    from sqlalchemy import insert
    from sqlmodel import Session, select

    from queue_server.store.tables import Ticket

    with Session(engine) as session, session.begin():
        model = session.exec(select(Ticket).where(Ticket.citizen_token == token)).one()
        row = model.model_dump()
        row.pop("id")
        base = model.queued_at
        rows: list[dict[str, Any]] = []
        for i in range(have, want):
            seq = 100_000 + i
            rows.append(
                row
                | {
                    "number": f"{SERVICE}{seq}",
                    "seq": seq,
                    "citizen_token": f"bench-{i}-{uuid.uuid4().hex[:8]}",
                    "request_id": None,
                    # Older than the template, spread over the morning: realistic order keys.
                    "issued_at": base - timedelta(milliseconds=(want - i)),
                    "queued_at": base - timedelta(milliseconds=(want - i)),
                }
            )
            if len(rows) == 5_000:
                session.execute(insert(Ticket), rows)
                rows.clear()
        if rows:
            session.execute(insert(Ticket), rows)


# --- command line (the server subprocess) -----------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_p = sub.add_parser("serve", help="run the benchmark's server process")
    serve_p.add_argument("--db", required=True)
    serve_p.add_argument("--broker-port", type=int, required=True)
    serve_p.add_argument("--stub", action="store_true", help="services that answer at once: the bridge alone")
    run_p = sub.add_parser("run", help="run this benchmark alone and print its JSON")
    run_p.add_argument("--quick", action="store_true")
    run_p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args.db, args.broker_port, stub=args.stub)
    print(json.dumps(run(args.quick, args.db), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
