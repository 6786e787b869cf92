"""An honest in-memory hall implementing ``HallServices``, for tests of the bridge alone.

It keeps the promises the real services make to the bridge (idempotency by request id, calls with an
increasing ``seq``, announcements after each change, refusals as ``HallqError``) with none of the
rules. The end-to-end and conformance tests use the real services instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel

from queue_server.errors import (
    HallqError,
    InvalidStateError,
    NotAuthorizedError,
    NotFoundError,
    QueueEmptyError,
    RefusedError,
)
from queue_server.protocol.messages import (
    AppointmentCheckinArgs,
    CallEvent,
    CallKind,
    CallsSinceResult,
    CatalogResult,
    DeviceConfig,
    ErrorCode,
    HallState,
    Op,
    RatingEvent,
    RatingSubmitArgs,
    ServiceInfo,
    TicketIssueArgs,
    TicketResult,
    TicketState,
    TicketStatusResult,
    WindowBrief,
    WindowFinishArgs,
    WindowOpResult,
    WindowPauseArgs,
    WindowState,
    WindowStatus,
)
from queue_server.services.engine.models import Ack
from queue_server.services.ports import Actor, Announcer, IssueDone, Role, WindowOpDone

R = TypeVar("R")

SERVICES = {"A": "综合业务", "B": "不动产登记"}
WINDOWS = {"1": ("1号窗口", ["A", "B"]), "2": ("2号窗口", ["B"])}
AGENTS = {"agent-1": "1", "agent-2": "2"}
APPOINTMENTS = {"YY0001": "A"}
CATALOG_ETAG = "cat-v1"


@dataclass
class _Ticket:
    id: str
    number: str
    service: str
    issued_at: float
    state: TicketState = TicketState.WAITING
    window: str | None = None


@dataclass
class _Window:
    no: str
    name: str
    services: list[str]
    status: WindowStatus = WindowStatus.IDLE
    ticket: _Ticket | None = None
    last_served: _Ticket | None = None
    pause_reason: str | None = None
    ts: float = field(default_factory=time.time)


class FakeHall:
    """One hall in memory. Thread-safe: the bridge calls it from several worker threads."""

    def __init__(self, hall: str, announcers: list[Announcer] | None = None) -> None:
        self.hall = hall
        self.announcers: list[Announcer] = announcers or []
        self.open: dict[str, bool] = dict.fromkeys(SERVICES, True)
        self.tickets: dict[str, _Ticket] = {}
        self.windows = {no: _Window(no, name, svcs) for no, (name, svcs) in WINDOWS.items()}
        self.calls: list[CallEvent] = []
        self.ratings: list[tuple[str, str, RatingEvent]] = []  # (window, ticket id, rating)
        self.statuses: list[tuple[str, bytes]] = []
        self.fail_next: Exception | None = None  # raised by the next use case, to test error mapping
        self._done: dict[str, object] = {}
        self._counters: dict[str, int] = {}
        self._lock = threading.RLock()

    # --- helpers -----------------------------------------------------------------------------------

    def _once(self, request_id: str, make: Callable[[], R], kind: type[R]) -> R:
        with self._lock:
            if self.fail_next is not None:
                exc, self.fail_next = self.fail_next, None
                raise exc
            if request_id in self._done:
                done = self._done[request_id]
                if not isinstance(done, kind):
                    raise HallqError("请求编号已被其他操作使用。", code=ErrorCode.CONFLICT)
                return done
            result = make()
            self._done[request_id] = result
            return result

    def _check_hall(self, hall: str) -> None:
        if hall != self.hall:
            raise NotFoundError(hall=hall)

    def _waiting(self, service: str) -> int:
        return sum(
            1 for t in self.tickets.values() if t.service == service and t.state is TicketState.WAITING
        )

    def _ticket_result(self, t: _Ticket) -> TicketResult:
        ahead = sum(
            1
            for o in self.tickets.values()
            if o.service == t.service and o.state is TicketState.WAITING and o.issued_at < t.issued_at
        )
        return TicketResult(
            ticket_id=t.id,
            number=t.number,
            service=t.service,
            service_name=SERVICES[t.service],
            hall_name="测试大厅",
            issued_at=t.issued_at,
            people_ahead=ahead,
            eta_min=ahead * 5,
            citizen_url=f"http://127.0.0.1/t/{t.id}",
        )

    def _status(self, t: _Ticket) -> TicketStatusResult:
        waiting = t.state is TicketState.WAITING
        ahead = self._ticket_result(t).people_ahead if waiting else None
        return TicketStatusResult(
            ticket_id=t.id,
            number=t.number,
            state=t.state,
            service=t.service,
            position=None if ahead is None else ahead + 1,
            people_ahead=ahead,
            eta_min=None if ahead is None else ahead * 5,
            window=t.window,
        )

    def _window_state(self, w: _Window) -> WindowState:
        return WindowState(
            window=w.no,
            name=w.name,
            status=w.status,
            ticket=w.ticket.number if w.ticket else None,
            ticket_id=w.ticket.id if w.ticket else None,
            pause_reason=w.pause_reason,
            services=list(w.services),
            ts=w.ts,
        )

    def _announce(self, window: _Window | None = None, call: CallEvent | None = None) -> None:
        state = self.hall_state(self.hall)
        for a in self.announcers:
            if call is not None:
                a.call_made(self.hall, call)
            if window is not None:
                a.window_changed(self.hall, self._window_state(window))
            a.hall_changed(self.hall, state)

    def _issue(self, service: str) -> TicketResult:
        if service not in SERVICES:
            raise HallqError(code=ErrorCode.UNKNOWN_SERVICE, service=service)
        if not self.open[service]:
            raise RefusedError(code=ErrorCode.SERVICE_CLOSED, service=service)
        n = self._counters[service] = self._counters.get(service, 0) + 1
        t = _Ticket(f"tk-{service}{n}", f"{service}{n:03d}", service, time.time())
        self.tickets[t.id] = t
        return self._ticket_result(t)

    # --- HallServices --------------------------------------------------------------------------------

    def catalog(self, hall: str, etag: str | None) -> CatalogResult:
        self._check_hall(hall)
        if etag == CATALOG_ETAG:
            return CatalogResult(etag=CATALOG_ETAG, not_modified=True)
        services = [ServiceInfo(code=c, name=n, open=self.open[c]) for c, n in SERVICES.items()]
        return CatalogResult(etag=CATALOG_ETAG, hall_name="测试大厅", services=services)

    def issue_ticket(
        self, hall: str, args: TicketIssueArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        self._check_hall(hall)
        issued: list[TicketResult] = []

        def make() -> TicketResult:
            issued.append(self._issue(args.service or "A"))
            return issued[0]

        result = self._once(request_id, make, TicketResult)
        if issued:
            self._announce()
        return result

    def issue_ticket_async(
        self, hall: str, args: TicketIssueArgs, done: IssueDone, *, request_id: str, device_id: str | None
    ) -> None:
        try:
            ticket = self.issue_ticket(hall, args, request_id=request_id, device_id=device_id)
        except Exception as exc:
            done(None, exc)
        else:
            done(ticket, None)

    def checkin_appointment(
        self, hall: str, args: AppointmentCheckinArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        self._check_hall(hall)

        def make() -> TicketResult:
            service = APPOINTMENTS.get(args.code or "")
            if service is None:
                raise NotFoundError(code_given=args.code)
            return self._issue(service)

        return self._once(request_id, make, TicketResult)

    def ticket_status(self, hall: str, ticket_id: str) -> TicketStatusResult:
        self._check_hall(hall)
        with self._lock:
            t = self.tickets.get(ticket_id)
            if t is None:
                raise NotFoundError(ticket_id=ticket_id)
            return self._status(t)

    def calls_since(self, hall: str, seq: int, limit: int) -> CallsSinceResult:
        self._check_hall(hall)
        with self._lock:
            after = [c for c in self.calls if c.seq > seq]
        return CallsSinceResult(calls=after[:limit], more=len(after) > limit)

    def hall_state(self, hall: str) -> HallState:
        self._check_hall(hall)
        with self._lock:
            return HallState(
                seq=self.calls[-1].seq if self.calls else 0,
                open=True,
                extended=False,
                hall_name="测试大厅",
                recent_calls=self.calls[-10:],
                windows={
                    no: WindowBrief(status=w.status, ticket=w.ticket.number if w.ticket else None)
                    for no, w in self.windows.items()
                },
                waiting={s: self._waiting(s) for s in SERVICES},
                ts=time.time(),
            )

    def window_states(self, hall: str) -> list[WindowState]:
        self._check_hall(hall)
        with self._lock:
            return [self._window_state(w) for w in self.windows.values()]

    def device_window(self, hall: str, device_id: str) -> str | None:
        return AGENTS.get(device_id) if hall == self.hall else None

    def window_op_async(
        self,
        hall: str,
        device_id: str,
        op: Op,
        args: BaseModel,
        done: WindowOpDone,
        *,
        request_id: str,
    ) -> None:
        """The real services' rule: the window from the device's binding, an unbound device refused."""
        try:
            window = self.device_window(hall, device_id)
            if window is None:
                raise NotAuthorizedError(device=device_id, op=op.value)
            actor = Actor(Role.DEVICE, device_id, window)
            result = self._agent_op(hall, window, op, args, actor, request_id)
        except Exception as exc:
            done(None, exc)
        else:
            done(result, None)

    def _agent_op(
        self, hall: str, window: str, op: Op, args: BaseModel, actor: Actor, request_id: str
    ) -> WindowOpResult:
        match op:
            case Op.WINDOW_NEXT:
                return self.call_next(hall, window, actor=actor, request_id=request_id)
            case Op.WINDOW_RECALL:
                return self.recall(hall, window, actor=actor, request_id=request_id)
            case Op.WINDOW_START:
                return self.start(hall, window, actor=actor, request_id=request_id)
            case Op.WINDOW_NO_SHOW:
                return self.no_show(hall, window, actor=actor, request_id=request_id)
            case Op.WINDOW_FINISH if isinstance(args, WindowFinishArgs):
                return self.finish(hall, window, args.outcome, actor=actor, request_id=request_id)
            case Op.WINDOW_PAUSE if isinstance(args, WindowPauseArgs):
                return self.pause(hall, window, args.reason, actor=actor, request_id=request_id)
            case Op.WINDOW_RESUME:
                return self.resume(hall, window, actor=actor, request_id=request_id)
        raise TypeError(f"no window operation {op.value}")

    def _window_op(
        self, hall: str, window: str, request_id: str, act: Callable[[_Window], CallEvent | None]
    ) -> WindowOpResult:
        self._check_hall(hall)
        call: CallEvent | None = None
        ran = False

        def make() -> WindowOpResult:
            nonlocal call, ran
            ran = True
            w = self.windows[window]
            before = w.ticket
            call = act(w)
            w.ts = time.time()
            ticket = w.ticket or before
            return WindowOpResult(
                window=self._window_state(w),
                ticket=self._status(ticket) if ticket else None,
                call=call,
            )

        result = self._once(request_id, make, WindowOpResult)
        if ran:  # a replayed request changed nothing, so it announces nothing
            self._announce(self.windows[window], call)
        return result

    def _call(self, w: _Window, t: _Ticket, kind: CallKind) -> CallEvent:
        seq = self.calls[-1].seq + 1 if self.calls else 1
        call = CallEvent(
            seq=seq,
            kind=kind,
            ticket=t.number,
            window=w.no,
            window_name=w.name,
            say=f"请{t.number}号到{w.name}办理",
            ts=time.time(),
            ticket_id=t.id,
            service=t.service,
        )
        self.calls.append(call)
        return call

    def call_next(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        def act(w: _Window) -> CallEvent:
            if w.status is WindowStatus.PAUSED:
                raise InvalidStateError(window=w.no)
            waiting = [
                t for t in self.tickets.values() if t.service in w.services and t.state is TicketState.WAITING
            ]
            if not waiting:
                raise QueueEmptyError(window=w.no)
            t = min(waiting, key=lambda t: (t.issued_at, t.id))
            t.state, t.window = TicketState.CALLED, w.no
            w.ticket, w.status = t, WindowStatus.CALLING
            return self._call(w, t, CallKind.CALL)

        return self._window_op(hall, window, request_id, act)

    def recall(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        def act(w: _Window) -> CallEvent:
            if w.ticket is None or w.ticket.state is not TicketState.CALLED:
                raise InvalidStateError(window=w.no)
            return self._call(w, w.ticket, CallKind.RECALL)

        return self._window_op(hall, window, request_id, act)

    def start(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        def act(w: _Window) -> None:
            if w.ticket is None or w.ticket.state is not TicketState.CALLED:
                raise InvalidStateError(window=w.no)
            w.ticket.state, w.status = TicketState.SERVING, WindowStatus.SERVING

        return self._window_op(hall, window, request_id, act)

    def finish(
        self, hall: str, window: str, outcome: str | None, *, actor: Actor, request_id: str
    ) -> WindowOpResult:
        def act(w: _Window) -> None:
            if w.ticket is None or w.ticket.state is not TicketState.SERVING:
                raise InvalidStateError(window=w.no)
            w.ticket.state = TicketState.DONE
            w.last_served, w.ticket, w.status = w.ticket, None, WindowStatus.IDLE

        return self._window_op(hall, window, request_id, act)

    def no_show(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        def act(w: _Window) -> None:
            if w.ticket is None or w.ticket.state is not TicketState.CALLED:
                raise InvalidStateError(window=w.no)
            w.ticket.state = TicketState.NO_SHOW
            w.ticket, w.status = None, WindowStatus.IDLE

        return self._window_op(hall, window, request_id, act)

    def pause(self, hall: str, window: str, reason: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        def act(w: _Window) -> None:
            if w.ticket is not None:
                raise InvalidStateError(window=w.no)
            w.status, w.pause_reason = WindowStatus.PAUSED, reason

        return self._window_op(hall, window, request_id, act)

    def resume(self, hall: str, window: str, *, actor: Actor, request_id: str) -> WindowOpResult:
        def act(w: _Window) -> None:
            if w.status is not WindowStatus.PAUSED:
                raise InvalidStateError(window=w.no)
            w.status, w.pause_reason = WindowStatus.IDLE, None

        return self._window_op(hall, window, request_id, act)

    def record_rating(self, hall: str, window: str, rating: RatingEvent, *, device_id: str) -> None:
        with self._lock:
            served = self.windows[window].last_served
            if served is None or any(tid == served.id for _, tid, _ in self.ratings):
                return  # nothing to rate, or this visit is rated already: one rating per visit
            self.ratings.append((window, served.id, rating))

    def submit_rating(
        self, hall: str, window: str, args: RatingSubmitArgs, *, device_id: str, request_id: str
    ) -> BaseModel:
        """``rating.submit``: recorded like the event, answered like the real services."""
        self.record_rating(
            hall, window, RatingEvent(id=request_id, score=args.score, visit=args.visit), device_id=device_id
        )
        return Ack()

    def device_configs(self, hall: str) -> dict[str, DeviceConfig]:
        """The optional capability the bridge publishes as retained ``dev/{id}/config``."""
        agents = {
            device: DeviceConfig(version=1, kind="window_agent", hall_name="测试大厅", window=window)
            for device, window in AGENTS.items()
        }
        return {**agents, "kiosk-1": DeviceConfig(version=1, kind="kiosk", services=list(SERVICES))}

    def record_device_status(self, hall: str, device_id: str, payload: bytes) -> None:
        with self._lock:
            self.statuses.append((device_id, payload))
