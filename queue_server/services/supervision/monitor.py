"""The running hall's supervision: when to evaluate the rules, and telling the screens.

``SupervisionMonitor`` hears of every committed write from the runner (tickets, calls, pauses,
ratings, device statuses and heartbeats: ``Runner.committed``) and marks the hall; its one thread
evaluates the marked halls, then waits ``GAP_S`` so that a burst of writes costs one evaluation. Every
``TICK_S`` it evaluates every hall anyway: waits, pauses, idle windows and silent devices grow with
time alone. Time comes from the services' clock, so a test moves a ``FakeClock`` and calls ``tick()``.

An evaluation first reads whether anything would change (most do not) and only then writes
(``alerts.evaluate``, one transaction). When the stored alerts changed, or a manager acknowledged one,
the open alerts go to every announcer that takes them (``AlertsListener``): the browsers' live channel
(event ``alerts``) and the MQTT announcer (retained ``…/alerts``). Publishing reads the open alerts and
hands them over under one lock, so a newer state is never overtaken by an older one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from sqlmodel import Session, col, select

from queue_server.errors import UnavailableError
from queue_server.protocol.alerts import AlertsState
from queue_server.services.engine.runner import Runner
from queue_server.services.supervision import alerts
from queue_server.services.supervision.models import Evaluated
from queue_server.services.usecases import UseCase
from queue_server.store.engine import reader
from queue_server.store.tables import Hall

log = logging.getLogger(__name__)

# Time-based rules count in minutes (device silence in tens of seconds): a tick every 10 s raises an
# alert within 10 s of its threshold and costs one read per hall.
TICK_S = 10.0
# Under load (hundreds of tickets a second) one evaluation per this gap is plenty for a manager's
# screen, and keeps supervision's reads to a few per second beside the hall's writes.
GAP_S = 0.5

# Its own writes do not ask for another evaluation.
_OWN = frozenset({UseCase.EVALUATE_ALERTS.value, UseCase.ACKNOWLEDGE_ALERT.value})


@runtime_checkable
class AlertsListener(Protocol):
    """An announcer that also shows the open alerts; told from any thread, must not raise."""

    def alerts_changed(self, hall: str, state: AlertsState) -> None: ...


class SupervisionMonitor:
    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        self._wake = threading.Condition()
        self._dirty: set[str] = set()
        self._halls: Sequence[str] | None = None
        self._tick_s = TICK_S
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._publishing = threading.Lock()
        runner.committed.append(self._committed)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self, halls: Sequence[str] | None = None, *, tick_s: float = TICK_S) -> None:
        """Evaluate from now on: ``halls`` (None: every hall of the database) every ``tick_s``, and a
        hall after each of its writes. The first round publishes every hall's open alerts (the broker
        may have lost the retained ones)."""
        if self._thread is not None:
            return
        self._halls, self._tick_s = halls, tick_s
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="hallq-supervision", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    # --- triggers ----------------------------------------------------------------------------------

    def _committed(self, hall: str, op: str) -> None:
        if op not in _OWN:
            self.poke(hall)

    def poke(self, hall: str) -> None:
        """Evaluate ``hall`` soon (on the monitor's thread, once started)."""
        with self._wake:
            self._dirty.add(hall)
            self._wake.notify()

    def tick(self) -> None:
        """Evaluate every hall now (the time-based rules); what the thread does every ``tick_s``."""
        for hall in self._all_halls():
            self._safely(hall)

    # --- evaluating and publishing --------------------------------------------------------------------

    def evaluate(self, hall: str) -> Evaluated:
        """Bring the hall's stored alerts in line with the rules now; publish when they changed."""
        if not self._runner.read(hall, alerts.due):
            return Evaluated()
        result = self._runner.write(
            hall, UseCase.EVALUATE_ALERTS, alerts.evaluate, Evaluated, request_id=None
        )
        if result.changed:
            log.info("hall %s alerts: raised %s resolved %s", hall, result.raised, result.resolved)
            self.publish(hall)
        return result

    def publish(self, hall: str) -> None:
        """Hand the hall's open alerts to every announcer that shows them; never raises."""
        try:
            with self._publishing:
                state = self._runner.read(hall, alerts.alerts_state)
                for announcer in self._runner.announcers:
                    if isinstance(announcer, AlertsListener):
                        announcer.alerts_changed(hall, state)
        except Exception:
            log.exception("alerts of hall %s not published", hall)

    def _safely(self, hall: str) -> None:
        try:
            self.evaluate(hall)
        except UnavailableError as exc:
            # The database away, or (leases on) the hall moved to another instance between the
            # round's list and this write: its new holder evaluates it; no traceback for either.
            log.warning("supervision of hall %s skipped: %s", hall, exc)
        except Exception:
            log.exception("supervision of hall %s failed", hall)

    def _all_halls(self) -> list[str]:
        if self._halls is not None:
            return list(self._halls)
        with Session(reader(self._runner.engine)) as session:
            return list(session.exec(select(Hall.code).order_by(col(Hall.id))))

    def _run(self) -> None:
        next_tick = 0.0  # the first round at once
        published = False
        while not self._stopping.is_set():
            with self._wake:
                self._wake.wait_for(
                    lambda: bool(self._dirty) or self._stopping.is_set(),
                    max(0.0, next_tick - time.monotonic()),
                )
                dirty, self._dirty = self._dirty, set()
            if self._stopping.is_set():
                return
            try:
                if time.monotonic() >= next_tick:
                    dirty |= set(self._all_halls())
                    next_tick = time.monotonic() + self._tick_s
                for hall in sorted(dirty):
                    self._safely(hall)
                if not published:
                    # After a restart the broker may hold an older list (or none): send the current one.
                    for hall in self._all_halls():
                        self.publish(hall)
                    published = True
            except Exception:  # the database away: try again at the next round
                log.exception("supervision round failed")
            self._stopping.wait(GAP_S)
