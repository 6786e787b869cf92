"""Statistics benchmarks: one year of a large hall, its reports over HTTP, and issuing while they run.

Set-up, all real: a fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards);
the bench hall (benchmarks/bench_hall.py) for the kiosks; the year hall (benchmarks/year/: 300
service days, over two million tickets with their calls, events, appointments, ratings, cases, pauses
and shifts; ``--quick``: 20 days of 300) written by bulk inserts; the rollups rebuilt by ``hallq stats
rebuild``; a ``hallq server`` PROCESS (benchmarks/deployed.py) and a private Mosquitto; the manager
``zhangli`` of the year hall signed in over HTTP. Figures:

- ``stats_rows``: tickets generated; ``stats_generated_rows``: rows of every table together;
  ``stats_generate_s``: the generator's wall time (hall load included); ``stats_rebuild_s``: ``hallq
  stats rebuild`` over the whole database, as a process.
- ``stats_{day,month,year}_p95_ms``: ``GET /api/halls/year/stats`` over the last service day, its last
  30 days, its last 365 days (the longest range the API answers: most of the 300 service days);
  every grouping (day, week, month, hour, weekday, service, window, staff, department, channel,
  priority, hall) and both heatmaps (arrivals, wait_mean), each asked ``reps`` times after one
  unmeasured request; the figure is the p95 of the SLOWEST of them, named in
  ``stats_{range}_slowest``. Request to last byte of the body, on one kept-alive connection.
- ``stats_{day,month,year}_worker_cpu_ms``: the statistics worker's CPU (user + system, from
  ``/proc``) per report of the range, over the same requests: what the reports cost whatever else the
  machine runs (the worker runs at nice 19, so on a busy machine the p95 above is mostly waiting).
- ``stats_rss_mb``: VmRSS of the server and of its child processes together (the statistics worker
  that answers the reports, docs/managers.md), right after the year reports; ``stats_server_rss_mb``
  and ``stats_worker_rss_mb``: the two parts.
- ``issue_at_250_p99_during_stats_ms`` (and ``issue_at_250_p50_during_stats_ms``,
  ``issue_at_250_per_s_during_stats``): the 10 kiosks of benchmarks/kiosk_fleet.py offering 250
  tickets/s (open loop, benchmarks/issue_load.py) to the bench hall while a manager asks for year
  reports in a loop on the same server and database; ``stats_reports_during_issue``: how many year
  reports completed meanwhile. A reply missing for over 10 s makes the p99 a string saying so.
  ``issue_at_250_p{50,99}_no_stats_ms``: the same offer just before, with no report running (the
  write path alone, after an unmeasured warm-up offer), so that the two effects can be told apart.

``--url URL`` measures the reports and the memory (``--issue``: the issuing too) on a database
generated and rebuilt before, without generating it again (``run_kept``), with ``--reps`` requests
per report; ``stats_server_rss_start_mb`` is the server's memory before the first request.

A report the server does not have (FastAPI's 404 "Not Found") is listed in ``stats_{range}_not_served``;
if none of a range answers, the report figures are strings saying so, not numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import text

from benchmarks.bench_hall import HALL, prepare, wait_for_opening_hours
from benchmarks.deployed import (
    ServerProcess,
    hallq_server,
    process_cpu_s,
    process_rss_mb,
    server_environment,
)
from benchmarks.figures import Figures, ms
from benchmarks.issue_load import issue_offered
from benchmarks.kiosk_fleet import Kiosks
from benchmarks.year.generate import FULL, QUICK, Generated, Scale, generate
from benchmarks.year.hall import MANAGER, PASSWORD, YEAR_HALL
from harness.broker import running_mosquitto
from harness.postgres import empty_database
from harness.processes import hallq_command
from queue_server.store import init_db

GROUPS: tuple[str, ...] = ("day", "week", "month", "hour", "weekday", "service", "window", "staff")
GROUPS += ("department", "channel", "priority", "hall")
HEATMAPS = ("arrivals", "wait_mean")
REPORT_TIMEOUT_S = 120.0
REBUILD_TIMEOUT_S = 1800.0
ISSUE_RATE = 250


@dataclass(frozen=True)
class Sizes:
    scale: Scale
    reps: int  # measured requests per grouping and range
    offered_s: float  # how long the kiosks offer 250/s during the reports
    served: int  # tickets window 1 of the bench hall serves first (bench_hall.prepare)


QUICK_SIZES = Sizes(QUICK, 3, 1.0, 5)
FULL_SIZES = Sizes(FULL, 20, 8.0, 50)


class StatsMissingError(RuntimeError):
    """The server has no statistics API of this shape (yet)."""


class Manager:
    """A signed-in manager's HTTP client: one kept-alive connection, bearer token."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REPORT_TIMEOUT_S)
        self.token = token or self._sign_in()

    def _sign_in(self) -> str:
        body = json.dumps({"hall": YEAR_HALL, "login": MANAGER, "password": PASSWORD})
        self.conn.request("POST", "/api/auth/token", body, {"Content-Type": "application/json"})
        reply = self.conn.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"manager sign-in: {reply.status} {data[:300]!r}")
        return str(json.loads(data)["access_token"])

    def get(self, path: str) -> float:
        """Seconds from request to the last byte of a 200 body."""
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
        reply = self.conn.getresponse()
        data = reply.read()
        took = time.perf_counter() - t0
        if reply.status == 404 and b'"Not Found"' in data:  # FastAPI's answer for a route it lacks
            raise StatsMissingError(f"GET {path}: 404")
        if reply.status != 200:
            raise RuntimeError(f"GET {path}: {reply.status} {data[:300]!r}")
        return took

    def close(self) -> None:
        self.conn.close()


