"""The year's rows made in a process of their own while the caller writes the previous chunk.

Simulating a day and turning it into rows is pure Python (about 60 % of the generator's CPU on a
5-day profile at full size), writing it is mostly the database's: the two overlap when the rows are
made in a child process (``spawn``: the parent has threads, e.g. the SQLite checkpointer) and handed
over one chunk of days at a time through a bounded queue (at most ``AHEAD`` chunks in memory). The
child owns the ids (``rows.Ids``) from start to end, so the rows, and their ids, are the same as
made in one process, day after day.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from benchmarks.year.arrivals import Arrivals
from benchmarks.year.hall import HallInfo
from benchmarks.year.rows import TABLE_ORDER, Ids, Row, counter_rows, day_rows
from benchmarks.year.simulate import simulate

AHEAD = 2  # chunks made before the writer takes them
POLL_S = 5.0  # how often the parent looks whether the child is still alive while it waits

Tables = dict[str, list[Row]]
Volume = Callable[[date, bool, int, random.Random], int]


@dataclass(frozen=True)
class Job:
    """What the child needs: all picklable (no engine: it never touches the database)."""

    hall: HallInfo
    chunks: list[list[date]]
    ids: Ids
    citizens: list[str]
    seed: int
    per_day: int
    booked: float
    now: datetime
    volume: Volume


def chunk_tables(job: Job, chunk: list[date]) -> Tables:
    """The rows of ``chunk``'s days, every table, parents first (ids advance in ``job.ids``)."""
    hall = job.hall
    tables: Tables = {table: [] for table in TABLE_ORDER}
    for day in chunk:
        rng = random.Random(job.seed * 1_000_003 + day.toordinal())
        rest = not hall.calendar.is_working_day(day)
        arrivals = Arrivals(hall, rng, job.citizens, job.booked)
        record = simulate(hall, day, rest, job.volume(day, rest, job.per_day, rng), rng, arrivals)
        for table, day_table in day_rows(hall, record, job.ids, job.now).items():
            tables[table].extend(day_table)
    return tables


def _child(job: Job, out: Any) -> None:
    try:
        for chunk in job.chunks:
            out.put(("chunk", chunk_tables(job, chunk)))
        out.put(("counters", {t: list(rows) for t, rows in counter_rows(job.hall, job.ids).items()}))
    except BaseException:  # raised again in the parent, which would otherwise wait for the next chunk
        out.put(("error", traceback.format_exc()))


class Produced:
    """The chunks' tables as the child makes them, in order; then ``counters``."""

    def __init__(self, job: Job) -> None:
        context = multiprocessing.get_context("spawn")
        self._queue: Any = context.Queue(maxsize=AHEAD)
        self._proc = context.Process(target=_child, args=(job, self._queue), name="year-rows", daemon=True)
        self._count = len(job.chunks)
        self.counters: dict[str, list[Row]] = {}

    def __enter__(self) -> Produced:
        self._proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join()
        self._queue.close()

    def _next(self) -> tuple[str, Any]:
        while True:
            try:
                item: tuple[str, Any] = self._queue.get(timeout=POLL_S)
                return item
            except queue.Empty:
                if not self._proc.is_alive():
                    raise RuntimeError(f"the year's rows process ended ({self._proc.exitcode})") from None

    def _expect(self, kind: str) -> Any:
        got, value = self._next()
        if got == "error":
            raise RuntimeError(f"making the year's rows failed:\n{value}")
        if got != kind:
            raise RuntimeError(f"the year's rows process sent {got!r}, not {kind!r}")
        return value

    def chunks(self) -> Iterator[Tables]:
        for _ in range(self._count):
            tables: Tables = self._expect("chunk")
            yield tables
        self.counters = self._expect("counters")
