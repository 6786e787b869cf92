"""A window agent's operations, as the MQTT door asks for them: ``window_op_async`` (queued for the
services' writer thread, the binding read in the write's own transaction)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from harness.factories import HallFixture, build_hall
from harness.waiting import scaled
from queue_server.errors import HallqError
from queue_server.protocol.messages import (
    CallEvent,
    ErrorCode,
    HallState,
    NoArgs,
    Op,
    WindowFinishArgs,
    WindowOpResult,
    WindowPauseArgs,
    WindowState,
    WindowStatus,
)
from queue_server.services.engine.lookup import window_by_number
from queue_server.services.engine.tx import Tx
from queue_server.services.views.snapshots import window_state
from tests.services.helpers import commit_held


class Threads:
    """Each announcement in order: (kind, thread)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def _saw(self, kind: str) -> None:
        self.log.append((kind, threading.current_thread().name))

    def seen(self, kind: str) -> list[str]:
        return [thread for k, thread in self.log if k == kind]

    def call_made(self, hall: str, call: CallEvent) -> None:
        self._saw("call")

    def window_changed(self, hall: str, window: WindowState) -> None:
        self._saw("window")

    def hall_changed(self, hall: str, state: HallState) -> None:
        self._saw("hall")


@pytest.fixture
def hall(shared_url: str, hall_code: str) -> Iterator[HallFixture]:
    """The small hall, its announcements recorded (and their threads: ``_threads``)."""
    h = build_hall(shared_url, code=hall_code, migrate=False, record=True, announcers=(Threads(),))
    yield h
    h.close()


def _threads(hall: HallFixture) -> Threads:
    (found,) = (a for a in hall.services.runner.announcers if isinstance(a, Threads))
    return found


class Outcome:
    """The one ``done`` call of an asynchronous window operation, and the thread that made it."""

    def __init__(self) -> None:
        self.calls: list[tuple[WindowOpResult | None, BaseException | None, str]] = []
        self.arrived = threading.Event()

    def __call__(self, result: WindowOpResult | None, exc: BaseException | None) -> None:
        self.calls.append((result, exc, threading.current_thread().name))
        self.arrived.set()

    def result(self) -> WindowOpResult:
        assert self.arrived.wait(scaled(10)), "no outcome"
        ((result, exc, _thread),) = self.calls
        assert exc is None, exc
        assert result is not None
        return result

    def refusal(self) -> HallqError:
        assert self.arrived.wait(scaled(10)), "no outcome"
        ((result, exc, _thread),) = self.calls
        assert result is None and isinstance(exc, HallqError), (result, exc)
        return exc


def _op(
    hall: HallFixture, op: Op, args: BaseModel | None = None, *, device: str = "agent-1", rid: str = ""
) -> Any:
    outcome = Outcome()
    hall.services.window_op_async(
        hall.code, device, op, args or NoArgs(), outcome, request_id=rid or hall.rid()
    )
    return outcome


def test_an_agents_call_returns_at_once_and_is_answered_from_the_writer(hall: HallFixture) -> None:
    hall.open_window("1", "li")
    ticket = hall.issue("A")
    with commit_held(hall):
        # The commit is held: a call that waited for it would hang here instead of returning.
        outcome = _op(hall, Op.WINDOW_NEXT)
        assert not outcome.arrived.is_set()
    called = outcome.result()
    assert outcome.calls[0][2] == "hallq-writer"
    assert called.ticket is not None and called.ticket.number == ticket.number
    assert called.window.status is WindowStatus.CALLING
    assert [c.ticket for c in hall.announcer.calls] == [ticket.number]


def test_the_windows_state_is_retained_before_the_reply_and_not_built_again(hall: HallFixture) -> None:
    hall.open_window("1", "li")
    ticket = hall.issue("A")
    hall.announcer.windows.clear()
    threads = _threads(hall)
    threads.log.clear()

    def replied(result: WindowOpResult | None, exc: BaseException | None) -> None:
        threads.log.append(("reply", threading.current_thread().name))
        outcome(result, exc)

    outcome = Outcome()
    hall.services.window_op_async(hall.code, "agent-1", Op.WINDOW_NEXT, NoArgs(), replied, request_id="n-1")
    result = outcome.result()
    assert hall.services.runner.wait_idle(scaled(10))
    # From the writer: the call, then the window as the transaction left it (no read: the reply's own
    # state), then the reply; a device that acts and then looks finds the retained state current.
    writer = "hallq-writer"
    assert threads.log[:3] == [("call", writer), ("window", writer), ("reply", writer)]
    # Only then, off the writer, the hall's state, and not the window's again: a build stamped later
    # than the op could replace the op's state with the one before it.
    assert threads.seen("window") == [writer]
    assert hall.announcer.windows == [result.window]
    assert (result.window.status, result.window.ticket) == (WindowStatus.CALLING, ticket.number)
    assert writer not in threads.seen("hall")
    assert hall.announcer.states[-1].windows["1"].ticket == ticket.number