def report_paths(first: date, last: date) -> dict[str, str]:
    """Every report of the range, by name: each grouping, each heatmap."""
    base = f"/api/halls/{YEAR_HALL}/stats"
    span = f"date_from={first.isoformat()}&date_to={last.isoformat()}"
    paths = {f"group={g}": f"{base}?{span}&group={g}&format=json" for g in GROUPS}
    paths |= {f"heatmap={m}": f"{base}/heatmap?{span}&measure={m}" for m in HEATMAPS}
    return paths


def measure_range(manager: Manager, name: str, first: date, last: date, reps: int) -> Figures:
    """``stats_{name}_p95_ms``: the p95 of the slowest report over ``first``..``last``."""
    worst: tuple[float, str] = (-1.0, "")
    missing = []
    for label, path in report_paths(first, last).items():
        try:
            manager.get(path)  # not measured: the first read of a range warms the database's cache
        except StatsMissingError:
            missing.append(label)
            continue
        p95 = ms([manager.get(path) for _ in range(reps)], 0.95)
        worst = max(worst, (p95, label))
    if not worst[1]:
        raise StatsMissingError(f"no report of {name} answered")
    figures: Figures = {f"stats_{name}_p95_ms": worst[0], f"stats_{name}_slowest": worst[1]}
    if missing:
        figures[f"stats_{name}_not_served"] = ", ".join(missing)
    return figures


def ranges(generated: Generated) -> dict[str, tuple[date, date]]:
    last = generated.last_day
    return {
        "day": (last, last),
        "month": (last - timedelta(days=29), last),
        # The API answers a year at most: the 300 service days span a little more (Sundays, holidays).
        "year": (max(generated.first_day, last - timedelta(days=364)), last),
    }


@contextlib.contextmanager
def reports_in_a_loop(port: int, token: str, first: date, last: date) -> Iterator[list[int]]:
    """A manager asking for year reports, one after another, until the block ends; [how many done]."""
    done = [0]
    stop = threading.Event()
    failure: list[BaseException] = []

    def loop() -> None:
        manager = Manager(port, token)
        try:
            paths = list(report_paths(first, last).values())
            while not stop.is_set():
                manager.get(paths[done[0] % len(paths)])
                done[0] += 1
        except BaseException as exc:  # reported when the block ends
            failure.append(exc)
        finally:
            manager.close()

    thread = threading.Thread(target=loop, name="bench-manager", daemon=True)
    thread.start()
    try:
        yield done
    finally:
        stop.set()
        thread.join(REPORT_TIMEOUT_S)
    if failure:
        raise RuntimeError(f"year reports during the issue run failed: {failure[0]}")


