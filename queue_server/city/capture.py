"""The hall's outbox, written by triggers in the transaction of each change (SQLite: the appliance).

Triggers rather than a hook in the services, as for the statistics (``stats/triggers.py``): every
writer is covered by construction (use cases, hall loads, retention, a fix in SQL). One trigger per
table and operation appends (hall, table, row id, time); the shipper reads the row itself when it
ships, so an outbox row is ~30 bytes. PostgreSQL gets none: a hall on PostgreSQL is city-hosted and
already in the city's database. Rows are never deleted from the shipped tables (history is kept), so
no delete is captured.
"""

from __future__ import annotations

from sqlalchemy import Connection

from queue_server.city.spec import SHIPPED

_NOW_S = "CAST(strftime('%s', 'now') AS INTEGER)"


def _name(table: str, op: str) -> str:
    return f"city_outbox_{table}_{op}"


def create_statements() -> list[str]:
    """The SQLite triggers that append to ``city_outbox``."""
    statements = []
    for shipped in SHIPPED:
        t = shipped.table
        for op in ("insert", "update"):
            statements.append(
                f"CREATE TRIGGER {_name(t, op)} AFTER {op.upper()} ON {t} BEGIN "
                f"INSERT INTO city_outbox (hall_id, tbl, row_id, at_s) "
                f"VALUES (NEW.hall_id, '{t}', NEW.id, {_NOW_S}); END"
            )
    return statements


def drop_statements() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {_name(s.table, op)}" for s in SHIPPED for op in ("insert", "update")]


def backfill_statements() -> list[str]:
    """Every existing row of the shipped tables into the outbox (a hall's history before the link),
    oldest table first, in row order."""
    return [
        f"INSERT INTO city_outbox (hall_id, tbl, row_id, at_s) "
        f"SELECT hall_id, '{s.table}', id, {_NOW_S} FROM {s.table} ORDER BY id"
        for s in SHIPPED
    ]


def ensure(conn: Connection) -> list[str]:
    """Re-create the SQLite outbox triggers a table copy dropped (alembic's batch mode drops a table's
    triggers with it, as ``stats.triggers.ensure`` says); returns their names."""
    if conn.dialect.name != "sqlite":
        return []
    tables = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "city_outbox" not in tables:
        return []  # before migration 0019
    present = {
        row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    made = []
    for statement in create_statements():
        name = statement.split()[2]
        if name not in present:
            conn.exec_driver_sql(statement)
            made.append(name)
    return made
