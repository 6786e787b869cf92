"""Engines for SQLite (the appliance default) and PostgreSQL (a city's shared database).

SQLite: WAL with synchronous=FULL, foreign keys on, a 5 s busy timeout
(docs/design/FIELD-NOTES.md), and the WAL checkpointed by a background thread rather than inside a
commit (``store/checkpoint.py``). FULL syncs the WAL at every commit, so a power cut loses no
acknowledged ticket or call (NORMAL may lose the last commits); the group commit
(``services/engine/group_commit.py``) shares one sync among the writes of a batch. Transactions begin
with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes cannot wait for a
concurrent writer (SQLite answers "database is locked" at once, busy timeout or not), whereas an
immediate one queues for the write lock up front. Read-only work uses :func:`reader` for a plain
``BEGIN`` that never blocks on writers under WAL.

PostgreSQL: with :class:`DbTimeouts` (``hallq server`` passes its settings) a connection attempt gives
up after ``connect_s``; a statement is cancelled by the server after ``statement_s`` and abandoned by
the client a little later (a partition drops the server's cancellation too), closing the connection.
Either becomes :class:`~queue_server.errors.UnavailableError` (HTTP 503, MQTT ``unavailable``) through
the engine's ``handle_error`` hook, so a partition answers instead of holding every thread.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

from .checkpoint import AUTOCHECKPOINT_PAGES, WalCheckpointer

READ_ONLY = "hallq_read_only"

PING_IDLE_S = 1.0
"""A pooled PostgreSQL connection is pinged at checkout only when it has been idle this long: one used
a moment ago is alive but for a database restart in that moment (then the first statement fails, the
pool is invalidated, the request is answered ``unavailable`` and its retry gets a new connection).
SQLAlchemy's ``pool_pre_ping`` pinged at every checkout: a round trip and a cursor per transaction,
4 % of the server's time at 500 issues/s."""
_LAST_USED = "hallq_last_used"

_CHECKPOINTERS: weakref.WeakKeyDictionary[Engine, WalCheckpointer] = weakref.WeakKeyDictionary()

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}",
)


@dataclass(frozen=True, slots=True)
class DbTimeouts:
    """PostgreSQL limits (seconds): connecting, and one statement; None waits as long as it takes."""

    connect_s: float | None = None
    statement_s: float | None = None


# A PostgreSQL session that plans no parallel query: a serving process's statements are small, and a
# parallel plan (supervision's reads of a year-old hall chose one) starts two more backends for a few
# milliseconds, on an appliance's two cores every core, while the hall's writes wait for one.
NO_PARALLEL = "-c max_parallel_workers_per_gather=0"


def make_engine(
    url: str, *, timeouts: DbTimeouts | None = None, parallel: bool = True, **kwargs: Any
) -> Engine:
    """An engine for ``url``; for a SQLite file, its directory is created if missing. ``parallel=False``:
    its PostgreSQL sessions plan no parallel query (``NO_PARALLEL``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if not parallel and parsed.get_backend_name() == "postgresql":
        kwargs["connect_args"] = with_session_option(kwargs.pop("connect_args", {}), NO_PARALLEL)
    ping_idle = not kwargs.get("pool_pre_ping", False)  # a caller's own pre_ping pings every checkout
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    if timeouts is None or parsed.get_backend_name() != "postgresql":
        engine = create_engine(url, **kwargs)
    else:
        from .pg_timeouts import install_timeouts, timeout_connect_args

        connect_args = timeout_connect_args(kwargs.pop("connect_args", {}), timeouts)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        install_timeouts(engine, timeouts)
    if ping_idle:
        ping_when_idle(engine, PING_IDLE_S)
    return engine


def with_session_option(connect_args: Mapping[str, Any], option: str) -> dict[str, Any]:
    """``connect_args`` with one more ``-c name=value`` in libpq's ``options``: a setting of every
    session the engine opens."""
    args = dict(connect_args)
    args["options"] = f"{args.get('options', '')} {option}".strip()
    return args


def ping_when_idle(engine: Engine, idle_s: float) -> None:
    """Ping a pooled connection at checkout when it was last used ``idle_s`` or more ago (see
    ``PING_IDLE_S``); a failed ping makes the pool drop it and hand out another."""

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, -idle_s) < idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's error for a connection the server closed
            raise DisconnectionError(f"ping after {idle_s:.0f} s idle failed: {exc}") from exc
        if not alive:
            raise DisconnectionError("ping failed")


def reader(engine: Engine) -> Engine:
    """The same engine, marked so that its transactions start as plain (deferred) reads."""
    return engine.execution_options(**{READ_ONLY: True})


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("check_same_thread", False)
    file = parsed.database if parsed.database and parsed.database != ":memory:" else None
    if file is not None:
        Path(file).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    checkpointer = WalCheckpointer(file) if file is not None else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when a transaction begins (see "begin").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()
        if checkpointer is not None:
            checkpointer.start()  # once the file exists and is in WAL mode

    if checkpointer is not None:
        _CHECKPOINTERS[engine] = checkpointer
        event.listen(engine, "engine_disposed", lambda _engine: checkpointer.stop())

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def checkpointer_of(engine: Engine) -> WalCheckpointer | None:
    """The background WAL checkpointer of a SQLite file engine (None for others)."""
    return _CHECKPOINTERS.get(engine)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
