"""``hallq up``'s boot steps: one printed line each, with the notes a step leaves, and each started
thing registered to stop in reverse order."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def step(
    name: str, start: Callable[[], T], started: contextlib.ExitStack | None = None, stop: str = "stop"
) -> T:
    """Run one boot step and print its line; register ``thing.<stop>()`` to run on the way out."""
    _notes.clear()
    t0 = time.perf_counter()
    try:
        thing = start()
    except BaseException:
        print(f"hallq up: {name} failed", flush=True)
        raise
    notes = "".join(f"; {n}" for n in _notes)
    print(f"hallq up: {name} ok ({(time.perf_counter() - t0) * 1000:.0f} ms){notes}", flush=True)
    if started is not None and thing is not None:
        started.callback(_stopping, name, getattr(thing, stop))
    return thing


_notes: list[str] = []


def note(text: str) -> None:
    """Something the user should know about the step under way, shown on its line."""
    _notes.append(text)


def _stopping(name: str, stop: Callable[[], object]) -> None:
    print(f"hallq up: stopping {name}", flush=True)
    try:
        stop()
    except Exception:
        # Keep unwinding: the steps before this one still have to stop.
        log.exception("stopping %s failed", name)