def issue_during_reports(
    kiosks: Kiosks, server: ServerProcess, token: str, generated: Generated, sizes: Sizes
) -> Figures:
    first, last = ranges(generated)["year"]
    key = f"issue_at_{ISSUE_RATE}"
    with reports_in_a_loop(server.http_port, token, first, last) as done:
        time.sleep(0.5)  # the first report is under way before the first ticket
        try:
            offered = issue_offered(kiosks, sizes.offered_s, ISSUE_RATE)
        except TimeoutError as exc:  # a measured outcome (no reply within 10 s), not a broken benchmark
            return {f"{key}_p99_during_stats_ms": f"over 10 s: {exc}", "stats_reports_during_issue": done[0]}
    return {
        f"{key}_p50_during_stats_ms": offered[f"{key}_p50_ms"],
        f"{key}_p99_during_stats_ms": offered[f"{key}_p99_ms"],
        f"{key}_per_s_during_stats": offered[f"{key}_per_s"],
        "stats_reports_during_issue": done[0],
    }


def issue_alone(kiosks: Kiosks, sizes: Sizes) -> Figures:
    """The same offer with no report running: what the write path costs alone, so that the figure
    during reports shows what the reports add."""
    key = f"issue_at_{ISSUE_RATE}"
    try:
        issue_offered(kiosks, max(0.5, sizes.offered_s / 4), ISSUE_RATE)  # warm-up, not measured
        offered = issue_offered(kiosks, sizes.offered_s, ISSUE_RATE)
    except TimeoutError as exc:
        return {f"{key}_p99_no_stats_ms": f"over 10 s: {exc}"}
    return {
        f"{key}_p50_no_stats_ms": offered[f"{key}_p50_ms"],
        f"{key}_p99_no_stats_ms": offered[f"{key}_p99_ms"],
    }


def rebuild(url: str, workdir: Path) -> float:
    """``hallq stats rebuild`` as an operator runs it after a bulk load, as a process; its wall time."""
    env = server_environment(url, 1, YEAR_HALL, workdir, 1)  # only its database is read: no broker, no port
    t0 = time.perf_counter()
    done = subprocess.run(
        [*hallq_command(), "stats", "rebuild"],
        env=env,
        capture_output=True,
        text=True,
        timeout=REBUILD_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"hallq stats rebuild failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}"
        )
    return time.perf_counter() - t0


def run(quick: bool, db: str) -> Figures:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    figures: Figures = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hallq-bench-stats-")))
        url = stack.enter_context(empty_database(db, workdir))
        wait_for_opening_hours()
        prepare(url, sizes.served)
        engine = init_db(url)
        try:
            generated = generate(
                engine, sizes.scale, progress=lambda line: print(line, file=sys.stderr, flush=True)
            )
        finally:
            engine.dispose()
        figures["stats_rows"] = generated.tickets
        figures["stats_generated_rows"] = generated.rows
        figures["stats_generate_s"] = round(generated.seconds, 1)
        _say("rebuilding the rollups (hallq stats rebuild)")
        figures["stats_rebuild_s"] = round(rebuild(url, workdir), 1)
        _say(f"rebuilt in {figures['stats_rebuild_s']} s")
        broker = stack.enter_context(running_mosquitto(workdir / "broker"))
        kiosks = stack.enter_context(Kiosks(broker.port, workdir))
        server = stack.enter_context(hallq_server(url, broker.port, HALL, workdir))
        figures.update(_reports(server, kiosks, generated, sizes))
    return figures


_EXTENT = (
    "SELECT MIN(service_day), MAX(service_day) FROM ticket t "
    "JOIN hall h ON h.id = t.hall_id WHERE h.code = :code"
)


