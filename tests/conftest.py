"""Fixtures shared by the whole suite: real brokers and real databases.

- ``broker``: a private Mosquitto for this test session on a free loopback port, with
  ``set_tcp_nodelay true``; ``broker.restart()`` and ``broker.stop()``/``start()`` for outage tests.
- ``hall_code``: a unique hall id per test, so tests never see each other's retained messages.
- ``db_url``: parametrised over SQLite (a file in tmp_path) and PostgreSQL (a new database per test,
  dropped afterwards); ``pg_url`` for PostgreSQL alone. They skip, with the reason, without a server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from queue_server.protocol.client import BrokerAddress

PG_ADMIN_URL = os.environ.get("HALLQ_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class MosquittoBroker:
    """A private mosquitto process the tests own (and may kill)."""

    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "set_tcp_nodelay true\n"
            "persistence false\n"
            "max_queued_messages 100000\n"
            "log_dest none\n"
        )
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MosquittoBroker]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed (scripts/bootstrap installs it)")
    b = MosquittoBroker(free_port(), tmp_path_factory.mktemp("mosquitto"))
    b.start()
    yield b
    b.stop()


@pytest.fixture
def fresh_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A broker of this test alone, for tests that stop or restart it."""
    b = MosquittoBroker(free_port(), tmp_path)
    b.start()
    yield b
    b.stop()


@pytest.fixture
def hall_code() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def _pg_available() -> str | None:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def pg_available() -> None:
    reason = _pg_available()
    if reason is not None:
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {reason}")


@pytest.fixture
def pg_url(pg_available: None, request: pytest.FixtureRequest) -> str:
    """The URL of a new, empty PostgreSQL database of this test alone; dropped afterwards."""
    import sqlalchemy as sa

    name = f"hallq_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()

    def drop() -> None:
        eng = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    request.addfinalizer(drop)
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database (no tables): once SQLite (a file), once PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hallq.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url
