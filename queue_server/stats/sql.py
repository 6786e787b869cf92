"""The SQL of a rollup, built from its ``Rollup`` description: one statement adds the contributions of
some source rows (each with a ``sign``: +1 added, -1 taken away) to the rollup rows, creating them as
needed. The triggers feed it the changed row (``NEW`` with +1, ``OLD`` with -1); the rebuild feeds it
a range of source rows.
"""

from __future__ import annotations

from queue_server.stats.dialect import Dialect
from queue_server.stats.rollups import Rollup


def levels(rollup: Rollup, d: Dialect, source: str) -> str:
    """``source`` with the rollup's derived columns added, level by level."""
    sql = source
    for level in rollup.derived:
        exprs = ", ".join(f"{expr(d)} AS {name}" for name, expr in level)
        sql = f"SELECT s.*, {exprs} FROM ({sql}) AS s{d.fence}"
    return sql


def _key_exprs(rollup: Rollup, d: Dialect) -> list[str]:
    keys = []
    for name, _type, expr in rollup.keys:
        if name == "dim_key":
            cases = " ".join(f"WHEN '{dim}' THEN {key(d)}" for dim, key in rollup.dims)
            keys.append(f"CASE dm.dim {cases} END AS dim_key")
        else:
            keys.append(f"{expr(d)} AS {name}")
    return keys


def contributions(rollup: Rollup, d: Dialect, source: str) -> str:
    """SELECT the rollup's key columns and measures summed over ``source`` (rows of the source table's
    ``columns`` plus ``sign``)."""
    keys = _key_exprs(rollup, d)
    measures = ", ".join(f"SUM(s.sign * ({expr(d)})) AS {name}" for name, expr in rollup.measures)
    dims = ""
    if rollup.dims:
        values = " UNION ALL ".join(f"SELECT '{dim}' AS dim" for dim, _ in rollup.dims)
        dims = f" CROSS JOIN ({values}) AS dm"
    positions = ", ".join(str(i) for i in range(1, len(keys) + 1))
    return (
        f"SELECT {', '.join(keys)}, {measures} FROM ({levels(rollup, d, source)}) AS s{dims} "
        f"GROUP BY {positions}"
    )


def upsert(rollup: Rollup, d: Dialect, source: str, *, day_range: bool = False) -> str:
    """Add the contributions of ``source`` to the rollup table (``day_range``: only to the rows of days
    :day_lo..:day_hi, for a rebuild of a range)."""
    keys = [name for name, _type, _expr in rollup.keys]
    names = [*keys, *rollup.measure_names]
    where = f"a.{rollup.day} BETWEEN :day_lo AND :day_hi" if day_range else "1 = 1"
    sets = ", ".join(f"{m} = {rollup.table}.{m} + excluded.{m}" for m in rollup.measure_names)
    return (
        f"INSERT INTO {rollup.table} ({', '.join(names)}) "
        f"SELECT {', '.join(f'a.{n}' for n in names)} FROM ({contributions(rollup, d, source)}) AS a "
        f"WHERE {where} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
    )


def row_source(rollup: Rollup, *rows: tuple[str, int]) -> str:
    """The trigger's source: the row ``NEW`` or ``OLD`` (or both) with its sign."""
    return " UNION ALL ".join(
        "SELECT " + ", ".join(f"{row}.{col} AS {col}" for col in rollup.columns) + f", {sign} AS sign"
        for row, sign in rows
    )


def table_source(rollup: Rollup, d: Dialect) -> str:
    """The rebuild's source: the hall's source rows passing the rollup's cheap pre-filter."""
    conditions = ["hall_id = :hall_id"]
    if rollup.rebuild_filter is not None:
        conditions.append(rollup.rebuild_filter(d))
    if rollup.when is not None:
        column, value = rollup.when
        conditions.append(f"{column} = '{value}'")
    return (
        f"SELECT {', '.join(rollup.columns)}, 1 AS sign FROM {rollup.source} WHERE {' AND '.join(conditions)}"
    )