def run_kept(url: str, reps: int, issue: bool) -> Figures:
    """The report, memory (and with ``issue``, issuing) figures on a database generated and rebuilt
    before (``python -m benchmarks.year.generate`` and ``hallq stats rebuild``, after
    ``bench_hall.prepare`` for the issuing): no generation, no rebuild. The year hall's first and last
    days are read from its tickets."""
    sizes = replace(FULL_SIZES, reps=reps)
    engine = init_db(url)
    try:
        with engine.connect() as conn:
            first, last = conn.execute(text(_EXTENT), {"code": YEAR_HALL}).one()
    finally:
        engine.dispose()
    days = [d if isinstance(d, date) else date.fromisoformat(str(d)) for d in (first, last)]
    generated = Generated(0, 0, 0, days[0], days[1], 0.0)
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hallq-bench-stats-")))
        broker = stack.enter_context(running_mosquitto(workdir / "broker"))
        kiosks = stack.enter_context(Kiosks(broker.port, workdir)) if issue else None
        server = stack.enter_context(hallq_server(url, broker.port, HALL, workdir))
        figures: Figures = {"stats_server_rss_start_mb": round(server.rss_mb(), 1)}
        if kiosks is not None:
            return figures | _reports(server, kiosks, generated, sizes)
        manager = Manager(server.http_port)
        try:
            return figures | _measured(server, manager, generated, sizes)
        finally:
            manager.close()


def _reports(server: ServerProcess, kiosks: Kiosks, generated: Generated, sizes: Sizes) -> Figures:
    manager = Manager(server.http_port)
    try:
        figures = _measured(server, manager, generated, sizes)
    except StatsMissingError as exc:
        missing = f"not measured: the server has no statistics API of this shape ({exc})"
        return dict.fromkeys(("stats_day_p95_ms", "stats_month_p95_ms", "stats_year_p95_ms"), missing)
    finally:
        manager.close()
    _say(f"issuing at {ISSUE_RATE}/s without reports (the baseline)")
    figures.update(issue_alone(kiosks, sizes))
    _say(f"issuing at {ISSUE_RATE}/s during year reports")
    figures.update(issue_during_reports(kiosks, server, manager.token, generated, sizes))
    return figures


def _measured(server: ServerProcess, manager: Manager, generated: Generated, sizes: Sizes) -> Figures:
    """Each range's reports, the worker's CPU per report (``stats_{range}_worker_cpu_ms``: what the
    reports cost whatever else the machine runs), then the memory."""
    figures: Figures = {}
    for name, (first, last) in ranges(generated).items():
        _say(f"{name} reports ({first}..{last})")
        paths = report_paths(first, last)
        manager.get(paths["group=day"])  # the worker is started (its imports) before its CPU is counted
        cpu = _children_cpu_s(server.pid)
        figures.update(measure_range(manager, name, first, last, sizes.reps))
        asked = len(paths) * (sizes.reps + 1)
        figures[f"stats_{name}_worker_cpu_ms"] = round((_children_cpu_s(server.pid) - cpu) * 1000 / asked, 1)
    # The reports' memory is the server's and its statistics worker's together.
    server_mb, worker_mb = server.rss_mb(), _children_rss_mb(server.pid)
    figures["stats_rss_mb"] = round(server_mb + worker_mb, 1)
    figures["stats_server_rss_mb"] = round(server_mb, 1)
    figures["stats_worker_rss_mb"] = round(worker_mb, 1)
    return figures


def _children(pid: int) -> list[int]:
    return [int(c) for t in Path(f"/proc/{pid}/task").glob("*/children") for c in t.read_text().split()]


def _children_cpu_s(pid: int) -> float:
    """CPU seconds of the server's child processes (the statistics worker)."""
    return sum(process_cpu_s(child) for child in _children(pid))


def _children_rss_mb(pid: int) -> float:
    """VmRSS of the server's child processes (the statistics worker, which answers the reports)."""
    return sum(process_rss_mb(child) or 0.0 for child in _children(pid))


def _say(line: str) -> None:
    print(f"stats: {line}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stats_bench", description="the statistics benchmarks alone"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--url", help="a database generated and rebuilt before: only the reports and memory (no generation)"
    )
    parser.add_argument("--reps", type=int, default=FULL_SIZES.reps, help="with --url: requests per report")
    parser.add_argument("--issue", action="store_true", help="with --url: the issuing figures too")
    args = parser.parse_args(argv)
    figures = run_kept(args.url, args.reps, args.issue) if args.url else run(args.quick, args.db)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
