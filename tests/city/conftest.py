"""A hall appliance (SQLite file) and its city (PostgreSQL, a real uvicorn started when the test says).

- ``appliance``: the small hall of harness/factories.py in the session's SQLite database, open
  09:00–12:00 and 13:30–17:00 (the hours of tests/stats/test_fixed_day.py), linked to a city (its
  outbox written, as ``hallq server`` with ``city_url`` links it); ``unlinked_appliance``: the same,
  not linked (no outbox).
- ``city``: the session's PostgreSQL database with two other halls loaded first (so the city's row
  ids differ from the hall's) and the same hall loaded as a city loads the hall's file; its HTTP app;
  ``start()`` serves it on the port reserved at once (``url``), so a shipper can be pointed at a city
  that is down.
- ``credential_file``: the hall's credential at that city, in a file, as ``hallq city credential``
  writes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI

from harness.factories import HallFixture, SharedDatabases, build_hall
from queue_server.api import create_app
from queue_server.city import capture
from queue_server.city.credential import PURPOSE, make_credential
from tests.conftest import free_port
from tests.stats.test_fixed_day import HOURS
from tests.web.server import RunningServer, serve


@dataclass
class City:
    hall: HallFixture  # the appliance's hall as the city holds it
    others: list[HallFixture]
    app: FastAPI
    port: int
    servers: list[RunningServer] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.servers.append(serve(self.app, self.port))

    def stop(self) -> None:
        while self.servers:
            self.servers.pop().stop()


@pytest.fixture
def unlinked_appliance(shared_sqlite_url: str, hall_code: str) -> Iterator[HallFixture]:
    # The session's SQLite database: the link, the outbox, the shipper and the status are all per hall.
    hall = build_hall(shared_sqlite_url, code=hall_code, migrate=False, schedule=HOURS)
    yield hall
    hall.close()


@pytest.fixture
def appliance(unlinked_appliance: HallFixture) -> HallFixture:
    capture.link(unlinked_appliance.engine, unlinked_appliance.hall_id, datetime.now(UTC))
    return unlinked_appliance


@pytest.fixture
def city(pg_available: None, shared_databases: SharedDatabases, hall_code: str) -> Iterator[City]:
    url = shared_databases.url("postgresql")  # the session's database: its halls apart by code
    others = [build_hall(url, code=f"{hall_code}-{n}", migrate=False) for n in ("x", "y")]
    hall = build_hall(url, code=hall_code, migrate=False, schedule=HOURS)
    c = City(hall, others, create_app(hall.settings, hall.services), free_port())
    yield c
    c.stop()
    for h in [hall, *others]:
        h.close()


@pytest.fixture
def credential_file(city: City, tmp_path: Path) -> Path:
    path = tmp_path / "city.credential"
    path.write_text(make_credential(city.hall.settings.derive_key(PURPOSE), city.hall.code) + "\n")
    return path
