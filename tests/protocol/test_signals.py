"""SignalFlag: a stop signal interrupting the handler of another one must not hang the program."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

from harness.waiting import scaled
from queue_server.protocol.signals import SignalFlag

# Runs HANDLER (a statement that installs the handler under test for SIGUSR2) and raises SIGUSR2.
# While that handler runs, a profile hook raises SIGUSR2 again at each call it makes: the second signal
# lands at each point where a real one could, and Python runs its handler right there, nested.
NESTED = """
import signal, sys, threading
from queue_server.protocol.signals import SignalFlag

{handler}
real = signal.getsignal(signal.SIGUSR2)
depth = 0
nested = 0

def handler(signum, frame):
    global depth
    depth += 1
    try:
        real(signum, frame)
    finally:
        depth -= 1

def interrupt(frame, event, arg):
    global nested
    if depth == 1 and event in ("call", "c_call"):
        nested += 1
        signal.raise_signal(signal.SIGUSR2)

signal.signal(signal.SIGUSR2, handler)
sys.setprofile(interrupt)
signal.raise_signal(signal.SIGUSR2)
sys.setprofile(None)
print("done", nested, {result})
"""


def _run_nested(handler: str, result: str, timeout: float) -> subprocess.CompletedProcess[str]:
    code = NESTED.format(handler=textwrap.dedent(handler), result=result)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_a_signal_nested_in_the_flags_handler_is_recorded_and_nothing_waits() -> None:
    done = _run_nested("flag = SignalFlag(signal.SIGUSR2)", "flag.received", timeout=scaled(30))
    assert done.returncode == 0, done.stderr
    word, nested, received = done.stdout.split()
    assert word == "done" and int(nested) >= 1  # the harness did interrupt the handler
    assert int(received) == signal.SIGUSR2


def test_the_harness_hangs_a_handler_that_takes_a_lock() -> None:
    """The control: ``Event.set`` in a handler, as the agent had, never returns under the harness."""
    with pytest.raises(subprocess.TimeoutExpired):
        _run_nested(
            "stop = threading.Event()\nsignal.signal(signal.SIGUSR2, lambda *_: stop.set())", "1", timeout=3
        )


@pytest.fixture
def usr1() -> Iterator[int]:
    """SIGUSR1, its handler put back after the test."""
    previous = signal.getsignal(signal.SIGUSR1)
    yield signal.SIGUSR1
    if previous is not None:
        signal.signal(signal.SIGUSR1, previous)


def test_take_returns_a_signal_once(usr1: int) -> None:
    flag = SignalFlag(usr1)
    assert flag.take() is None
    signal.raise_signal(usr1)
    signal.raise_signal(usr1)
    assert flag.take() == usr1  # two before a take count as one
    assert flag.take() is None


def test_wait_returns_the_signal_sent_from_another_thread_or_none_when_the_event_is_set(usr1: int) -> None:
    flag = SignalFlag(usr1)
    threading.Timer(0.2, os.kill, (os.getpid(), usr1)).start()
    assert flag.wait(0.05) == usr1
    flag.take()
    event = threading.Event()
    threading.Timer(0.2, event.set).start()
    started = time.monotonic()
    assert flag.wait(0.05, or_until=event) is None
    assert time.monotonic() - started < scaled(5)  # woken by the event, not stuck waiting for a signal
