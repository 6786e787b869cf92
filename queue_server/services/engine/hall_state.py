"""Building and announcing a hall's state (and its changed windows') after changes, coalesced, off the
request path under load."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# The hall state is rebuilt at most this often under load: displays repaint from it, and the MQTT
# announcer publishes it at most every 50 ms anyway (a build more often would go unseen).
STATE_INTERVAL_S = 0.05
# ... and the process builds at most this many hall states a second over all its busy halls: a build
# is a dozen statements, and a city instance serving 25 busy halls every 50 ms made 500 a second,
# most of its database round trips (the city benchmark's profile). The interval of each busy hall
# stretches to share the budget: 25 busy halls, each every 0.6 s. People read the waiting counts; a
# call reaches the screens by its own message, whatever the interval.
STATE_BUILDS_PER_S = 40.0


@dataclass
class _Hall:
    busy: bool = False  # a build is running, or the background thread owns the hall
    dirty: bool = False  # a change committed since the running build began reading
    last: float = -math.inf  # monotonic end of the last build
    windows: set[int] = field(default_factory=set)  # windows changed since the running build began reading


class HallStatePublisher:
    """Rebuilds and announces a hall's state after changes, off the request path under load.

    The state is a dozen queries; rebuilding it after every ticket made each request pay for it. Now a
    change to a quiet hall is built at once by the thread that committed it (so a caller that acts and
    then looks sees its change: the tests, a console). A change made while a build is running only
    marks the hall dirty and returns; ONE background thread per hall then rebuilds, at most every
    ``interval`` seconds, each build including every change committed before it began, and exits once
    the hall has been quiet for an interval. A change reported from the services' writer thread
    (``inline=False``, an asynchronous write) always goes to that background thread: the writer must
    not stop committing to build it. Builds of a hall never overlap and each begins after the
    previous one ended, so a state is never announced after a newer one.

    A change may name the windows it changed (an asynchronous window operation: a window agent's
    call): their states are built by the same build, before the hall's, so one hall's window states
    too are never announced out of order by this publisher.
    """

    def __init__(
        self,
        build: Callable[[str, frozenset[int]], None],
        interval: float = STATE_INTERVAL_S,
        builds_per_s: float = STATE_BUILDS_PER_S,
    ) -> None:
        self._build = build
        self._interval = interval
        self._builds_per_s = builds_per_s
        self._cond = threading.Condition()
        self._halls: dict[str, _Hall] = {}

    def changed(self, hall: str, *, windows: Iterable[int] = (), inline: bool = True) -> None:
        """Build and announce the hall's state (and the states of ``windows``) after a committed change
        (see the class doc); with ``inline`` False never in this thread (the services' writer thread
        must not pay for it)."""
        with self._cond:
            slot = self._halls.setdefault(hall, _Hall())
            slot.windows.update(windows)
            if slot.busy:
                slot.dirty = True
                self._cond.notify_all()
                return
            slot.busy = True
            slot.dirty = not inline
        if not inline:
            self._start_background(hall, slot)
            return
        try:
            self._run(hall, slot)
        except BaseException:  # interrupted (Ctrl-C): nobody builds now, the next change does
            with self._cond:
                slot.busy = slot.dirty = False
                self._cond.notify_all()
            raise
        with self._cond:
            slot.last = time.monotonic()
            if not slot.dirty:
                slot.busy = False
                self._cond.notify_all()
                return
        self._start_background(hall, slot)

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: not any(s.busy or s.dirty for s in self._halls.values()), timeout
            )

    def _start_background(self, hall: str, slot: _Hall) -> None:
        thread = threading.Thread(
            target=self._background, args=(hall, slot), name=f"hallq-state-{hall}", daemon=True
        )
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: nobody is left to show it to
            with self._cond:
                slot.busy = slot.dirty = False
                self._cond.notify_all()

    def interval(self) -> float:
        """The gap between two builds of a busy hall now: ``interval``, stretched so that the busy halls
        together stay within ``builds_per_s``. Called under the lock."""
        busy = sum(1 for s in self._halls.values() if s.busy)
        return max(self._interval, busy / self._builds_per_s)

    def _background(self, hall: str, slot: _Hall) -> None:
        while True:
            with self._cond:
                # Linger one interval for more changes; a quiet hall goes back to building inline.
                while not slot.dirty:
                    remaining = slot.last + self.interval() - time.monotonic()
                    if remaining <= 0:
                        slot.busy = False
                        self._cond.notify_all()
                        return
                    self._cond.wait(remaining)
                delay = slot.last + self.interval() - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # changes arriving meanwhile fold into this build
            self._run(hall, slot)
            with self._cond:
                slot.last = time.monotonic()

    def _run(self, hall: str, slot: _Hall) -> None:
        with self._cond:
            slot.dirty = False  # cleared before reading: a change committed from now on builds again
            windows = frozenset(slot.windows)
            slot.windows.clear()
        try:
            self._build(hall, windows)
        except Exception:  # the build logs its own failures; this thread must survive anything
            log.exception("hall state of %s not announced", hall)
