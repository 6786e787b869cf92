"""``dh``: the small hall with its Desk on a database shared by the session (one per backend), once on
SQLite and once on PostgreSQL; each test has its own hall code, so tests never see each other."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from queue_server.store import init_db
from tests.casework.helpers import DeskHall, make_desk_hall
from tests.conftest import PG_ADMIN_URL


@pytest.fixture(scope="session")
def shared_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('casework') / 'shared.db'}"
    init_db(url).dispose()
    return url


@pytest.fixture(scope="session")
def shared_pg(pg_available: None) -> Iterator[str]:
    import uuid

    import sqlalchemy as sa

    name = f"hallq_cw_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    init_db(url).dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("shared_sqlite" if request.param == "sqlite" else "shared_pg")
    return url


@pytest.fixture
def dh(shared_url: str, hall_code: str) -> Iterator[DeskHall]:
    h = make_desk_hall(shared_url, hall_code)
    yield h
    h.hall.close()


@pytest.fixture
def dh_sqlite(shared_sqlite: str, hall_code: str) -> Iterator[DeskHall]:
    """SQLite only, for tests about rules, paper and pages rather than the database."""
    h = make_desk_hall(shared_sqlite, hall_code)
    yield h
    h.hall.close()
