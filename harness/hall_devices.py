"""The devices of a simulated hall day, each the project's own device code on its own MQTT link.

- :class:`Kiosk`: the kiosk's ticket rule (``kiosk.tickets.TicketDesk``: journal in the on-disk
  outbox, send, resend the SAME request id until a reply comes, print only what the server answered)
  over the kiosk's link (``kiosk.link.KioskLink``). Its printer is a paper roll in memory: a pty
  printer simulator per kiosk would add serial traffic the soak does not look at. It also taps its own
  request and reply topics, so every send and every reply of a request id is on record.
- :class:`WindowStaff`: a person working a window through its window agent's link
  (``protocol.client.DeviceLink``, kind ``window_agent``): next, start, finish, and again; every
  request resent with its id until it is answered, as the agent's outbox does.
- :class:`HallScreen`: the hall display's runtime (``display.runtime``) without Kivy: the sequencer's
  seq/replay rule, the real board; every call the board is given is kept in order.

Every wait is bounded; a device that cannot finish raises, and the day's driver reports it.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from devices.escpos.status import PrinterStatus
from display.hall_board import HallBoard
from display.runtime import hall_runtime
from harness.proxy import CuttableProxy
from kiosk.clock import SystemClock
from kiosk.link import KioskLink
from kiosk.outbox import Outbox
from kiosk.ports import MissingNotice
from kiosk.tickets import Issued, Outcome, TicketDesk
from queue_server.protocol import topics
from queue_server.protocol.client import (
    BrokerAddress,
    DeviceLink,
    Received,
    RequestTimeoutError,
    next_boot,
)
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import (
    CallEvent,
    DeviceKind,
    ErrorCode,
    Op,
    Request,
    Response,
    TicketResult,
    WindowOpResult,
)

REQUEST_TIMEOUT_S = 1.0  # one attempt; then the same id again
PAINT_EVERY_S = 0.25  # how often the headless screen asks for its view, as Kivy's clock would
MUTED_S = 0.3  # a pulled cable loses replies this long before it drops the connection


class PaperRoll:
    """A kiosk printer that always has paper: what it printed, in order (a ``TicketPrinter``)."""

    def __init__(self) -> None:
        self.tickets: list[TicketResult] = []

    def status(self) -> PrinterStatus:
        return PrinterStatus.OK

    def print_ticket(self, ticket: TicketResult) -> None:
        self.tickets.append(ticket)

    def print_notice(self, notice: MissingNotice) -> None:
        raise AssertionError("the hall day prints no notices")

    def use_width(self, width_mm: Literal[58, 80]) -> None:
        pass


class _Port:
    """The kiosk link as the ticket desk sees it (a ``ServerPort``), remembering each request id."""

    def __init__(self, link: KioskLink, before_request: Callable[[str], None]) -> None:
        self.link = link
        self.last_id = ""
        self._before_request = before_request

    @property
    def connected(self) -> bool:
        return self.link.connected

    def new_request_id(self) -> str:
        self.last_id = self.link.new_request_id()
        return self.last_id

    def request(
        self, op: str, args: dict[str, Any], *, request_id: str, timeout: float, attempts: int
    ) -> Response:
        self._before_request(request_id)
        return self.link.request(op, args, request_id=request_id, timeout=timeout, attempts=attempts)

    def publish_status(self) -> None:
        self.link.publish_status()


@dataclass
class Taken:
    """One citizen at a kiosk: the request id and what came of it."""

    request_id: str
    outcome: Outcome


class Kiosk:
    """A kiosk; one given a ``cable`` (a proxy to the broker) can have its network pulled mid-request."""

    def __init__(
        self,
        hall: str,
        device_id: str,
        broker: BrokerAddress,
        workdir: Path,
        patience_s: float,
        cable: CuttableProxy | None = None,
    ) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.device_id = device_id
        self.cable = cable
        address = broker if cable is None else cable.address
        self.link = KioskLink(hall, device_id, boot=next_boot(workdir / "boot"), broker=address)
        self.paper = PaperRoll()
        self.outbox = Outbox(workdir / "outbox.sqlite3")
        self._port = _Port(self.link, self._before_request)
        self.desk = TicketDesk(
            server=self._port,
            outbox=self.outbox,
            printer=self.paper,
            clock=SystemClock(),
            timeout_s=REQUEST_TIMEOUT_S,
            attempts=max(1, int(patience_s / REQUEST_TIMEOUT_S)),
            max_age_s=3600.0,
            keep_s=86400.0,
        )
        self.taken: list[Taken] = []
        self.requested_at: dict[str, float] = {}  # request id → when it was first sent (epoch s)
        self.sent_at: defaultdict[str, list[float]] = defaultdict(list)  # … when the broker echoed a copy
        self.replies: defaultdict[str, list[str]] = defaultdict(list)  # request id → ticket ids / codes
        self.cut_requests: list[str] = []  # requests whose reply the pulled cable lost
        self._pulls: list[float] = []  # armed pulls: how long each keeps the cable out
        mqtt = self.link.device.link
        mqtt.subscribe(topics.dev_req(hall, device_id), self._on_own_request)
        mqtt.subscribe(topics.dev_resp(hall, device_id), self._on_reply)

    def pull_cable(self, down_s: float) -> None:
        """Lose the reply to the next request, then pull the network cable for ``down_s``.

        As the request goes out, the cable starts losing what comes back (the request itself reaches
        the broker and the server); a moment later it is pulled. The reply is lost, and the kiosk,
        once back, resends the same request id.
        """
        if self.cable is None:
            raise RuntimeError(f"{self.device_id} has no cable to pull")
        self._pulls.append(down_s)

    def start(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()
        self.outbox.close()
        if self.cable is not None:
            self.cable.close()

    def ready(self) -> bool:
        mqtt = self.link.device.link
        return mqtt.connected and mqtt.wait_subscribed(0)

    def take_ticket(self, service: str) -> Outcome:
        outcome = self.desk.issue(Op.TICKET_ISSUE, {"service": service})
        self.taken.append(Taken(self._port.last_id, outcome))
        return outcome

    def issued(self) -> dict[str, TicketResult]:
        """Request id → the ticket printed for it."""
        return {t.request_id: t.outcome.ticket for t in self.taken if isinstance(t.outcome, Issued)}

    def resent(self) -> dict[str, list[str]]:
        """The request ids that went out more than once → every reply each got.

        A copy counts when the broker echoed it to this kiosk, and the copy whose echo and reply a
        pulled cable lost counts too.
        """
        copies = Counter({rid: len(times) for rid, times in self.sent_at.items()})
        copies.update(self.cut_requests)
        return {rid: list(self.replies[rid]) for rid, n in copies.items() if n > 1}

    def _on_own_request(self, msg: Received) -> None:
        self.sent_at[decode(Request, msg.payload).id].append(time.time())

    def _before_request(self, rid: str) -> None:
        self.requested_at.setdefault(rid, time.time())
        if self._pulls and self.cable is not None:
            self.cut_requests.append(rid)
            self.cable.mute()
            threading.Thread(target=self._pull, args=(self.cable, self._pulls.pop(0)), daemon=True).start()

    @staticmethod
    def _pull(cable: CuttableProxy, down_s: float) -> None:
        time.sleep(MUTED_S)
        cable.cut()
        time.sleep(down_s)
        cable.resume()

    def _on_reply(self, msg: Received) -> None:
        resp = decode(Response, msg.payload)
        if resp.ok and resp.result is not None:
            self.replies[resp.id].append(str(resp.result.get("ticket_id")))
        else:
            self.replies[resp.id].append(resp.error.code if resp.error else "?")


@dataclass
class WindowStaff:
    """One window's person, pressing next/start/finish on the window agent's link."""

    hall: str
    device_id: str
    window: str
    broker: BrokerAddress
    service_s: float  # mean wall seconds at the counter per citizen
    seed: int
    patience_s: float  # how long one request may take, outages included
    calls: list[CallEvent] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    refused: list[str] = field(default_factory=list)  # "op request-id code: message", for the report
    resent: int = 0

    def __post_init__(self) -> None:
        kind = DeviceKind.WINDOW_AGENT.value
        self.link = DeviceLink(self.hall, self.device_id, kind, boot=1, broker=self.broker)
        self._rng = random.Random(self.seed)

    def start(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    def ready(self) -> bool:
        return self.link.link.connected and self.link.link.wait_subscribed(0)

    def work(self, no_more_tickets: threading.Event, until: float) -> None:
        """Serve citizens until nobody is waiting for this window and no kiosk will issue more."""
        while time.monotonic() < until:
            resp = self.ask(Op.WINDOW_NEXT)
            if not resp.ok:
                if not resp.error or resp.error.code != ErrorCode.QUEUE_EMPTY:
                    self._refused(Op.WINDOW_NEXT, resp)
                if no_more_tickets.is_set():
                    return
                time.sleep(self.service_s / 4)  # idle: look at the queue again shortly
                continue
            call = WindowOpResult.model_validate(resp.result or {}).call
            if call is not None:
                self.calls.append(call)
            time.sleep(self.service_s / 10)  # the citizen walks up
            self._expect_ok(Op.WINDOW_START, self.ask(Op.WINDOW_START))
            time.sleep(min(self._rng.expovariate(1 / self.service_s), 4 * self.service_s))
            self._expect_ok(Op.WINDOW_FINISH, self.ask(Op.WINDOW_FINISH))
        raise TimeoutError(f"window {self.window}: the day did not end in time")

    def ask(self, op: Op, args: dict[str, Any] | None = None) -> Response:
        """Send ``op`` and resend it with the same id until a reply comes (bounded by patience)."""
        rid = self.link.new_request_id()
        deadline = time.monotonic() + self.patience_s
        while True:
            try:
                return self.link.request(op.value, args or {}, request_id=rid, timeout=REQUEST_TIMEOUT_S)
            except RequestTimeoutError:
                if time.monotonic() > deadline:
                    raise
                self.resent += 1

    def _expect_ok(self, op: Op, resp: Response) -> None:
        if not resp.ok:
            self._refused(op, resp)

    def _refused(self, op: Op, resp: Response) -> None:
        # Every step of this script is one the server should take: a refusal is a finding of the day
        # (a call left hanging at a window shows first as the next "next" refused, the window not idle).
        code = resp.error.code if resp.error else "?"
        message = resp.error.message if resp.error else ""
        self.refusals[code] += 1
        self.refused.append(f"{op.value} {resp.id} {code}: {message}")


@dataclass
class ShownCalls(HallBoard):
    """The hall display's board, keeping every call it was given, in the order it was given them."""

    shown: list[CallEvent] = field(default_factory=list)

    def apply_call(self, call: CallEvent, now: float) -> bool:
        self.shown.append(call)
        return super().apply_call(call, now)


