"""PostgreSQL connect and statement timeouts, and the one place their failures become a typed error.

Three limits, because a network partition hides every answer of the server:

- ``connect_timeout``: a connection attempt (TCP, TLS, authentication) gives up after ``connect_s``;
- ``statement_timeout`` (a session setting): the server cancels a statement after ``statement_s``,
  which frees its locks and answers with ``QueryCanceled`` while the network works;
- the client's own deadline, :class:`DeadlineConnection`: no answer ``CLIENT_GRACE_S`` after that and
  the connection is closed, because in a partition the server's cancellation is lost too and the
  thread would wait on the socket for ever (TCP keepalives see nothing wrong while packets to the
  server are still acknowledged).

The engine's ``handle_error`` hook turns a failed connect, a lost or closed connection and a cancelled
statement into :class:`~queue_server.errors.UnavailableError` (HTTP 503, MQTT ``unavailable``).
Deadlocks and serialization failures stay driver errors: the runner retries those.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.abc import PQGen
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext, make_url

from queue_server.errors import DatabaseUnavailableError

from .engine import DbTimeouts, with_session_option

log = logging.getLogger(__name__)

RV = TypeVar("RV")

# The client waits this much longer than the server's statement_timeout: while the network works the
# server's own cancellation (a clean error on a connection that stays usable) arrives first.
CLIENT_GRACE_S = 5.0
# libpq counts connect_timeout in whole seconds and treats less than 2 as 2.
MIN_CONNECT_TIMEOUT_S = 2
# psycopg's own polling interval while it waits on the socket (psycopg/connection.py _WAIT_INTERVAL).
WAIT_INTERVAL_S = 0.1


def timeout_connect_args(connect_args: Mapping[str, Any], timeouts: DbTimeouts) -> dict[str, Any]:
    """The driver's connect arguments with ``connect_timeout`` and the session's statement_timeout."""
    args = dict(connect_args)
    if timeouts.connect_s is not None:
        args.setdefault("connect_timeout", max(MIN_CONNECT_TIMEOUT_S, math.ceil(timeouts.connect_s)))
    if timeouts.statement_s is not None:
        args = with_session_option(args, f"-c statement_timeout={int(timeouts.statement_s * 1000)}")
    return args


class DeadlineConnection(psycopg.Connection[Any]):
    """A psycopg connection that stops waiting for an answer after ``deadline_s`` and closes itself.

    ``Connection.wait`` runs every exchange with the server (execute, fetch, commit); its ``timeout``
    raises ``_WaitTimeout`` mid-protocol, after which the connection cannot be used: it is closed, so
    SQLAlchemy sees a disconnect and drops it (and the rest of the pool, opened before the partition).
    """

    deadline_s: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = WAIT_INTERVAL_S, timeout: float | None = None) -> RV:
        if timeout is not None or self.deadline_s is None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.deadline_s)
        except pg_errors._WaitTimeout:  # psycopg's documented timeout of wait()
            self.close()
            raise psycopg.OperationalError(
                f"no answer from the database within {self.deadline_s:.0f} s: connection closed"
            ) from None


def install_timeouts(engine: Engine, timeouts: DbTimeouts) -> None:
    """The client deadline (psycopg 3 only) and the typed error, on ``engine``."""
    if timeouts.statement_s is not None and make_url(str(engine.url)).get_driver_name() == "psycopg":
        deadline = timeouts.statement_s + CLIENT_GRACE_S

        @event.listens_for(engine, "do_connect")
        def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> DeadlineConnection:
            conn = DeadlineConnection.connect(*cargs, **cparams)
            conn.deadline_s = deadline
            return conn

    event.listen(engine, "handle_error", _unavailable)


def _unavailable(context: ExceptionContext) -> None:
    """Raise UnavailableError for a failure that means "the database is not reachable in time"."""
    if context.is_pre_ping:
        return  # SQLAlchemy drops the connection and opens a new one; its failure comes back here
    original = context.original_exception
    lost = isinstance(original, psycopg.OperationalError) and (
        context.is_disconnect or context.connection is None
    )
    if isinstance(original, pg_errors.IdleInTransactionSessionTimeout):
        # The server ended a session left idle in its transaction: a process frozen mid-write (the
        # fence's timeout, cluster/fence.py). An InternalError by its SQLSTATE class, but the session
        # is gone like any lost connection: dropped from the pool, the request answered unavailable.
        context.is_disconnect = lost = True
    if lost or isinstance(original, pg_errors.QueryCanceled):
        log.warning(
            "database unavailable: %s", str(original).strip().splitlines()[0] if str(original) else original
        )
        raise DatabaseUnavailableError(reason="database") from original
