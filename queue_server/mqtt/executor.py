"""A small thread pool that keeps order per key: one device's messages are handled one at a time, in order.

The paho network thread only enqueues; a slow database call then stalls one device, not the socket.
Different keys run in parallel on the pool's threads; a key with a long backlog yields its thread after
a batch so that one chatty device cannot starve the others.
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
        # A key is present while its drainer is scheduled or running; the deque holds tasks not yet begun.
        self._queues: dict[Hashable, deque[Task]] = {}
        self._max_pending = max_pending_per_key
        self._closed = False

    def submit(self, key: Hashable, task: Task) -> bool:
        """Queue ``task`` behind the others of ``key``. False when closed or the key's backlog is full."""
        with self._lock:
            if self._closed:
                return False
            queue = self._queues.get(key)
            if queue is not None:
                if len(queue) >= self._max_pending:
                    return False
                queue.append(task)
                return True
            self._queues[key] = deque([task])
        self._pool.submit(self._drain, key)
        return True

    def pending(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())

    def shutdown(self, *, wait: bool = True) -> None:
        """Refuse new tasks; with ``wait``, finish every task already queued."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait)

    def _drain(self, key: Hashable) -> None:
        done = 0
        while True:
            with self._lock:
                queue = self._queues[key]
                if not queue:
                    del self._queues[key]
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
            try:
                task()
            except Exception:
                # A task is a message handler; one bad message must never stop a device's stream.
                log.exception("task for %r failed", key)
