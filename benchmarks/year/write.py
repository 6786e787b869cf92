"""Bulk writes of generated rows: ``executemany`` on SQLite, ``COPY … FROM STDIN`` on PostgreSQL.

Each ``write_chunk`` is one transaction (a chunk of days, every table in parent-before-child order).
The rows carry their ids; on PostgreSQL the id sequences are moved past them afterwards
(``finish``), so the running server's next insert gets a fresh id. SQLite's form of each column is
the one SQLAlchemy writes (``YYYY-MM-DD HH:MM:SS.ffffff`` UTC, ``YYYY-MM-DD``), so the server reads
the rows back exactly as its own.

The statistics rollups are NOT kept during the load (their triggers would run once per row): on
SQLite the rollup triggers are dropped for the load and created again by ``finish``, on PostgreSQL
each chunk's transaction turns them off (``SET LOCAL hallq.stats = 'off'``). The rollups of the
written days must then be rebuilt: ``hallq stats rebuild`` (the statistics benchmark does, and times it).
On SQLite the written tables' own indexes are dropped for the load too and created again by ``finish``
(one sort each instead of a dozen B-trees kept row by row), with the load's pragmas (``_LOAD_PRAGMAS``)
on the writer's connection only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Date, Engine, insert
from sqlmodel import SQLModel

from queue_server.stats.dialect import dialect_of
from queue_server.stats.triggers import create_statements, drop_statements
from queue_server.store.types import UTCDateTime

Row = tuple[Any, ...]


class Writer(Protocol):
    def write_chunk(self, tables: Mapping[str, tuple[Sequence[str], Sequence[Row]]]) -> None: ...

    def finish(self, tables: Iterable[str]) -> None: ...


def _present(table: str, columns: Sequence[str], rows: Sequence[Row]) -> tuple[list[str], Iterable[Row]]:
    """The columns ``table`` has (and the rows cut to them): generated rows may name a dropped one."""
    cols = SQLModel.metadata.tables[table].c
    keep = [i for i, c in enumerate(columns) if c in cols]
    if len(keep) == len(columns):
        return list(columns), rows
    return [columns[i] for i in keep], (tuple(row[i] for i in keep) for row in rows)


def _kinds(table: str, columns: Sequence[str]) -> tuple[list[int], list[int]]:
    """Indexes of the datetime and the date columns of ``columns`` in ``table``."""
    cols = SQLModel.metadata.tables[table].c
    stamps = [i for i, c in enumerate(columns) if isinstance(cols[c].type, UTCDateTime)]
    days = [i for i, c in enumerate(columns) if isinstance(cols[c].type, Date)]
    return stamps, days


# For the load only, on the writer's own connection (given back to the pool as it was, ``finish``):
# no foreign key look-ups (the generator writes parents before children), no fsync per chunk (a
# crashed load is generated again), and a page cache of 256 MiB so that the indexes of the big tables
# are not spilled and read back between chunks. Measured on 5 days of the full size: see docs/managers.md.
_LOAD_PRAGMAS = ("PRAGMA foreign_keys=OFF", "PRAGMA synchronous=OFF", "PRAGMA cache_size=-262144")
_KEPT_PRAGMAS = ("foreign_keys", "synchronous", "cache_size")


class SqliteWriter:
    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        conn: Any = self.raw.driver_connection
        self.conn = conn
        self.kept = [f"PRAGMA {p}={conn.execute(f'PRAGMA {p}').fetchone()[0]}" for p in _KEPT_PRAGMAS]
        for pragma in _LOAD_PRAGMAS:
            conn.execute(pragma)
        self._ddl(drop_statements(dialect_of("sqlite")))
        self.indexes: list[str] | None = None  # the written tables' own indexes, dropped for the load

    def _drop_indexes(self, tables: Iterable[str]) -> None:
        """Drop the named indexes of ``tables`` (kept to create again in ``finish``): one sort per
        index at the end costs a fraction of keeping a dozen B-trees per ticket row by row. The
        indexes of UNIQUE and PRIMARY KEY constraints stay (they have no SQL of their own)."""
        names = list(tables)
        marks = ", ".join("?" * len(names))
        found = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",  # noqa: S608, E501
            names,
        ).fetchall()
        self.indexes = [sql for _name, sql in found]
        self._ddl(f'DROP INDEX "{name}"' for name, _sql in found)

    def _ddl(self, statements: Iterable[str]) -> None:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                cur.execute(statement)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    def write_chunk(self, tables: Mapping[str, tuple[Sequence[str], Sequence[Row]]]) -> None:
        if self.indexes is None:
            self._drop_indexes(tables)
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for table, (named, given) in tables.items():
                if not given:
                    continue
                columns, rows = _present(table, named, given)
                stamps, days = _kinds(table, columns)
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" * len(columns))
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608  (our own table names)
                cur.executemany(sql, _sqlite_rows(rows, stamps, days))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        finally:
            cur.close()

    def finish(self, tables: Iterable[str]) -> None:
        try:
            self._ddl([*(self.indexes or ()), *create_statements(dialect_of("sqlite"))])
        finally:
            for pragma in self.kept:
                self.conn.execute(pragma)
            self.raw.close()


def _sqlite_rows(rows: Iterable[Row], stamps: list[int], days: list[int]) -> Iterator[list[Any]]:
    for row in rows:
        values = list(row)
        for i in stamps:
            v: datetime | None = values[i]
            if v is not None:
                values[i] = v.isoformat(" ", "microseconds")
        for i in days:
            d: date | None = values[i]
            if d is not None:
                values[i] = d.isoformat()
        yield values


class PostgresWriter:
    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        conn: Any = self.raw.driver_connection
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")  # the rows' naive datetimes are UTC
        conn.commit()
        self.conn = conn

    def write_chunk(self, tables: Mapping[str, tuple[Sequence[str], Sequence[Row]]]) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute("SET LOCAL hallq.stats = 'off'")
                for table, (named, given) in tables.items():
                    if not given:
                        continue
                    columns, rows = _present(table, named, given)
                    names = ", ".join(f'"{c}"' for c in columns)
                    with cur.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                        for row in rows:
                            copy.write_row(row)
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise

    def finish(self, tables: Iterable[str]) -> None:
        try:
            with self.conn.cursor() as cur:
                for table in tables:
                    top = f'(SELECT coalesce(max(id), 1) FROM "{table}")'  # noqa: S608  (our own table names)
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), {top})")
                cur.execute("ANALYZE")  # fresh statistics: the planner has just seen millions of rows arrive
            self.conn.commit()
        finally:
            self.raw.close()


@contextlib.contextmanager
def writer_for(engine: Engine) -> Iterator[Writer]:
    writer: SqliteWriter | PostgresWriter
    writer = SqliteWriter(engine) if engine.dialect.name == "sqlite" else PostgresWriter(engine)
    yield writer


def insert_small(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
    """A few hundred rows through SQLAlchemy (the counters): its types, one transaction."""
    values = [dict(zip(columns, row, strict=True)) for row in rows]
    if values:
        with engine.begin() as conn:
            conn.execute(insert(SQLModel.metadata.tables[table]), values)
