"""Fixtures shared by the whole suite: real brokers, real databases, a hall on them; markers; Hypothesis.

Brokers
- ``broker``: a private Mosquitto for this test session on a free loopback port, with
  ``set_tcp_nodelay true``; ``fresh_broker``: one of this test alone, for tests that stop or restart it.
- ``hall_code``: a unique hall id per test, so tests never see each other's retained messages or rows.

Databases (each fixture runs once on SQLite and once on PostgreSQL; the PostgreSQL half skips, with
the reason, when no server answers at ``HALLQ_TEST_PG``)
- ``db_url``: an empty database of this test alone (no tables): a file in tmp_path, or a new
  PostgreSQL database dropped afterwards. For tests of migrations, triggers and whole tables.
  ``pg_url``: the same for PostgreSQL alone.
- ``shared_url``: the session's migrated database of that backend (``SharedDatabases``); a test keeps
  apart from the others by building its own hall (``hall_code``) and filtering rows by its hall id.
  ``shared_sqlite_url``: the SQLite one alone.
- ``hall``: the small hall of harness/factories.py with its ``Services``, in ``shared_url``;
  ``make_hall(**hall_fields)``: the same with some Hall columns overridden.

Markers: a test is marked ``broker``, ``postgres``, ``screen`` or ``browser`` by the fixtures it uses
(``FIXTURE_MARKERS``), so ``-m "not postgres"`` deselects exactly what needs a PostgreSQL server.

Hypothesis: profile ``ci`` (no per-example deadline, the same examples every run, failures print a
reproduction blob) when env ``CI`` is set, else ``dev``; env ``HYPOTHESIS_PROFILE`` chooses one by name.

The machinery behind these fixtures lives in the ``harness`` package, which the benchmarks use too;
``MosquittoBroker``, ``free_port``, ``wait_port`` and ``PG_ADMIN_URL`` stay importable from here.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from harness.broker import MosquittoBroker, free_port, mosquitto_binary, wait_port
from harness.factories import HallFixture, SharedDatabases, build_hall
from harness.postgres import PG_ADMIN_URL, create_database, drop_database, unreachable_reason
from tests import xvfb

__all__ = ["PG_ADMIN_URL", "MosquittoBroker", "free_port", "wait_port"]

pytest_plugins = ["pytester"]

BACKENDS = ["sqlite", "postgresql"]

# A test that uses one of these fixtures (directly or through another fixture) gets the marker.
FIXTURE_MARKERS = {
    "broker": "broker",
    "fresh_broker": "broker",
    "pg_url": "postgres",
    "pg_available": "postgres",
    "xvfb_run": "screen",
    "browser": "browser",  # the Playwright Chromium of tests/e2e
}
# These fixtures are parametrised by backend; their "postgresql" instance needs the server.
BACKEND_FIXTURES = ("db_url", "shared_url")


# --- Hypothesis ------------------------------------------------------------------------------------

# No per-example deadline anywhere: a deadline measures the machine, not the code, and tests make no
# timing assertions (speed is measured in benchmarks/).
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


# --- markers ---------------------------------------------------------------------------------------


def markers_for(fixturenames: Iterable[str], params: Mapping[str, Any]) -> set[str]:
    """The markers a test earns by the fixtures it uses (``fixturenames``: its whole closure) and the
    parameters they were given (``params``: its callspec)."""
    earned = {FIXTURE_MARKERS[name] for name in fixturenames if name in FIXTURE_MARKERS}
    if any(params.get(name) == "postgresql" for name in BACKEND_FIXTURES):
        earned.add("postgres")
    return earned


@pytest.hookimpl(tryfirst=True)  # before the -m filter of pytest's mark plugin reads the markers
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params if callspec is not None else {}
        for name in sorted(markers_for(getattr(item, "fixturenames", ()), params)):
            if item.get_closest_marker(name) is None:
                item.add_marker(name)


# --- brokers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (scripts/bootstrap installs it)")
    b = MosquittoBroker(free_port(), tmp_path_factory.mktemp("mosquitto"))
    b.start()
    yield b
    b.stop()


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A broker of this test alone, for tests that stop or restart it."""
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (scripts/bootstrap installs it)")
    b = MosquittoBroker(free_port(), tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def hall_code() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


# --- screens ---------------------------------------------------------------------------------------


@pytest.fixture
def xvfb_run() -> xvfb.XvfbRun:
    """Commands on a virtual screen (tests/xvfb.py): ``xvfb_run.argv(...)``, ``xvfb_run.run(...)``;
    skips when Xvfb is not installed."""
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (scripts/bootstrap installs it)")
    return xvfb.XvfbRun()


# --- databases -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_available() -> None:
    reason = unreachable_reason()
    if reason is not None:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {reason}")


@pytest.fixture
def pg_url(pg_available: None, request: pytest.FixtureRequest) -> str:
    """The URL of a new, empty PostgreSQL database of this test alone; dropped afterwards."""
    url = create_database("hallq_t")
    request.addfinalizer(lambda: drop_database(url))
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of this test alone (no tables): once SQLite (a file), once
    PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hallq.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(scope="session")
def shared_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDatabases]:
    databases = SharedDatabases(tmp_path_factory.mktemp("shared-db"), PG_ADMIN_URL)
    yield databases
    databases.close()


@pytest.fixture(params=BACKENDS)
def shared_url(request: pytest.FixtureRequest, shared_databases: SharedDatabases) -> str:
    """The session's migrated database of this backend; build halls in it with a unique code."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_available")
    return shared_databases.url(request.param)


@pytest.fixture
def shared_sqlite_url(shared_databases: SharedDatabases) -> str:
    """The session's migrated SQLite database, for tests about rules rather than the database."""
    return shared_databases.url("sqlite")


@pytest.fixture
def hall(shared_url: str, hall_code: str) -> Iterator[HallFixture]:
    h = build_hall(shared_url, code=hall_code, migrate=False)
    yield h
    h.close()


@pytest.fixture
def make_hall(shared_url: str, hall_code: str) -> Iterator[Callable[..., HallFixture]]:
    """``make_hall(**hall_fields)``: the small hall with some Hall columns overridden."""
    built: list[HallFixture] = []

    def make(**fields: Any) -> HallFixture:
        h = build_hall(shared_url, code=f"{hall_code}-{len(built)}", migrate=False, **fields)
        built.append(h)
        return h

    yield make
    for h in built:
        h.close()
