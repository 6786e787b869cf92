"""A small thread pool that keeps order per key: one device's messages are handled one at a time, in order.

The paho network thread only enqueues; a slow database call then stalls one device, not the socket.
Different keys run in parallel on the pool's threads; a key with a long backlog yields its thread after
a batch so that one chatty device cannot starve the others. A task that never blocks may run on the
submitting thread instead (``inline``), when its key has nothing queued: same order, no thread handoff.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

Task = Callable[[], object]  # the result is ignored

# Tasks run for one key before its drainer goes to the back of the pool's queue.
BATCH = 16


class KeyedExecutor:
    """Run tasks on ``workers`` threads; tasks submitted with the same key run serially, in order."""

    def __init__(
        self, workers: int = 4, *, name: str = "hallq-worker", max_pending_per_key: int = 1000
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # shutdown() waits on it for the inline runs
        # A key is present while its drainer is scheduled or running, or a task of it runs inline; the
        # deque holds tasks not yet begun.
        self._queues: dict[Hashable, deque[Task]] = {}
        self._max_pending = max_pending_per_key
        self._closed = False

    def submit(self, key: Hashable, task: Task, *, inline: bool = False) -> bool:
        """Queue ``task`` behind the others of ``key``. False when closed or the key's backlog is full.

        ``inline``: when ``key`` has nothing queued or running, run ``task`` now on the calling thread
        (it must never block) rather than wake a worker for it.
        """
        with self._lock:
            if self._closed:
                return False
            queue = self._queues.get(key)
            if queue is not None:
                if len(queue) >= self._max_pending:
                    return False
                queue.append(task)
                return True
            # Present while the inline task runs: a task submitted meanwhile queues behind it.
            self._queues[key] = deque() if inline else deque([task])
        if inline:
            self._run(key, task)
            with self._lock:
                if not self._queues[key]:
                    self._forget(key)
                    return True
        self._schedule(key)
        return True

    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def shutdown(self, *, wait: bool = True) -> None:
        """Refuse new tasks; with ``wait``, finish every task already queued or running inline."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait)
        if wait:
            with self._idle:
                self._idle.wait_for(lambda: not self._queues)

    def _schedule(self, key: Hashable) -> None:
        try:
            self._pool.submit(self._drain, key)
        except RuntimeError:  # the pool has just been shut down: finish the key's backlog here instead
            self._drain(key)

    def _drain(self, key: Hashable) -> None:
        done = 0
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    self._forget(key)
                    return
                if done >= BATCH and not self._closed:
                    try:
                        self._pool.submit(self._drain, key)
                    except RuntimeError:  # the pool is shutting down: finish inline instead
                        pass
                    else:
                        return
                task = queue.popleft()
            done += 1
            self._run(key, task)

    def _forget(self, key: Hashable) -> None:
        """The key has nothing left queued or running (the lock is held)."""
        del self._queues[key]
        if self._closed and not self._queues:  # only shutdown() waits for this
            self._idle.notify_all()

    @staticmethod
    def _run(key: Hashable, task: Task) -> None:
        try:
            task()
        except Exception:
            # A task is a message handler; one bad message must never stop a device's stream.
            log.exception("task for %r failed", key)