class HallScreen:
    """A hall display without a window: the runtime, and a painter asking for its view now and then.

    One given a ``cable`` (a proxy to the broker) can be taken off the network for a while: the calls
    made meanwhile never reach it live, and it must replay them with ``calls.since`` once back.
    """

    def __init__(
        self, hall: str, device_id: str, broker: BrokerAddress, cable: CuttableProxy | None = None
    ) -> None:
        self.device_id = device_id
        self.cable = cable
        self.board = ShownCalls()
        address = broker if cable is None else cable.address
        self.runtime = hall_runtime(hall, device_id, boot=1, broker=address, board=self.board)
        self.offline: list[tuple[float, float]] = []  # (from, to) epoch s: the cable was out
        self._stop = threading.Event()
        self._painter = threading.Thread(target=self._paint, name=f"paint-{device_id}", daemon=True)

    def start(self) -> None:
        self.runtime.start()
        self._painter.start()

    def stop(self) -> None:
        self._stop.set()
        self._painter.join(5)
        self.runtime.stop()
        if self.cable is not None:
            self.cable.close()

    def ready(self) -> bool:
        """Connected, subscribed, and holding its baseline (the retained hall state's seq)."""
        mqtt = self.runtime.link.link
        return mqtt.connected and mqtt.wait_subscribed(0) and self.runtime.sequencer.last is not None

    def pull_cable(self, down_s: float) -> None:
        """Take the screen off the network for ``down_s`` (returns at once)."""
        if self.cable is None:
            raise RuntimeError(f"{self.device_id} has no cable to pull")
        threading.Thread(target=self._offline, args=(self.cable, down_s), daemon=True).start()

    @property
    def seqs(self) -> list[int]:
        return [c.seq for c in list(self.board.shown)]

    def _offline(self, cable: CuttableProxy, down_s: float) -> None:
        start = time.time()
        cable.cut()
        time.sleep(down_s)
        cable.resume()
        self.offline.append((start, time.time()))

    def _paint(self) -> None:
        while not self._stop.wait(PAINT_EVERY_S):
            self.runtime.view()