def test_the_other_windows_an_async_write_changed_are_built_off_the_writer(hall: HallFixture) -> None:
    hall.open_window("1", "li")
    hall.open_window("2", "zhang")
    threads = _threads(hall)
    threads.log.clear()
    hall.announcer.windows.clear()

    def touch_both(tx: Tx) -> WindowOpResult:
        one, two = window_by_number(tx, "1"), window_by_number(tx, "2")
        tx.changes.touch(one)
        tx.changes.touch(two)
        return WindowOpResult(window=window_state(tx, one))

    outcome = Outcome()
    runner = hall.services.runner
    runner.write_async(hall.code, "test.touch", touch_both, WindowOpResult, outcome, request_id=None)
    outcome.result()
    assert runner.wait_idle(scaled(10))
    announced = [
        (w.window, thread)
        for w, (_kind, thread) in zip(hall.announcer.windows, _windows(threads), strict=True)
    ]
    assert announced[0] == ("1", "hallq-writer")  # the op's own, from its result
    assert [window for window, _ in announced[1:]] == ["2"]  # the other, read again …
    assert announced[1][1] != "hallq-writer"  # … off the writer


def _windows(threads: Threads) -> list[tuple[str, str]]:
    return [entry for entry in threads.log if entry[0] == "window"]


def test_every_window_op_acts_on_the_agents_own_window(hall: HallFixture) -> None:
    hall.open_window("1", "li")
    hall.open_window("2", "zhang")
    first, second = hall.issue("A"), hall.issue("A")
    assert _op(hall, Op.WINDOW_NEXT).result().window.window == "1"
    assert _op(hall, Op.WINDOW_RECALL).result().call is not None
    assert _op(hall, Op.WINDOW_START).result().window.status is WindowStatus.SERVING
    done = _op(hall, Op.WINDOW_FINISH, WindowFinishArgs(outcome=None)).result()
    assert done.window.status is WindowStatus.IDLE and done.ticket is not None
    assert done.ticket.number == first.number
    next_one = _op(hall, Op.WINDOW_NEXT).result().ticket
    assert next_one is not None and next_one.number == second.number
    assert _op(hall, Op.WINDOW_NO_SHOW).result().window.status is WindowStatus.IDLE
    paused = _op(hall, Op.WINDOW_PAUSE, WindowPauseArgs(reason="午休")).result()
    assert (paused.window.status, paused.window.pause_reason) == (WindowStatus.PAUSED, "午休")
    assert _op(hall, Op.WINDOW_RESUME).result().window.status is WindowStatus.IDLE
    # Window 2 was never touched: the request carries no window, the binding decides.
    assert {c.window for c in hall.announcer.calls} == {"1"}


def test_a_device_bound_to_no_window_is_refused_and_changes_nothing(hall: HallFixture) -> None:
    hall.open_window("1", "li")
    hall.issue("A")
    refused = _op(hall, Op.WINDOW_NEXT, device="kiosk-1").refusal()
    assert refused.code is ErrorCode.NOT_AUTHORIZED
    assert not hall.announcer.calls
    assert _op(hall, Op.WINDOW_NEXT, device="stranger").refusal().code is ErrorCode.NOT_AUTHORIZED


def test_a_retransmitted_call_is_answered_again_and_called_once(hall: HallFixture) -> None:
    hall.open_window("1", "li")
    hall.issue("A")
    hall.issue("A")
    first = _op(hall, Op.WINDOW_NEXT, rid="agent-1-7").result()
    again = _op(hall, Op.WINDOW_NEXT, rid="agent-1-7").result()
    assert again == first
    assert len(hall.announcer.calls) == 1


def test_a_refused_call_resent_after_a_ticket_arrived_is_refused_again(hall: HallFixture) -> None:
    # The agent had ``queue_empty`` for its request; its resend (same id, the reply having seemed
    # slow) must not call the ticket issued since: the agent would never hear of that call, and the
    # window, calling, would refuse every later ``window.next`` with ``invalid_state``.
    hall.open_window("1", "li")
    assert _op(hall, Op.WINDOW_NEXT, rid="agent-1-9").refusal().code is ErrorCode.QUEUE_EMPTY
    hall.issue("A")
    assert _op(hall, Op.WINDOW_NEXT, rid="agent-1-9").refusal().code is ErrorCode.QUEUE_EMPTY
    assert not hall.announcer.calls
    called = _op(hall, Op.WINDOW_NEXT, rid="agent-1-10").result()  # a new request calls it
    assert called.call is not None and len(hall.announcer.calls) == 1
