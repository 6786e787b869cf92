"""The rebuild of a rollup with dims (``stats_ticket``), in stages rather than in one statement.

One statement (what a trigger runs) would cross every ticket with every dim and sum ~90 columns over
seven times as many rows, each histogram column a CASE: about 4.5 minutes for 2 million tickets. In
stages: each ticket's keys, measures and bucket numbers are computed once into a temporary table; per
dim, one GROUP BY sums the plain measures, and each histogram is a count per (key, bucket), turned into
its columns over those few rows. Same SQL expressions as the triggers (``stats/sql.py``), so the same
sums: ``tests/stats/test_rollups_property.py`` compares them.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.sql.elements import TextClause

from queue_server.stats.buckets import BUCKETS
from queue_server.stats.dialect import Dialect
from queue_server.stats.rollups import Rollup, hist_columns
from queue_server.stats.sql import levels, table_source

STAGE = "stats_stage"


def _hist_names(rollup: Rollup) -> set[str]:
    return {name for prefix, _bucket in rollup.hist for name in hist_columns(prefix)}


def _stage(rollup: Rollup, d: Dialect) -> str:
    plain = [(n, e) for n, e in rollup.measures if n not in _hist_names(rollup)]
    columns = [
        "s.hall_id AS hall_id",
        f"s.{rollup.day} AS {rollup.day}",
        *(f"{key(d)} AS k_{dim}" for dim, key in rollup.dims),
        *(f"s.sign * ({expr(d)}) AS {name}" for name, expr in plain),
        *(f"s.{bucket} AS {bucket}" for _prefix, bucket in rollup.hist),
    ]
    return f"SELECT {', '.join(columns)} FROM ({levels(rollup, d, table_source(rollup, d))}) AS s"


def _literal(conn: Connection, statement: TextClause) -> str:
    # PostgreSQL takes no parameters in CREATE TABLE … AS: the range goes in as literals (ints, dates).
    return str(statement.compile(conn, compile_kwargs={"literal_binds": True}))


def rebuild_dims(conn: Connection, rollup: Rollup, d: Dialect, stage: TextClause) -> None:
    """Fill the (already emptied) rows of a dims rollup from ``stage``: ``stage_statement`` with its
    parameters bound."""
    create = "CREATE TEMP TABLE" + (f" {STAGE} ON COMMIT DROP AS " if d.pg else f" {STAGE} AS ")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {STAGE}")
    conn.exec_driver_sql(create + _literal(conn, stage))
    day = rollup.day
    plain = [n for n in rollup.measure_names if n not in _hist_names(rollup)]
    for dim, _key in rollup.dims:
        names = ", ".join(plain)
        sums = ", ".join(f"SUM({n})" for n in plain)
        conn.exec_driver_sql(
            f"INSERT INTO {rollup.table} (hall_id, dim, {day}, dim_key, {names}) "
            f"SELECT hall_id, '{dim}', {day}, k_{dim}, {sums} FROM {STAGE} GROUP BY hall_id, {day}, k_{dim}"
        )
        for prefix, bucket in rollup.hist:
            columns = hist_columns(prefix)
            pivot = ", ".join(f"SUM(CASE WHEN b = {i} THEN n ELSE 0 END)" for i in range(BUCKETS))
            sets = ", ".join(f"{c} = excluded.{c}" for c in columns)
            conn.exec_driver_sql(
                f"INSERT INTO {rollup.table} (hall_id, dim, {day}, dim_key, {', '.join(columns)}) "
                f"SELECT hall_id, '{dim}', {day}, k, {pivot} FROM ("
                f"SELECT hall_id, {day}, k_{dim} AS k, {bucket} AS b, COUNT(*) AS n FROM {STAGE} "
                f"WHERE {bucket} IS NOT NULL GROUP BY hall_id, {day}, k_{dim}, {bucket}) AS g "
                f"WHERE 1 = 1 GROUP BY hall_id, {day}, k "
                f"ON CONFLICT (hall_id, dim, {day}, dim_key) DO UPDATE SET {sets}"
            )
    if not d.pg:
        conn.exec_driver_sql(f"DROP TABLE {STAGE}")


def stage_statement(rollup: Rollup, d: Dialect) -> str:
    """Each source row of the range (``table_source``) with its key in each dim, its plain measures and
    its bucket numbers."""
    return _stage(rollup, d)
