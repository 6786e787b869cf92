"""The hall's outbox, written by triggers in the transaction of each change (SQLite: the appliance).

Triggers rather than a hook in the services, as for the statistics (``stats/triggers.py``): every
writer is covered by construction (use cases, hall loads, retention, a fix in SQL). One trigger per
table and operation appends (hall, table, row id, time); the shipper reads the row itself when it
ships, so an outbox row is ~30 bytes. PostgreSQL gets none: a hall on PostgreSQL is city-hosted and
already in the city's database. Rows are never deleted from the shipped tables (history is kept), so
no delete is captured.

Only a hall linked to a city pays for it: the triggers exist only while ``city_link`` holds a hall
(``link``, called by ``hallq server`` started with ``city_url``; ``unlink`` when started without), so
an appliance without a city runs no trigger at all; where they exist their ``WHEN`` keeps the halls
of the database that are not linked out. Linking seeds the hall's history into the outbox once, in
the transaction that creates the triggers, so nothing falls between the two and the city ends exact
(its apply is idempotent by row version: a row it already holds is written again with the same values).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, insert, text

from queue_server.city.spec import SHIPPED
from queue_server.store.tables.city import CITY_LINK

_NOW_S = "CAST(strftime('%s', 'now') AS INTEGER)"
LINKED = "NEW.hall_id IN (SELECT hall_id FROM city_link)"


def _name(table: str, op: str) -> str:
    return f"city_outbox_{table}_{op}"


def create_statements() -> list[str]:
    """The SQLite triggers that append to ``city_outbox`` for the linked halls."""
    statements = []
    for shipped in SHIPPED:
        t = shipped.table
        for op in ("insert", "update"):
            statements.append(
                f"CREATE TRIGGER {_name(t, op)} AFTER {op.upper()} ON {t} WHEN {LINKED} BEGIN "
                f"INSERT INTO city_outbox (hall_id, tbl, row_id, at_s) "
                f"VALUES (NEW.hall_id, '{t}', NEW.id, {_NOW_S}); END"
            )
    return statements


def drop_statements() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {_name(s.table, op)}" for s in SHIPPED for op in ("insert", "update")]


def seed_statements() -> list[str]:
    """Every existing row of one hall (``:h``) of the shipped tables into the outbox (its history
    before the link), oldest table first, in row order."""
    return [
        f"INSERT INTO city_outbox (hall_id, tbl, row_id, at_s) "
        f"SELECT hall_id, '{s.table}', id, {_NOW_S} FROM {s.table} WHERE hall_id = :h ORDER BY id"
        for s in SHIPPED
    ]


def _names(conn: Connection, kind: str) -> set[str]:
    found = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    return {str(row[0]) for row in found}


def _any_linked(conn: Connection) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM city_link LIMIT 1").first() is not None


def ensure(conn: Connection) -> list[str]:
    """The outbox triggers as ``city_link`` says: created (re-created after a table copy: alembic's
    batch mode drops a table's triggers with it, as ``stats.triggers.ensure`` says) while a hall is
    linked, dropped while none is. Returns the names created."""
    if conn.dialect.name != "sqlite" or "city_link" not in _names(conn, "table"):
        return []  # city-hosted, or before migration 0021
    present = _names(conn, "trigger")
    if not _any_linked(conn):
        for statement in drop_statements():
            if statement.split()[-1] in present:
                conn.exec_driver_sql(statement)
        return []
    made = []
    for statement in create_statements():
        name = statement.split()[2]
        if name not in present:
            conn.exec_driver_sql(statement)
            made.append(name)
    return made


def link(engine: Engine, hall_id: int, now: datetime) -> int | None:
    """Link the hall ``hall_id`` to a city: its history into the outbox, the triggers on, in one
    transaction. Returns how many outbox rows the history made; None when it was linked already
    (nothing done: linking is idempotent)."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM city_link WHERE hall_id = :h"), {"h": hall_id}).first():
            ensure(conn)
            return None
        seeded = sum(conn.execute(text(s), {"h": hall_id}).rowcount for s in seed_statements())
        conn.execute(insert(CITY_LINK).values(hall_id=hall_id, linked_at=now, seeded=seeded))
        ensure(conn)
        return seeded


def unlink(engine: Engine, hall_id: int) -> bool:
    """The hall no longer linked: its outbox emptied, the triggers gone once no hall is linked.
    A later ``link`` seeds the whole history again. Returns whether it was linked."""
    with engine.begin() as conn:
        was = conn.execute(text("DELETE FROM city_link WHERE hall_id = :h"), {"h": hall_id}).rowcount
        conn.execute(text("DELETE FROM city_outbox WHERE hall_id = :h"), {"h": hall_id})
        ensure(conn)
        return bool(was)


def configure(engine: Engine, code: str, city: bool, now: datetime) -> int | None:
    """At ``hallq server``'s start on SQLite: the hall ``code`` linked when the settings name a city
    (its history seeded the first time: the outbox rows it made), unlinked when they do not."""
    # Here, not at the top: batch imports the store package, whose migrate module imports this one.
    from queue_server.city.batch import hall_id_of

    with engine.connect() as conn:
        hall_id = hall_id_of(conn, code)
    if hall_id is None:
        return None  # no such hall loaded yet: the server reports that itself
    if city:
        return link(engine, hall_id, now)
    unlink(engine, hall_id)
    return None
