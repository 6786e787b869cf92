"""Fixtures giving a built hall, once on SQLite and once on PostgreSQL (imported by the conftests of
tests/services and tests/api).

``hall``: the small hall of tests/factories.py.

Each test gets its own hall (a unique code) in a database migrated once per session
(``SharedDatabases``): all rows are keyed by hall, so tests cannot see each other's tickets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import PG_ADMIN_URL
from tests.factories import HallFixture, SharedDatabases, build_hall


@pytest.fixture(scope="session")
def shared_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedDatabases]:
    databases = SharedDatabases(tmp_path_factory.mktemp("shared-db"), PG_ADMIN_URL)
    yield databases
    databases.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest, shared_databases: SharedDatabases) -> str:
    """The session's migrated database of this backend; build halls in it with a unique code."""
    if request.param == "postgresql":
        request.getfixturevalue("pg_available")
    return shared_databases.url(request.param)


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
