"""WAL checkpoints of a SQLite file, off the request path.

In WAL mode a commit appends to the ``-wal`` file; a checkpoint copies the pages back into the
database file and syncs it. By default SQLite checkpoints inside whichever commit makes the WAL pass
1000 pages, so every few hundred tickets one unlucky request pays for the copy and the fsync (tens of
milliseconds on an appliance's flash). Here a background thread checkpoints the file every second on
its own connection (PASSIVE: it never waits for, nor blocks, readers and writers; ``sqlite3`` drops
the GIL while it works), and the request connections only checkpoint as a safety net, past
``AUTOCHECKPOINT_PAGES`` (e.g. while the thread is starved).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL_S = 1.0
# The request connections' own threshold (PRAGMA wal_autocheckpoint, in pages of 4 KiB): far above what
# the background thread lets the WAL reach in a second.
AUTOCHECKPOINT_PAGES = 20_000


class WalCheckpointer:
    """A daemon thread checkpointing one SQLite file; ``start`` is idempotent, ``stop`` ends it."""

    def __init__(self, path: str, interval: float = INTERVAL_S) -> None:
        self.path = path
        self.interval = interval
        self.checkpoints = 0  # completed passes (tests)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._loop, name="hallq-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def checkpoint(self, conn: sqlite3.Connection) -> None:
        busy, wal_pages, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        if busy:
            log.debug("WAL checkpoint of %s busy (%d of %d pages copied)", self.path, copied, wal_pages)

    def _loop(self) -> None:
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error:
            log.warning("WAL checkpoints of %s not possible; SQLite checkpoints on commit", self.path)
            return
        with contextlib.closing(conn):
            conn.execute("PRAGMA busy_timeout=0")  # never queue behind a writer: next second
            while not self._stop.wait(self.interval):
                try:
                    self.checkpoint(conn)
                except sqlite3.Error as exc:
                    log.debug("WAL checkpoint of %s skipped: %s", self.path, exc)
