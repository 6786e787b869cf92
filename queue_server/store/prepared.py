"""Hot-path statements run straight on the driver's cursor, in the caller's SQLAlchemy transaction.

A ``ticket.issue`` makes a dozen small statements. Through ``Connection.execute`` each costs ~100 µs of
Python around a ~10 µs SQLite step (execution context, parameter processing, result wrapping, events):
most of the server's time per ticket. A :class:`Prepared` statement is compiled ONCE per dialect and
parameter names by SQLAlchemy itself, and at run time does only what SQLAlchemy would have done to
the values: the types' bind processors on the way in (``UTCDateTime``, ``JSON`` …), their result
processors on the way out, scalar column defaults for columns left out of an INSERT.

It runs on the DBAPI connection the SQLAlchemy ``Connection`` holds, so it is in the same transaction
(begun by the engine's ``begin`` hook) and committed or rolled back with it. What it does not do:
engine events per statement (hallq has none), expanding ``IN`` parameters and Python-callable column
defaults (refused when compiled, so a statement needing them cannot silently lose them).

A driver error is handed to SQLAlchemy as if it had run the statement (``_translated``): callers see
the same ``sqlalchemy.exc`` types either way (the runner retries an ``OperationalError``: a deadlock),
the engine's ``handle_error`` hooks run (``store/pg_timeouts.py``: a lost connection is
``UnavailableError``), and a connection the database ended is invalidated, not pooled again. Raw, a
connection ended by ``pg_terminate_backend`` (a hall moved to another instance) answered ``internal``.
"""

from __future__ import annotations

import re
import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnDefault, Connection, Dialect
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.selectable import Select

Processor = Callable[[Any], Any]
Statement = Select[Any] | Insert | Update


