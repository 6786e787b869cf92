"""Managers' reports in a worker process of their own, at a lower CPU priority than the hall.

A year report sums tens of thousands of rollup rows and folds them into figures in Python. Run in the
server's thread pool, it holds the interpreter lock for most of that time: the group-commit writer, the
event loop and the MQTT bridge wait for it, and so does every ticket issued meanwhile (a ticket's p99
at 250/s went from tens to hundreds of ms while a manager ran year reports in a loop). Here the
reports (``statistics``, ``heatmap``, ``evaluation`` of ``views/stats.py``, unchanged) run in ONE
worker process, spawned at the first report and kept, with ``nice`` +10 and its own read-only engine
on the same database; the server's thread waits for the answer without holding the lock. One worker
answers one report at a time: managers' reports queue behind each other, never beside the hall's
work. The answer is the same model the in-process call returns; a refusal (a bad range) comes back as
the same typed error.

The worker reads the database by its URL, so a database only the server's process can see (SQLite in
memory) or ``HALLQ_STATS_WORKER=0`` in the environment keeps the reports in the server's process.
The time is the server's (its clock's now, passed with each report), so a test's clock holds.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Engine, make_url
from sqlmodel import Session

from queue_server.services.engine.lookup import hall_row
from queue_server.services.engine.tx import Tx
from queue_server.settings import Settings
from queue_server.store.engine import make_engine, reader

log = logging.getLogger(__name__)

T = TypeVar("T")
NICE = 10
ENV_SWITCH = "HALLQ_STATS_WORKER"

_own: dict[str, Engine] = {}  # in the worker: its engine, made once at its start


def _start_worker(url: str) -> None:
    """The worker's start: a lower priority, an engine of its own."""
    try:
        os.nice(NICE)
    except OSError:  # not allowed here: run at the server's priority
        log.warning("stats worker: could not lower its priority")
    _own["engine"] = reader(make_engine(url))


def _run(hall: str, now: datetime, settings: Settings, fn: Callable[[Tx], T]) -> T:
    """In the worker: ``fn`` in one read transaction of the hall, as ``Runner.read`` runs it."""
    engine = _own.get("engine")
    if engine is None:
        raise RuntimeError("stats worker not started")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return fn(Tx(session, hall_row(session.connection(), hall), now, settings))


class ReportWorker:
    """One worker process for one database."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(self._url,),
                )
            return self._pool

    def run(self, hall: str, now: datetime, settings: Settings, fn: Callable[[Tx], T]) -> T:
        """``fn(tx)`` in the worker; its answer or its error. A worker that died is replaced once."""
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return pool.submit(_run, hall, now, settings, fn).result()
            except BrokenProcessPool:
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                if attempt == 2:
                    raise
                log.warning("stats worker died: starting another")
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


_workers: dict[str, ReportWorker] = {}
_workers_lock = threading.Lock()


def _separate(url: str) -> bool:
    """Whether another process can open the database at ``url``."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return False
    parsed = make_url(url)
    return parsed.get_backend_name() != "sqlite" or parsed.database not in (None, "", ":memory:")


def worker_for(settings: Settings, engine: Engine) -> ReportWorker | None:
    """The database's report worker, or None: run the report in this process. The engine must be the
    one of ``settings.database_url`` (a test may hand the services another)."""
    url = settings.database_url
    if not _separate(url) or make_url(url) != engine.url:
        return None
    with _workers_lock:
        worker = _workers.get(url)
        if worker is None:
            worker = _workers[url] = ReportWorker(url)
        return worker


@atexit.register
def _close_all() -> None:
    with _workers_lock:
        workers = list(_workers.values())
        _workers.clear()
    for worker in workers:
        worker.close()
