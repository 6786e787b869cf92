"""The triggers that keep every rollup exact, in the transaction of each change to its source rows.

Triggers rather than a hook in the services: every writer is covered by construction (the use cases,
hall loads, a manual fix in SQL, a bulk load), as ``queue_length`` already is (migration 0004). A ticket
issue costs one trigger run: one INSERT … ON CONFLICT statement, inside the database, adding the new
ticket's row to the one rollup row of each dim. An update subtracts the old row and adds the new one in
the same statement. The update trigger fires only when a column the rollup reads is set.
On PostgreSQL a fresh ticket's insert is added at commit, once per transaction for all of them
(``stats/fold.py``, migration 0017).

PostgreSQL bulk loads may skip them for a transaction with ``SET LOCAL hallq.stats = 'off'`` and must
then run ``hallq stats rebuild`` over the days they wrote (benchmarks/year does).
"""

from __future__ import annotations

from sqlalchemy import Connection

from queue_server.stats import months
from queue_server.stats.dialect import SQLITE, Dialect
from queue_server.stats.fold import drop_fold_statements, fold_statements, pending_append
from queue_server.stats.rollups import ROLLUPS, Rollup
from queue_server.stats.sql import row_source, upsert

NEW = ("NEW", 1)
OLD = ("OLD", -1)


def _sqlite(rollup: Rollup, d: Dialect) -> list[str]:
    t = rollup.table
    insert = upsert(rollup, d, row_source(rollup, NEW))
    if rollup.when is not None:
        column, value = rollup.when
        return [
            f"CREATE TRIGGER {t}_insert AFTER INSERT ON {rollup.source} WHEN NEW.{column} = '{value}' "
            f"BEGIN {insert}; END"
        ]
    watched = ", ".join(rollup.columns)
    inserts = [f"CREATE TRIGGER {t}_insert AFTER INSERT ON {rollup.source} BEGIN {insert}; END"]
    if rollup.fresh_when is not None:
        fresh = upsert(rollup.fresh(), d, row_source(rollup, NEW))
        inserts = [
            f"CREATE TRIGGER {t}_insert AFTER INSERT ON {rollup.source} WHEN NOT ({rollup.fresh_when}) "
            f"BEGIN {insert}; END",
            f"CREATE TRIGGER {t}_insert_fresh AFTER INSERT ON {rollup.source} WHEN {rollup.fresh_when} "
            f"BEGIN {fresh}; END",
        ]
    return [
        *inserts,
        f"CREATE TRIGGER {t}_update AFTER UPDATE OF {watched} ON {rollup.source} "
        f"BEGIN {upsert(rollup, d, row_source(rollup, OLD, NEW))}; END",
        f"CREATE TRIGGER {t}_delete AFTER DELETE ON {rollup.source} "
        f"BEGIN {upsert(rollup, d, row_source(rollup, OLD))}; END",
    ]


def _postgresql(rollup: Rollup, d: Dialect, fold: bool = True) -> list[str]:
    t = rollup.table
    fresh = ""
    if rollup.fresh_when is not None:
        # Added at commit, once per transaction (stats/fold.py); ``fold=False``: at once, per row.
        fresh_insert = pending_append(rollup) if fold else upsert(rollup.fresh(), d, row_source(rollup, NEW))
        fresh = f"    IF TG_OP = 'INSERT' AND {rollup.fresh_when} THEN {fresh_insert}; RETURN NULL; END IF;\n"
    function = (
        f"CREATE FUNCTION {t}_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "    IF current_setting('hallq.stats', true) = 'off' THEN RETURN NULL; END IF;\n"
        f"{fresh}"
        f"    IF TG_OP = 'INSERT' THEN {upsert(rollup, d, row_source(rollup, NEW))};\n"
        f"    ELSIF TG_OP = 'DELETE' THEN {upsert(rollup, d, row_source(rollup, OLD))};\n"
        f"    ELSE {upsert(rollup, d, row_source(rollup, OLD, NEW))};\n"
        "    END IF;\n"
        "    RETURN NULL;\n"
        "END\n$$"
    )
    run = f"FOR EACH ROW EXECUTE FUNCTION {t}_apply()"
    if rollup.when is not None:
        column, value = rollup.when
        return [
            function,
            f"CREATE TRIGGER {t}_insert AFTER INSERT ON {rollup.source} "
            f"FOR EACH ROW WHEN (NEW.{column} = '{value}') EXECUTE FUNCTION {t}_apply()",
        ]
    folds = fold_statements(rollup, d) if fold and rollup.fresh_when is not None else []
    return [
        *folds,
        function,
        f"CREATE TRIGGER {t}_insert_delete AFTER INSERT OR DELETE ON {rollup.source} {run}",
        f"CREATE TRIGGER {t}_update AFTER UPDATE OF {', '.join(rollup.columns)} ON {rollup.source} {run}",
    ]


def rollup_statements(rollup: Rollup, d: Dialect, *, fold: bool = True) -> list[str]:
    """One rollup's trigger DDL (a migration adding a rollup creates just its own); ``fold=False``:
    PostgreSQL's fresh inserts added per row, as before migration 0017 (stats/fold.py)."""
    return _postgresql(rollup, d, fold) if d.pg else _sqlite(rollup, d)


def create_statements(d: Dialect) -> list[str]:
    """Every rollup's trigger DDL for one database, and its month layer's (``stats/months.py``)."""
    rollups = [statement for rollup in ROLLUPS for statement in rollup_statements(rollup, d)]
    return [*rollups, *months.trigger_statements(d)]


def ensure(conn: Connection) -> list[str]:
    """Re-create the SQLite triggers a table copy dropped (alembic's batch mode drops a table's
    triggers with it); returns their names. Run at the end of every migration run
    (``store/migrate.py``): nothing changed the tables between the copy and here, so the rollups stay
    exact. PostgreSQL alters tables in place and keeps its triggers."""
    if conn.dialect.name != "sqlite":
        return []
    tables = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not all(rollup.table in tables for rollup in ROLLUPS):
        return []  # before migration 0006
    present = {
        row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    statements = create_statements(SQLITE)
    if months.MARKERS not in tables:  # a database made before the month layer, not yet at 0018
        statements = [s for s in statements if s not in months.trigger_statements(SQLITE)]
    made = []
    for statement in statements:
        name = statement.split()[2]
        if name not in present:
            conn.exec_driver_sql(statement)
            made.append(name)
    return made


def drop_statements(d: Dialect) -> list[str]:
    statements = []
    for rollup in ROLLUPS:
        t = rollup.table
        if d.pg:
            statements.append(f"DROP FUNCTION IF EXISTS {t}_apply() CASCADE")
            statements += drop_fold_statements(rollup)
        else:
            ops = ("insert", "insert_fresh", "update", "delete")
            statements += [f"DROP TRIGGER IF EXISTS {t}_{op}" for op in ops]
    return [*statements, *months.drop_trigger_statements(d)]
