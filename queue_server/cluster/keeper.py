"""The lease keeper: the thread that runs a lease round every ``ttl / 4`` and acts on its outcome.

On gaining a hall the fence is granted first (so a request that arrives finds it), then ``gained``
is told (the MQTT door subscribes to the hall and republishes its retained state; supervision
evaluates it). On losing one (the lease moved on, a write was fenced, or no round succeeded for a
whole ``ttl``: the lease may have lapsed) the fence is revoked first, then ``lost`` is told (the door
unsubscribes). A hall above this instance's share is released the same way, before its row is handed
back. ``stop`` releases every lease, so an orderly stop hands the halls over at the others' next round
instead of after the ``ttl``.

Every hall stays served within ``ttl + ttl / 4`` of its holder's death: its lease lapses at most
``ttl`` after the last renewal, and another instance's round comes at most ``ttl / 4`` later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from queue_server.cluster.fence import Fence
from queue_server.cluster.leases import Outcome, release_all, run_round

log = logging.getLogger(__name__)

ROUNDS_PER_TTL = 4


class LeaseKeeper:
    """Keeps this instance's share of the halls' leases (see the module doc)."""

    def __init__(
        self,
        engine: Engine,
        fence: Fence,
        ttl_s: float,
        *,
        gained: Callable[[str, int], None],
        lost: Callable[[str], None],
    ) -> None:
        self._engine = engine
        self.fence = fence
        self._ttl = timedelta(seconds=ttl_s)
        self._ttl_s = ttl_s
        self._gained = gained
        self._lost = lost
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._renewed_at = time.monotonic()
        self.members = 1
        self._fenced_halls: set[str] = set()
        self._fenced_lock = threading.Lock()
        fence.fenced.append(self._fenced)

    @property
    def instance(self) -> str:
        return self.fence.instance

    def start(self) -> None:
        """The first round now (this thread), then a round every ``ttl / 4`` on the keeper's thread."""
        self._round_safely()
        self._thread = threading.Thread(target=self._run, name="hallq-leases", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving every hall, then hand the leases back."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        held = self.fence.held()
        for hall in held:
            self._drop(hall)
        try:
            release_all(self._engine, self.instance, held)
        except Exception:
            log.exception("leases not handed back; they lapse after %s s", self._ttl_s)

    def renewed_within_ttl(self) -> bool:
        """The last successful round is less than a ``ttl`` old (readiness)."""
        return time.monotonic() - self._renewed_at < self._ttl_s

    def run_round(self) -> Outcome:
        """One round (see leases.py), then the halls gained and lost acted on."""
        started = time.monotonic()
        outcome = run_round(self._engine, self.instance, self.fence.held(), self._ttl, self._release)
        self._renewed_at = started
        took = time.monotonic() - started
        if took > self._ttl_s / ROUNDS_PER_TTL:
            log.warning("lease round took %.1f s (renewed every %.1f s)", took, self._ttl_s / ROUNDS_PER_TTL)
        self.members = outcome.members
        for hall in outcome.plan.lost:
            log.warning("hall %s: lease lost to another instance", hall)
            self._drop(hall)
        for hall, epoch in self.fence.held().items():
            if hall not in outcome.kept and hall not in outcome.gained:
                log.warning("hall %s: lease (epoch %d) not renewed", hall, epoch)
                self._drop(hall)
        for hall, epoch in outcome.gained.items():
            log.info("hall %s: lease taken (epoch %d)", hall, epoch)
            self.fence.grant(hall, epoch)
            try:
                self._gained(hall, epoch)
            except Exception:
                log.exception("hall %s: gained, but not set up", hall)
        return outcome

    def _release(self, hall: str) -> None:
        log.info("hall %s: above this instance's share; handed back", hall)
        self._drop(hall)

    def _drop(self, hall: str) -> None:
        self.fence.revoke(hall)
        try:
            self._lost(hall)
        except Exception:
            log.exception("hall %s: lost, but not torn down", hall)

    def _fenced(self, hall: str) -> None:
        # A write found the lease moved on (on the writer thread, which must not wait): the hall is
        # torn down on the keeper's thread now, not at the next round.
        with self._fenced_lock:
            self._fenced_halls.add(hall)
        self._wake.set()

    def _round_safely(self) -> None:
        try:
            self.run_round()
        except Exception:
            log.exception("lease round failed")
            if time.monotonic() - self._renewed_at >= self._ttl_s:
                # Not renewed for a whole ttl: the leases may have lapsed and been taken. Stop serving
                # (the fence would refuse the writes anyway) so the devices reach the new holder.
                for hall in self.fence.held():
                    log.warning("hall %s: lease not renewed for %s s; stopped serving it", hall, self._ttl_s)
                    self._drop(hall)

    def _run(self) -> None:
        interval = self._ttl_s / ROUNDS_PER_TTL
        started = time.monotonic()
        while not self._stopping.is_set():
            # On a fixed beat from the start of the last round: a slow round (a hall set up, a loaded
            # machine) must not push the next renewal towards the lease's expiry.
            self._wake.wait(max(0.0, started + interval - time.monotonic()))
            self._wake.clear()
            started = time.monotonic()
            if self._stopping.is_set():
                return
            with self._fenced_lock:
                fenced, self._fenced_halls = self._fenced_halls, set()
            for hall in sorted(fenced):
                self._drop(hall)
            self._round_safely()
