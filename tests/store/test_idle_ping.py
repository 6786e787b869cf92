"""Pooled PostgreSQL connections are pinged at checkout only after being idle (``store/engine.py``).

A backend ended by the server (as a restart does) while its connection sat in the pool: pinged, the
pool notices and hands out a fresh connection; not pinged (used a moment ago), the first statement
fails and the next checkout gets a fresh one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, literal_column, select, text
from sqlalchemy.exc import DBAPIError

from queue_server.errors import UnavailableError
from queue_server.store.engine import DbTimeouts, ping_when_idle
from queue_server.store.pg_timeouts import install_timeouts
from queue_server.store.prepared import Prepared


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(admin: Engine, pid: int) -> None:
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()


@pytest.fixture
def admin(pg_url: str) -> Iterator[Engine]:
    engine = create_engine(pg_url)
    yield engine
    engine.dispose()


def test_an_idle_connection_is_pinged_and_replaced(pg_url: str, admin: Engine) -> None:
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, 0.0)  # every checkout finds the connection idle long enough
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)
        second = _backend_pid(engine)  # would raise without the ping
        assert second != first
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_url: str, admin: Engine) -> None:
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, 3600.0)
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)
        with pytest.raises(DBAPIError) as raised:
            _backend_pid(engine)
        assert raised.value.connection_invalidated  # the pool drops it …
        assert _backend_pid(engine) != first  # … and the next checkout connects afresh
    finally:
        engine.dispose()


def test_a_prepared_statement_on_an_ended_connection_fails_as_sqlalchemys_would(
    pg_url: str, admin: Engine
) -> None:
    # The hot-path statements run on the driver's cursor (store/prepared.py). Raw, the driver's own
    # error escaped: the runner did not see an OperationalError to retry, the hook that makes a lost
    # database ``unavailable`` did not run, and the request was answered ``internal``.
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)  # never pinged: the ended one is reused
    install_timeouts(engine, DbTimeouts(connect_s=5, statement_s=5))  # what hallq server's engine has
    statement = Prepared(select(literal_column("1")))
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)
        with engine.connect() as conn, pytest.raises(UnavailableError):
            statement.first(conn, {})
        with engine.connect() as conn:  # the pool dropped the ended connection
            assert statement.first(conn, {}) == (1,)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


def test_a_prepared_statements_refusal_keeps_sqlalchemys_type(pg_url: str) -> None:
    engine = create_engine(pg_url)
    statement = Prepared(select(literal_column("1 / 0")))
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
            statement.first(conn, {})
        assert "division by zero" in str(raised.value.orig)
        assert not raised.value.connection_invalidated
    finally:
        engine.dispose()


def test_a_session_ended_idle_in_its_transaction_is_unavailable_not_internal(pg_url: str) -> None:
    # A process frozen mid-write (SIGSTOP) wakes to find its session ended by the server's
    # idle-in-transaction timeout (the lease fence sets one, cluster/fence.py): psycopg raises it as an
    # InternalError, which the request answered ``internal`` (the paused-instance failover test).
    engine = create_engine(pg_url, pool_size=1, max_overflow=0)
    install_timeouts(engine, DbTimeouts(connect_s=5, statement_s=5))
    statement = Prepared(select(literal_column("1")))
    try:
        with engine.connect() as conn:
            conn.execute(text("SET idle_in_transaction_session_timeout = '50ms'"))
            first = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            time.sleep(0.5)  # idle in the transaction the SET began: the server ends the session
            with pytest.raises(UnavailableError):
                statement.first(conn, {})
        with engine.connect() as conn:  # the ended session was dropped from the pool
            assert statement.first(conn, {}) == (1,)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
