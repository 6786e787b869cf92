"""Managers' reports in a worker process of their own, at the lowest CPU priority, answering in JSON.

A year report sums thousands of rollup rows and folds them into figures in Python. Run in the server's
thread pool, it holds the interpreter lock for most of that time: the group-commit writer, the event
loop and the MQTT bridge wait for it, and so does every ticket issued meanwhile. Here the reports
(``statistics``, ``heatmap``, ``evaluation`` of ``views/stats.py``, unchanged) run in ONE worker
process per database, started at the first report and kept; the server's thread waits on a pipe
without holding the lock. One worker answers one report at a time: managers' reports queue behind
each other, never beside the hall's work.

What keeps the worker from slowing the hall (measured as ``issue_at_250_p99_during_stats_ms``):

- it runs at ``nice`` 19 under ``SCHED_BATCH`` (never preempting the server on a wake-up), so on a
  two-core appliance the server's threads take a core whenever they need one;
- it answers a JSON report as the JSON bytes themselves (``run_json``), so the server neither
  unpickles the answer's models nor has FastAPI validate and encode them again, under its interpreter
  lock (measured: the server's CPU per year report grouped by day or week, 33 → 28 ms);
- it is a plain child process (``python -m`` this module, requests and answers pickled over its
  stdin and stdout by ``multiprocessing.connection``), not a ``multiprocessing`` pool: no
  resource-tracker process beside it, and it imports only what a report needs (no FastAPI, no
  services facade), so its memory stays small (``stats_rss_mb`` of the benchmark counts the server
  and this process together);
- on SQLite it does not checkpoint the WAL (the server's checkpointer does; ``store/checkpoint.py``).

After its first report it freezes the objects it then holds out of the garbage collector's full
collections (``_freeze_what_stays``: a full collection no longer costs a year report ~150 ms of CPU).

Before a report it seals, once per hall and month, the months that closed since the last rebuild
(``stats/months.py``: a short write transaction per rollup and month, about once a month).

The worker reads the database by its URL, so a database only the server's process can see (SQLite in
memory) or ``HALLQ_STATS_WORKER=0`` in the environment keeps the reports in the server's process.
The time is the server's (its clock's now, passed with each report), so a test's clock holds.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import Engine, make_url
from sqlmodel import Session

from queue_server.heap import return_large_blocks, settle_heap
from queue_server.services.engine.lookup import hall_row
from queue_server.services.engine.tx import Tx
from queue_server.settings import Settings
from queue_server.stats import months
from queue_server.store.engine import checkpointer_of, make_engine, reader

log = logging.getLogger(__name__)

T = TypeVar("T")
NICE = 19
ENV_SWITCH = "HALLQ_STATS_WORKER"
SEAL_BACK_DAYS = 400  # the closed months a worker seals: those a year report can reach


class _Worker:
    """In the worker process: its engines (a reader for reports, a writer for sealing months)."""

    def __init__(self, url: str) -> None:
        self.writer = make_engine(url, pool_size=1, max_overflow=1, parallel=False)
        checkpointer = checkpointer_of(self.writer)
        if checkpointer is not None:
            checkpointer.stop()  # the server's own checkpoints the WAL
        self.engine = reader(self.writer)
        self.sealed: set[tuple[str, str]] = set()  # (hall, month of today) checked

    def seal_closed_months(self, hall: str, hall_id: int, tz: str, now: datetime) -> None:
        today = now.astimezone(ZoneInfo(tz)).date()
        if (hall, f"{today:%Y-%m}") in self.sealed:
            return
        closed = months.complete_months(today - timedelta(days=SEAL_BACK_DAYS), today, today)
        if sealed := months.seal_missing(self.writer, hall_id, closed):
            log.info("stats worker: sealed %d month(s) of rollups of hall %s", sealed, hall)
        self.sealed.add((hall, f"{today:%Y-%m}"))

    def run(
        self, hall: str, now: datetime, settings: Settings, fn: Callable[[Tx], Any], as_json: bool
    ) -> Any:
        """``fn`` in one read transaction of the hall, as ``Runner.read`` runs it."""
        with self.engine.connect() as conn:
            row = hall_row(conn, hall)
        if row.id is not None:
            self.seal_closed_months(hall, row.id, row.tz, now)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            answer = fn(Tx(session, hall_row(session.connection(), hall), now, settings))
        if as_json and isinstance(answer, BaseModel):
            return answer.model_dump_json(by_alias=True).encode()
        return answer


def _lower_priority() -> None:
    try:
        os.nice(NICE)
    except OSError:  # not allowed here: run at the server's priority
        log.warning("stats worker: could not lower its priority")
    with contextlib.suppress(AttributeError, OSError):  # Linux only
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))


def serve(url: str, requests: Connection, answers: Connection) -> None:
    """The worker's loop: a request in, (ok, answer or error) out, until the server closes the pipe."""
    _lower_priority()
    return_large_blocks()  # a year report's transient blocks go back when freed (queue_server/heap.py)
    worker = _Worker(url)
    frozen = False
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, worker.run(*request))
        except Exception as exc:  # the report's own error, raised again in the server
            answer = (False, exc)
        answers.send(answer)
        if not frozen:
            _freeze_what_stays()
            frozen = True


