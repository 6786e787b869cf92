"""Reports in the statistics worker process (``services/views/stats_worker.py``): the HTTP routes of a
server whose database another process can open answer from the worker, with the same figures as in
the server's own process, at a lower CPU priority; a refusal comes back as the same typed error."""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from harness.factories import HallFixture
from queue_server.api import create_app
from queue_server.errors import BadRequestError
from queue_server.runtime.server_cmd import open_database
from queue_server.services import Services
from queue_server.services.engine.tx import Tx
from queue_server.services.views import stats
from queue_server.services.views.stats_worker import NICE, worker_for
from queue_server.store import init_db
from queue_server.store.engine import DbTimeouts
from tests.api.conftest import Api
from tests.stats.test_fixed_day import DAY, HOURS, TOTAL, _play_the_day

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

DAY_12 = date(2025, 3, 12)


def _priority(_tx: Tx) -> tuple[int, int]:
    """Run in the worker: its process id and niceness."""
    return os.getpid(), os.nice(0)


@pytest.fixture
def served(make_hall: Callable[..., HallFixture]) -> Iterator[tuple[Api, Services]]:
    """The fixed day behind an app whose settings name the database file (as ``hallq server``'s do)."""
    hall = make_hall(schedule=HOURS)
    _play_the_day(hall)
    url = hall.engine.url.render_as_string(hide_password=False)
    settings = hall.settings.model_copy(update={"database_url": url})
    services = Services(hall.engine, settings, hall.clock)
    # The worker of the tests' database stays for the session (closed at exit), as a server's does.
    with TestClient(create_app(settings, services)) as client:
        yield Api(client, hall), services


def test_reports_over_http_come_from_the_worker(served: tuple[Api, Services]) -> None:
    api, services = served
    worker = worker_for(services.settings, services.engine)
    assert worker is not None
    pid, nice = worker.run(api.hall.code, services.clock(), services.settings, _priority)
    assert pid != os.getpid() and nice >= min(os.nice(0) + NICE, 19)
    reply = api.client.get(f"{api.base}/stats?{DAY}&group=window", headers=api.token("manager"))
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert {k: body["total"][k] for k in TOTAL} == TOTAL
    here = api.hall.services.statistics(api.hall.code, DAY_12, DAY_12, "window", actor=api.hall.manager)
    assert body == here.model_dump(mode="json")
    evaluation = api.client.get(f"{api.base}/stats/evaluation?{DAY}", headers=api.token("manager"))
    assert {r["login"] for r in evaluation.json()["rows"]} == {"zhang", "zhao", "daoban"}
    heat = api.client.get(f"{api.base}/stats/heatmap?{DAY}&measure=arrivals", headers=api.token("manager"))
    assert heat.json()["cells"] == [[2, 9, 4.0], [2, 16, 2.0]]


def test_a_refusal_in_the_worker_is_the_same_error(served: tuple[Api, Services]) -> None:
    api, services = served
    worker = worker_for(services.settings, services.engine)
    assert worker is not None
    with pytest.raises(BadRequestError):
        worker.run(api.hall.code, services.clock(), services.settings, _bad_range)
    reply = api.client.get(
        f"{api.base}/stats?date_from=2025-03-13&date_to=2025-03-12", headers=api.token("manager")
    )
    assert reply.status_code == 422 and reply.json()["code"] == "bad_request"


def _bad_range(tx: Tx) -> object:
    return stats.statistics(tx, date(2025, 3, 13), DAY_12)


def _collector(_tx: Tx) -> tuple[int, int]:
    """Run in the worker: how many objects are frozen, and what a full collection finds of a fresh cycle."""
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    return gc.get_freeze_count(), gc.collect()


def test_the_worker_freezes_what_it_holds_after_a_report(served: tuple[Api, Services]) -> None:
    """After a report the worker's long-lived objects (its imports, the ORM's mappers, compiled SQL)
    are out of the full collections, which otherwise walk them all every few dozen year reports; a
    cycle made later is still collected."""
    api, services = served
    reply = api.client.get(f"{api.base}/stats?{DAY}&group=day", headers=api.token("manager"))
    assert reply.status_code == 200, reply.text
    worker = worker_for(services.settings, services.engine)
    assert worker is not None
    frozen, collected = worker.run(api.hall.code, services.clock(), services.settings, _collector)
    assert frozen > 50_000  # the imports alone are over 100,000 objects
    assert collected >= 1


def _parallel_workers(tx: Tx) -> str:
    """Run in the worker: what its database session may spend on one query's parallel plan."""
    return str(tx.session.connection().exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar())


def test_the_workers_postgresql_sessions_plan_no_parallel_query(served: tuple[Api, Services]) -> None:
    """A report's SQL runs in a backend the worker's niceness does not reach: it must not take more
    backends (every core of an appliance) for a parallel plan."""
    api, services = served
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's reports run in the worker's own (niced) process")
    worker = worker_for(services.settings, services.engine)
    assert worker is not None
    assert worker.run(api.hall.code, services.clock(), services.settings, _parallel_workers) == "0"


def test_hallq_servers_postgresql_sessions_plan_no_parallel_query(pg_url: str) -> None:
    """The engine ``hallq server`` serves with (``open_database``): no parallel plan, the statement
    timeout of its settings; the migrations before it and other tools keep the database's setting (a
    rebuild's sums, an index build)."""
    show = "SHOW max_parallel_workers_per_gather"
    serving = open_database(pg_url, DbTimeouts(connect_s=5, statement_s=7))
    try:
        with serving.connect() as conn:
            assert conn.exec_driver_sql(show).scalar() == "0"
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "7s"
    finally:
        serving.dispose()
    tool = init_db(pg_url)
    try:
        with tool.connect() as conn:
            assert conn.exec_driver_sql(show).scalar() != "0"
    finally:
        tool.dispose()