@dataclass(frozen=True, slots=True)
class _Plan:
    """One statement compiled for one dialect and set of parameter names."""

    sql: str
    positional: bool
    # (parameter name, bind processor or None) in the statement's parameter order.
    binds: tuple[tuple[str, Processor | None], ...]
    # Values the caller does not give: the statement's own (literals, IN lists) and the scalar defaults
    # of INSERT columns left out.
    defaults: Mapping[str, Any]
    results: tuple[Processor | None, ...]  # one per result column
    names: tuple[str, ...]  # result column names
    record: type[tuple[Any, ...]]  # a named tuple of the result columns
    # An INSERT without RETURNING on psycopg as an INSERT of many rows (``_columns_insert``).
    columns_insert: tuple[str, tuple[str, ...]] | None = None

    def bind(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.defaults:
            params = {**self.defaults, **params}
        values = [params[name] if proc is None else proc(params[name]) for name, proc in self.binds]
        return values if self.positional else dict(zip((name for name, _ in self.binds), values, strict=True))

    def rows(self, raw: list[Any]) -> list[tuple[Any, ...]]:
        if not any(self.results):
            return [tuple(row) for row in raw]
        return [
            tuple(
                value if proc is None else proc(value) for proc, value in zip(self.results, row, strict=True)
            )
            for row in raw
        ]


class Prepared:
    """A Core statement (SELECT, INSERT, UPDATE with bound parameters) for the hot path (module doc)."""

    def __init__(self, statement: Statement, *, rank: int = 0) -> None:
        self.statement = statement
        # Deferred writes (services/engine/batch.py) go in by rank, lowest first: rows that others
        # point at (a ticket, before its events) take a lower one.
        self.rank = rank
        self._plans: dict[tuple[str, frozenset[str]], _Plan] = {}
        self._lock = threading.Lock()

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """All result rows, their values processed as SQLAlchemy would."""
        return self._fetch(conn, params)[1]

    def named_rows(
        self, conn: Connection, params: Mapping[str, Any]
    ) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
        """The result columns' names and ``rows``."""
        plan, rows = self._fetch(conn, params)
        return plan.names, rows

    def records(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """All result rows as named tuples (attribute access by column name; a repeated name gets
        ``_N``, its position)."""
        plan, rows = self._fetch(conn, params)
        return [plan.record(*row) for row in rows]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        rows = self.rows(conn, params)
        return rows[0] if rows else None

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row (None without a row)."""
        row = self.first(conn, params)
        return None if row is None else row[0]

    def first_each(self, conn: Connection, many: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...] | None]:
        """``first`` for each parameter set (all with the same names), in order.

        On psycopg the statements go out together in one pipeline: one round trip to PostgreSQL for
        all of them instead of one each (SQLite runs in process: a plain loop)."""
        if not many:
            return []
        plan = self._plan(conn.dialect, many[0])
        driver = conn.connection.driver_connection
        pipeline = getattr(driver, "pipeline", None)
        if pipeline is None:
            return [self.first(conn, params) for params in many]
        cursors = []
        with _translated(conn, plan.sql):
            with pipeline():
                for params in many:
                    cursor = _cursor(conn, own=True)
                    cursor.execute(plan.sql, plan.bind(params))
                    cursors.append(cursor)
            found = [plan.rows(cursor.fetchall()) for cursor in cursors]
        return [rows[0] if rows else None for rows in found]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Execute a write; the number of rows it matched."""
        return int(self._execute(conn, params)[1].rowcount)

    def run_many(self, conn: Connection, many: Iterable[Mapping[str, Any]]) -> None:
        """Execute a write once per parameter set, in one driver call (all sets have the same names).

        An INSERT on psycopg goes as ONE statement of all the rows (``_columns_insert``): psycopg's
        ``executemany`` pipelines one statement per row, and their protocol work in Python cost more
        than the rows' values."""
        batch = list(many)
        if not batch:
            return
        plan = self._plan(conn.dialect, batch[0])
        if plan.columns_insert is None or len(batch) == 1:
            with _translated(conn, plan.sql):
                _cursor(conn).executemany(plan.sql, [plan.bind(params) for params in batch])
            return
        sql, names = plan.columns_insert
        columns: list[list[Any]] = [[] for _name in names]
        for params in batch:
            row = plan.bind(params)
            assert isinstance(row, dict)  # columns_insert is made for named parameters only
            for column, name in zip(columns, names, strict=True):
                column.append(row[name])
        with _translated(conn, sql):
            _cursor(conn).execute(sql, columns)

    def _fetch(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Plan, list[tuple[Any, ...]]]:
        plan, cursor = self._execute(conn, params)
        with _translated(conn, plan.sql):
            return plan, plan.rows(cursor.fetchall())

    def _execute(self, conn: Connection, params: Mapping[str, Any]) -> tuple[_Plan, Any]:
        """The statement run once on the cursor of ``conn``: (its plan, the cursor)."""
        plan = self._plan(conn.dialect, params)
        with _translated(conn, plan.sql):
            cursor = _cursor(conn)
            cursor.execute(plan.sql, plan.bind(params))
        return plan, cursor

    def _plan(self, dialect: Dialect, params: Mapping[str, Any]) -> _Plan:
        key = (dialect.name, frozenset(params))
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key) or self._compile(dialect, key[1])
                self._plans[key] = plan
        return plan

    def _compile(self, dialect: Dialect, keys: frozenset[str]) -> _Plan:
        statement = self.statement
        compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
        if any(bind.key in keys for bind in compiled.post_compile_params):
            raise ValueError("Prepared statements take no expanding parameter (IN of the caller's list)")
        defaults: dict[str, Any] = {}
        for column in (*compiled.insert_prefetch, *compiled.update_prefetch):
            default = column.default
            if not isinstance(default, ColumnDefault) or not default.is_scalar:
                raise ValueError(f"column {column.key} needs a Python-side default: pass a value")
            defaults[column.key] = default.arg
        # SQLAlchemy's own expansion: the statement's fixed IN lists become plain parameters, each with
        # its value and bind processor (the caller's are placeholders here; a missing one raises).
        given = keys | defaults.keys()
        state = compiled.construct_expanded_state(dict.fromkeys(given))
        order = state.positiontup if compiled.positional else list(state.parameters)
        assert order is not None
        fixed = {name: value for name, value in state.parameters.items() if name not in given}
        processors: dict[str, Processor | None] = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for bind, name in compiled.bind_names.items()
        }
        processors.update(state.processors)  # the expanded IN lists' members
        columns = list(statement.exported_columns)  # a SELECT's columns, a write's RETURNING
        names = tuple(str(column.key) for column in columns)
        return _Plan(
            sql=state.statement,
            positional=compiled.positional,
            binds=tuple((name, processors.get(name)) for name in order),
            defaults={**fixed, **defaults},
            results=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
            ),
            names=names,
            record=namedtuple("Record", names, rename=True),  # the names are known only here
            columns_insert=_columns_insert(state.statement, statement.table, dialect)
            if isinstance(statement, Insert) and not columns and not compiled.positional
            else None,
        )