def _freeze_what_stays() -> None:
    """Leave the objects alive after the first report out of every later garbage collection.

    A year report makes tens of thousands of objects, so every few dozen reports the collector runs a
    full collection, which walks every object it tracks: ~155,000 after the imports and the first
    report (the ORM's configured mappers, the compiled SQL, the hall's rows), 140-160 ms of CPU, in
    whichever report happened to trigger it (measured on the full-year database: of 40 year reports
    of five kinds the slowest took 254-276 ms of CPU, where the costliest kind takes ~120 ms). Frozen
    (``gc.freeze``), they stay where they are and a full collection walks only what came later: 2-3
    ms. What the first report leaves is what the worker keeps (modules, caches); the reports' own
    cycles are still collected. The server settles its own heap the same way once started."""
    settle_heap()


class _Pipe:
    """The worker process and the two ends of its pipes (``multiprocessing.connection`` framing)."""

    def __init__(self, url: str) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.proc = subprocess.Popen(  # the same interpreter, this module as its program
            [sys.executable, "-m", __name__, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.requests = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.answers = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()

    def stop(self) -> None:
        self.requests.close()  # the worker's EOF: it ends
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.answers.close()


class ReportWorker:
    """One worker process for one database."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()  # one report at a time, on one pipe
        self._pipe: _Pipe | None = None

    def _ask(self, request: tuple[Any, ...]) -> Any:
        with self._lock:
            for attempt in (1, 2):
                if self._pipe is None or self._pipe.proc.poll() is not None:
                    self._stop()
                    self._pipe = _Pipe(self._url)
                try:
                    self._pipe.requests.send(request)
                    ok, answer = self._pipe.answers.recv()
                    break
                except (OSError, EOFError):
                    self._stop()
                    if attempt == 2:
                        raise
                    log.warning("stats worker died: starting another")
        if not ok:
            raise answer
        return answer

    def run(self, hall: str, now: datetime, settings: Settings, fn: Callable[[Tx], T]) -> T:
        """``fn(tx)`` in the worker; its answer or its error. A worker that died is replaced once."""
        answer: T = self._ask((hall, now, settings, fn, False))
        return answer

    def run_json(self, hall: str, now: datetime, settings: Settings, fn: Callable[[Tx], BaseModel]) -> bytes:
        """``fn(tx)`` in the worker, answered as the JSON of its model (what the route sends)."""
        answer: bytes = self._ask((hall, now, settings, fn, True))
        return answer

    def _stop(self) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is not None:
            pipe.stop()

    def close(self) -> None:
        with self._lock:
            self._stop()


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


if __name__ == "__main__":
    # The pipes are file descriptors 0 and 1: anything printed by the reports goes to stderr instead.
    sys.stdout = sys.stderr
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    serve(sys.argv[1], Connection(0, writable=False), Connection(1, readable=False))
