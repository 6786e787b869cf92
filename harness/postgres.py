"""PostgreSQL for tests and benchmarks: the admin URL, whether it answers, a fresh database.

The admin URL comes from env ``HALLQ_TEST_PG`` (default: user postgres on 127.0.0.1:5432, trust
authentication, as scripts/bootstrap sets up). Every test or benchmark that needs an empty database
creates its own under a random name and drops it afterwards (``WITH (FORCE)``: a connection left open
by a failed test must not keep the database alive).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("HALLQ_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def unreachable_reason(admin_url: str = PG_ADMIN_URL) -> str | None:
    """None if PostgreSQL answers at ``admin_url``; else the first line of why not."""
    try:
        engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
        finally:
            engine.dispose()
    except Exception as exc:  # any driver or network error means "not here", with its reason
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def database_url(name: str, admin_url: str = PG_ADMIN_URL) -> str:
    """The URL of database ``name`` on the server of ``admin_url``."""
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def admin_execute(sql: str, admin_url: str = PG_ADMIN_URL) -> None:
    """Run one statement outside a transaction (CREATE/DROP DATABASE) on the admin database."""
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def create_database(prefix: str = "hallq_t", admin_url: str = PG_ADMIN_URL) -> str:
    """Create a new, empty database named ``{prefix}_{random}``; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin_execute(f'CREATE DATABASE "{name}"', admin_url)
    return database_url(name, admin_url)


def drop_database(url: str, admin_url: str = PG_ADMIN_URL) -> None:
    """Drop the database of ``url`` (a URL ``create_database`` returned), connections or not."""
    name = url.rsplit("/", 1)[1]
    admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', admin_url)


@contextlib.contextmanager
def fresh_database(prefix: str = "hallq_t", admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    """The URL of a new, empty database for the block; dropped afterwards."""
    url = create_database(prefix, admin_url)
    try:
        yield url
    finally:
        drop_database(url, admin_url)


@contextlib.contextmanager
def empty_database(kind: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database for the block: ``kind`` "sqlite" (a file in ``workdir``) or
    "postgresql" (a fresh database, dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'hallq.db'}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}: sqlite or postgresql")
    with fresh_database("hallq_bench") as url:
        yield url