# A VALUES entry as SQLAlchemy renders it for psycopg: a named placeholder, maybe its type's cast.
_PARAM = re.compile(r"%\((\w+)\)s(?:::([A-Z][A-Z0-9 _]*(?:\([0-9, ]+\))?))?")
_LENGTH = re.compile(r"\([0-9, ]*\)")


def _columns_insert(sql: str, table: Any, dialect: Dialect) -> tuple[str, tuple[str, ...]] | None:
    """``INSERT INTO t (a, b) VALUES (%(a)s::T, %(b)s) [RETURNING …]`` as ``INSERT INTO t (a, b)
    SELECT … FROM unnest(%b::T[], %b::U[]) WITH ORDINALITY … ORDER BY …`` (one array of values per
    column, the rows in the arrays' order), and the parameter names in column order; SQLAlchemy's
    implicit ``RETURNING`` of the key goes (nobody reads it). None for any other shape.

    One array per column rather than ``VALUES (…), (…)``: psycopg parses a statement's text once
    only while it has at most 50 parameters (16 tickets have 450), and binary arrays need no
    quoting of their values.
    """
    start = sql.find(" VALUES (")
    returning = sql.find(" RETURNING ", start)
    row = sql[start + len(" VALUES (") : returning if returning >= 0 else len(sql)].rstrip()
    if start < 0 or not row.endswith(")"):
        return None
    params = _PARAM.findall(row[:-1])
    if not params or ", ".join(f"%({n})s" + (f"::{c}" if c else "") for n, c in params) != row[:-1]:
        return None  # a literal or a function among the values: not this shape
    columns = getattr(table, "c", {})
    if any(name not in columns for name, _cast in params):
        return None
    # The element type without its length: the INSERT into the column checks it, as one row's does
    # (a cast to VARCHAR(n) would cut a longer value instead).
    types = [_LENGTH.sub("", columns[name].type.compile(dialect=dialect)) for name, _cast in params]
    aliases = ", ".join(f"c{index}" for index in range(len(params)))
    arrays = ", ".join(f"%b::{sql_type}[]" for sql_type in types)
    select = (  # the text SQLAlchemy compiled from the statement and its column types; no value
        f" SELECT {aliases} FROM unnest({arrays}) WITH ORDINALITY"  # noqa: S608
        f" AS hallq_rows({aliases}, hallq_n) ORDER BY hallq_n"
    )
    return sql[:start] + select, tuple(name for name, _cast in params)


@contextmanager
def _translated(conn: Connection, sql: str) -> Iterator[None]:
    """Driver errors of a statement run on the raw cursor, raised as SQLAlchemy raises its own (see
    the module doc): through ``Connection._handle_dbapi_exception``, the one place SQLAlchemy maps a
    DBAPI error (its hooks, the disconnect check and invalidation, the exception types)."""
    try:
        yield
    except conn.dialect.loaded_dbapi.Error as exc:
        conn._handle_dbapi_exception(exc, sql, None, None, None)


def _cursor(conn: Connection, *, own: bool = False) -> Any:
    """A cursor of the DBAPI connection under ``conn`` (in its transaction).

    On psycopg one cursor per connection serves every statement (each is run and read before the
    next): a new cursor copies the connection's adapters, which showed in the server's profile at
    ~6 % of the GIL at 300 issues/s. ``own``: a cursor of its own (statements pipelined together)."""
    driver = conn.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection is closed")
    if own or not hasattr(driver, "pipeline"):  # sqlite3 cursors cost nothing to make
        return driver.cursor()
    cursor = getattr(driver, _SHARED, None)
    if cursor is None or cursor.closed:
        cursor = driver.cursor()
        setattr(driver, _SHARED, cursor)
    return cursor


_SHARED = "_hallq_cursor"  # the attribute of a psycopg connection holding its shared cursor
