"""Group commit: one writer thread per queue commits the queued use cases in batches.

SQLite has one writer at a time anyway, so this is how it takes hundreds of tickets a second: the
fixed cost of a transaction (begin, the hall row, the commit) is paid per batch, and the writers wait
in Python, in order, not in SQLite's busy loop. Writes queue per database on SQLite and per hall on
PostgreSQL (row locks let halls proceed in parallel there).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from queue_server.services.engine.tx import Changes, Tx
from queue_server.services.ports import Actor

log = logging.getLogger(__name__)

# Use cases committed together at most (the last one's reply waits for all of them).
MAX_BATCH = 16
# Under load, a batch of BATCHED_OPS waits this long at most for more of them (see GroupCommit._linger).
LINGER_S = 0.001
LINGER_STEP_S = 0.00025


@dataclass(eq=False)
class Write:
    """One use case on its way through the group commit, and its outcome."""

    hall: str
    op: str
    fn: Callable[[Tx], BaseModel]
    model: type[BaseModel]
    request_id: str | None
    device_id: str | None
    actor: Actor | None
    now: datetime
    result: BaseModel | None = None
    error: BaseException | None = None
    changes: Changes | None = None  # what the committed use case changed
    alone: bool = False  # the batch could not decide it: run it in a transaction of its own
    # ``Runner.write``'s caller waits on it; None for a write with a ``callback`` (making an Event, a
    # Condition and its lock, was 6 % of the GIL under 500 issues/s).
    wake: threading.Event | None = None
    # write_async: called by the writer thread once decided, instead of waking a waiting caller.
    callback: Callable[[Write], None] | None = None
    # Whose request ids ``request_id`` is among, and the hash of its arguments (``request_log.py``).
    scope: str = ""
    fingerprint: str = ""

    @property
    def decided(self) -> bool:
        return self.result is not None or self.error is not None or self.alone

    def reset(self) -> None:
        self.result = self.error = self.changes = None


class GroupCommit:
    """One writer thread per key commits the key's queued writes in batches (see the module doc).

    ``submit`` queues a write and returns at once. The key's writer thread (started on demand, gone
    after ``IDLE_EXIT_S`` without work) takes up to ``max_batch`` queued writes, commits them, marks
    each decided and either calls its ``callback`` or wakes the thread waiting on it. A thread of its
    own rather than whichever caller came first: callers need not wait (``write_async``), and the
    thread that commits is always the same one, whatever the caller's thread is doing.
    """

    IDLE_EXIT_S = 5.0

    def __init__(
        self,
        commit: Callable[[list[Write]], None],
        max_batch: int,
        *,
        lingers: Callable[[Write], bool] = lambda _item: False,
        linger_s: float = 0.0,
    ) -> None:
        self._commit = commit
        self._max = max_batch
        self._lingers = lingers
        self._linger_s = linger_s
        self._cond = threading.Condition()
        self._queues: dict[str, deque[Write]] = {}
        self._writers: set[str] = set()  # keys whose writer thread runs
        self._busy = 0  # writes taken from a queue and not yet decided
        self._last: dict[str, int] = {}  # the size of each key's last batch

    def submit(self, key: str, item: Write) -> None:
        with self._cond:
            queue = self._queues.setdefault(key, deque())
            queue.append(item)
            if key in self._writers:
                self._cond.notify_all()
                return
            self._writers.add(key)
        thread = threading.Thread(target=self._write, args=(key, queue), name="hallq-writer", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: this thread drains the queue itself
            self._write(key, queue, drain=True)

    def queued(self) -> int:
        with self._cond:
            return sum(len(queue) for queue in self._queues.values())

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted write is decided (its callback called)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0 and not any(self._queues.values()), timeout)

    def _write(self, key: str, queue: deque[Write], *, drain: bool = False) -> None:
        """The key's writer: commit batches while there are writes; with ``drain``, stop once empty."""
        while True:
            with self._cond:
                if not queue and not drain:
                    self._cond.wait_for(lambda: bool(queue), self.IDLE_EXIT_S)
                if not queue:
                    self._writers.discard(key)
                    self._cond.notify_all()
                    return
            self._linger(key, queue)
            with self._cond:
                batch = [queue.popleft() for _ in range(min(self._max, len(queue)))]
                self._last[key] = len(batch)
                self._busy += len(batch)
            try:
                self._commit(batch)
            except Exception:  # a bug: the writes are decided alone below; this thread goes on
                log.exception("a batch of %d writes could not be committed", len(batch))
            finally:
                self._decided(batch)

    def _linger(self, key: str, queue: deque[Write]) -> None:
        """Under load (the last batch was a group), let a short batch of lingering writes grow.

        A transaction costs more than a ticket in it, and under load more requests are a moment away
        (being decoded by the bridge's other threads): waiting for them a fraction of a millisecond
        buys fewer, fuller transactions. Alone (a console, a window agent) nobody waits.
        """
        waited = 0.0
        while (
            waited < self._linger_s
            and self._last.get(key, 0) > 1
            and 0 < len(queue) < self._max
            and self._lingers(queue[0])
        ):
            before = len(queue)
            time.sleep(LINGER_STEP_S)  # gives the GIL to the threads bringing the next writes
            waited += LINGER_STEP_S
            if len(queue) == before:
                return  # nothing more is coming

    def _decided(self, batch: list[Write]) -> None:
        for written in batch:
            if not written.decided:  # the commit was interrupted: each tries alone
                written.alone = True
            if written.callback is None:
                if written.wake is not None:
                    written.wake.set()
                continue
            try:
                written.callback(written)
            except Exception:
                log.exception("the outcome of %s could not be delivered", written.op)
        with self._cond:
            self._busy -= len(batch)
            self._cond.notify_all()
