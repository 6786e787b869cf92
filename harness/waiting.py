"""``eventually()``: wait until a probe gives a truthy value, on a clock every test shares.

Every timeout passes through ``scaled()``: env ``HALLQ_TIME_SCALE`` (a float, default 1) multiplies it,
so a loaded machine (CI runners, a laptop compiling something) sets 2 or 3 once instead of each test
guessing its own margin. Timeouts bound a wait for something that must happen; they never measure
speed (that is benchmarks/' job), so stretching them changes no verdict, only how long a failure takes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

TIME_SCALE_ENV = "HALLQ_TIME_SCALE"
DEFAULT_TIMEOUT_S = 10.0
_NOT_YET = object()


def time_scale() -> float:
    """The suite-wide factor for timeouts (env ``HALLQ_TIME_SCALE``; 1 when unset)."""
    raw = os.environ.get(TIME_SCALE_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        scale = float(raw)
    except ValueError:
        raise ValueError(f"{TIME_SCALE_ENV}={raw!r} is not a number") from None
    if not scale > 0:
        raise ValueError(f"{TIME_SCALE_ENV}={raw!r} must be above 0")
    return scale


def scaled(seconds: float) -> float:
    """``seconds`` stretched by the suite-wide time scale."""
    return seconds * time_scale()


def eventually(
    probe: Callable[[], T],
    timeout: float = DEFAULT_TIMEOUT_S,
    *,
    what: str,
    interval: float = 0.01,
    ignoring: tuple[type[Exception], ...] = (),
) -> T:
    """Call ``probe`` until it returns something truthy, and return that value.

    ``timeout`` (seconds) is scaled by ``time_scale()``. ``probe`` is called once more after the
    deadline, so a scheduler that woke this thread late cannot turn a success into a failure.
    Exceptions of the types in ``ignoring`` count as "not yet" (e.g. ``ConnectionRefusedError`` while
    a server starts); any other exception propagates at once.

    Raises ``AssertionError`` naming ``what``, the scaled timeout and the last value (or ignored
    exception) the probe gave, e.g. ``"the call on the display: not within 10.0 s; last seen: []"``.
    """
    limit = scaled(timeout)
    deadline = time.monotonic() + limit
    last: object = _NOT_YET
    while True:
        past_deadline = time.monotonic() >= deadline
        try:
            value = probe()
        except ignoring as exc:
            last = exc
        else:
            if value:
                return value
            last = value
        if past_deadline:
            seen = "nothing (the probe never returned)" if last is _NOT_YET else repr(last)
            raise AssertionError(f"{what}: not within {limit:.1f} s; last seen: {seen}")
        time.sleep(max(0.0, min(interval, deadline - time.monotonic())))


def eventually_equal(
    get: Callable[[], T],
    expected: T,
    timeout: float = DEFAULT_TIMEOUT_S,
    *,
    what: str,
    interval: float = 0.01,
) -> T:
    """Wait until ``get()`` equals ``expected`` (``eventually`` with the same scaled ``timeout``).

    A failure shows the value ``get`` gave last, not just ``False``: e.g. ``"every call once: not
    within 20.0 s; last seen: [2, 3, 5] (expected [2, 3, 4, 5])"``.
    """
    seen: list[T] = []

    def equal() -> bool:
        seen[:] = [get()]
        return seen[0] == expected

    try:
        eventually(equal, timeout, what=what, interval=interval)
    except AssertionError:
        last = repr(seen[0]) if seen else "nothing"
        limit = scaled(timeout)
        raise AssertionError(
            f"{what}: not within {limit:.1f} s; last seen: {last} (expected {expected!r})"
        ) from None
    return seen[0]
