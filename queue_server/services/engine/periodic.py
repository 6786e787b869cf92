"""A job the running server repeats for every hall of its database on a thread of its own
(retention purges, appointment reminders): started and stopped with the server."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlmodel import Session, select

from queue_server.store.engine import reader
from queue_server.store.tables import Hall

log = logging.getLogger(__name__)


class PeriodicJob:
    """Calls ``tick(first)`` every ``interval_s`` until stopped (``first``: the process's first run).

    Subclasses say what a tick does, usually a pass over :meth:`halls` where one hall's failure is
    logged and the others still run.
    """

    name = "periodic job"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # The city topology: only the halls this instance serves (their writes are fenced elsewhere).
        self.serves: Callable[[str], bool] | None = None

    def start(self, interval_s: float) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, args=(interval_s,), name=f"hallq-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def halls(self) -> Sequence[str]:
        with Session(reader(self._engine)) as session:
            codes = list(session.exec(select(Hall.code).order_by(Hall.code)).all())
        return codes if self.serves is None else [code for code in codes if self.serves(code)]

    def tick(self, first: bool) -> None:
        raise NotImplementedError

    def _loop(self, interval_s: float) -> None:
        first = True
        while not self._stopping.is_set():
            try:
                self.tick(first)
            except Exception:  # the thread outlives one bad run
                log.exception("%s failed", self.name)
            first = False
            self._stopping.wait(interval_s)
