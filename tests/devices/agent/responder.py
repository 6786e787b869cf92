"""A stand-in queue server for one window, speaking docs/design/PROTOCOL.md over a real broker.

It answers the ``window.*`` ops of the agent bound to its window (others get ``not_authorized``),
keeps the window state machine of the real services (idle → calling → serving → idle, idle ↔ paused),
is idempotent by request id, publishes the retained ``window/{no}/state`` and a retained server birth
(with a Last Will), and records every request and rating exactly as they arrived on the wire, so a
test can count resends.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from harness.waiting import eventually, scaled
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.protocol.codec import ProtocolError, decode
from queue_server.protocol.messages import (
    ErrorCode,
    Op,
    RatingEvent,
    RatingSubmitArgs,
    Request,
    Response,
    ServerStatus,
    TicketState,
    TicketStatusResult,
    WindowFinishArgs,
    WindowOpResult,
    WindowPauseArgs,
    WindowState,
    WindowStatus,
    parse_args,
)

T = TypeVar("T")
WAIT = 5.0  # seconds, before the suite's time scale (harness.waiting.scaled)


class RefusedError(Exception):
    def __init__(self, code: ErrorCode) -> None:
        self.code = code
        super().__init__(code.value)


class WindowResponder:
    def __init__(
        self,
        address: BrokerAddress,
        hall: str,
        agent_id: str = "agent-1",
        window: str = "1",
        *,
        last_will: bool = True,
    ) -> None:
        self.hall, self.agent_id, self.window = hall, agent_id, window
        self.instance = f"r{uuid.uuid4().hex[:8]}"
        offline = ServerStatus(state="offline", instance=self.instance)
        will = (topics.server_status(self.instance), offline) if last_will else None
        self.link = MqttLink(f"hallq-server-{self.instance}", address, will=will)
        self._lock = threading.RLock()  # a probe may call methods that take it too
        # What arrived on the wire, every copy.
        self.requests: list[Request] = []
        self.ratings: list[RatingEvent] = []
        # What was done, once per request id.
        self.done: list[tuple[str, str]] = []  # (op, request id)
        self.recorded: dict[str, RatingEvent] = {}  # visit ticket id → its one rating
        self._replies: dict[str, Response] = {}
        self._numbers = (f"A{n:03d}" for n in itertools.count(1))
        self.waiting: deque[tuple[str, str]] = deque()  # (number, ticket id)
        self.status = WindowStatus.IDLE
        self.current: tuple[str, str] | None = None
        self.pause_reason: str | None = None
        self.served: list[tuple[str, str]] = []

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> WindowResponder:
        self.link.subscribe(topics.all_requests(self.hall), self._on_request)
        self.link.subscribe(topics.all_events(self.hall), self._on_event)
        self.link.on_connect(self._birth)
        self.link.start()
        assert self.link.wait_connected(scaled(WAIT))
        assert self.link.wait_subscribed(scaled(WAIT))
        return self

    def stop(self) -> None:
        """Say offline (as the real server does on a clean stop: a clean disconnect fires no Will)."""
        offline = ServerStatus(state="offline", instance=self.instance, ts=time.time())
        self.link.stop(
            before_disconnect=lambda: self.link.publish(
                topics.server_status(self.instance), offline, retain=True
            )
        )

    def _birth(self) -> None:
        # Subscriptions went out before this hook: once the birth is visible they are in effect.
        self._publish_state()
        online = ServerStatus(state="online", instance=self.instance, ts=time.time())
        self.link.publish(topics.server_status(self.instance), online, retain=True)

    # --- the hall ----------------------------------------------------------------------------------

    def issue(self, count: int = 1) -> list[tuple[str, str]]:
        """Tickets waiting for this window: (number, ticket id)."""
        made = [(next(self._numbers), uuid.uuid4().hex[:22]) for _ in range(count)]
        with self._lock:
            self.waiting.extend(made)
        return made

    def finish_at_counter(self) -> None:
        """The staff member finishes the visit at the counter console, not with the keypad."""
        with self._lock:
            assert self.status is WindowStatus.SERVING and self.current is not None
            self.served.append(self.current)
            self.status, self.current = WindowStatus.IDLE, None
            self._publish_state()

    def set_status(self, status: WindowStatus, pause_reason: str | None = None) -> None:
        with self._lock:
            self.status, self.pause_reason = status, pause_reason
            self._publish_state()

    def state(self) -> WindowState:
        number, ticket_id = self.current if self.current else (None, None)
        return WindowState(
            window=self.window,
            name=f"{self.window}号窗口",
            status=self.status,
            ticket=number,
            ticket_id=ticket_id,
            staff="张*",
            pause_reason=self.pause_reason if self.status is WindowStatus.PAUSED else None,
            ts=time.time(),
        )

    def _publish_state(self) -> None:
        self.link.publish(topics.window_state(self.hall, self.window), self.state(), retain=True)

    # --- waiting, for tests ----------------------------------------------------------------------------

    def wait_for(self, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
        """``probe()``'s value once it is truthy, ``probe`` called under the responder's lock."""

        def locked() -> T | None:
            with self._lock:
                return probe()

        value = eventually(locked, timeout, what="what the test waited for at the responder")
        assert value is not None
        return value

    def ops(self) -> list[str]:
        with self._lock:
            return [op for op, _ in self.done]

    # --- requests and events (network thread) -------------------------------------------------------

    def _on_request(self, msg: Received) -> None:
        topic = topics.parse_topic(msg.topic)
        assert isinstance(topic, topics.DeviceTopic)
        try:
            request = decode(Request, msg.payload)
        except ProtocolError:
            return
        with self._lock:
            self.requests.append(request)
            if request.op == Op.RATING_SUBMIT.value:
                self._rating_arrived(request)
            reply = self._replies.get(request.id)
            if reply is None:
                reply = self._handle(topic.device_id, request)
                if reply.ok:
                    self._replies[request.id] = reply  # like the server: refusals are not stored
        self.link.publish(topics.dev_resp(self.hall, topic.device_id), reply)

    def _handle(self, device: str, request: Request) -> Response:
        try:
            op, args = parse_args(request)
            if device != self.agent_id:
                raise RefusedError(ErrorCode.NOT_AUTHORIZED)
            if isinstance(args, RatingSubmitArgs):
                return self._rate(request.id, args)
            ticket = self._apply(op, args)
        except ProtocolError:
            return Response.failure(request.id, ErrorCode.BAD_REQUEST)
        except RefusedError as exc:
            return Response.failure(request.id, exc.code)
        self.done.append((op.value, request.id))
        self._publish_state()
        result = WindowOpResult(window=self.state(), ticket=ticket)
        return Response.success(request.id, result)

    def _require(self, *allowed: WindowStatus) -> None:
        if self.status not in allowed:
            raise RefusedError(ErrorCode.INVALID_STATE)

    def _apply(self, op: Op, args: object) -> TicketStatusResult | None:
        acted = self.current
        match op:
            case Op.WINDOW_NEXT:
                self._require(WindowStatus.IDLE)
                if not self.waiting:
                    raise RefusedError(ErrorCode.QUEUE_EMPTY)
                self.current = acted = self.waiting.popleft()
                self.status = WindowStatus.CALLING
            case Op.WINDOW_RECALL:
                self._require(WindowStatus.CALLING)
            case Op.WINDOW_START:
                self._require(WindowStatus.CALLING)
                self.status = WindowStatus.SERVING
            case Op.WINDOW_FINISH:
                assert isinstance(args, WindowFinishArgs)
                self._require(WindowStatus.SERVING)
                assert self.current is not None
                self.served.append(self.current)
                self.status, self.current = WindowStatus.IDLE, None
            case Op.WINDOW_NO_SHOW:
                self._require(WindowStatus.CALLING)
                self.status, self.current = WindowStatus.IDLE, None
            case Op.WINDOW_PAUSE:
                assert isinstance(args, WindowPauseArgs)
                self._require(WindowStatus.IDLE)
                self.status, self.pause_reason = WindowStatus.PAUSED, args.reason
            case Op.WINDOW_RESUME:
                self._require(WindowStatus.PAUSED)
                self.status, self.pause_reason = WindowStatus.IDLE, None
            case _:
                raise RefusedError(ErrorCode.BAD_REQUEST)
        if acted is None:
            return None
        number, ticket_id = acted
        return TicketStatusResult(
            ticket_id=ticket_id,
            number=number,
            state=TicketState.DONE if op is Op.WINDOW_FINISH else TicketState.CALLED,
            service="A",
            position=None,
            people_ahead=None,
            eta_min=None,
            window=self.window,
        )

    def _rating_arrived(self, request: Request) -> None:
        """Every copy on the wire, as ``ratings`` has always counted them."""
        try:
            _, args = parse_args(request)
        except ProtocolError:
            return
        if isinstance(args, RatingSubmitArgs):
            self.ratings.append(RatingEvent(id=request.id, score=args.score, visit=args.visit))

    def _rate(self, request_id: str, args: RatingSubmitArgs) -> Response:
        """``rating.submit``: recorded once per visit this window served, like the server."""
        served = {ticket_id for _, ticket_id in self.served}
        if args.visit not in served:
            raise RefusedError(ErrorCode.INVALID_STATE)
        if args.visit in self.recorded:
            raise RefusedError(ErrorCode.CONFLICT)
        self.recorded[args.visit] = RatingEvent(id=request_id, score=args.score, visit=args.visit)
        return Response.success(request_id, {"ok": True})

    def _on_event(self, msg: Received) -> None:
        topic = topics.parse_topic(msg.topic)
        assert isinstance(topic, topics.DeviceTopic)
        if topic.event != "rating":
            return
        try:
            rating = decode(RatingEvent, msg.payload)
        except ProtocolError:
            return
        with self._lock:
            self.ratings.append(rating)
            served = {ticket_id for _, ticket_id in self.served}
            if rating.visit in served and rating.visit not in self.recorded:
                self.recorded[rating.visit] = rating
