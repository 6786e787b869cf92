"""Gap-free counters: ONE atomic ``UPDATE … RETURNING value`` (the row inserted first if missing).

Runs inside the caller's transaction, so a rolled-back issue gives its number back (no gaps) and the
counter row stays locked until commit: concurrent issuers of the same service and day queue on it
(PostgreSQL row lock; SQLite's single writer), which also serialises the checks made after it.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Table, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from queue_server.store.prepared import Prepared
from queue_server.store.tables import HallSequence, SlotCounter, TicketCounter

CALLS = "calls"


def _bump(session: Session, table: Table, keys: dict[str, Any]) -> int:
    insert, bump = _statements(session.get_bind().dialect.name, table.name, tuple(keys))
    params = {f"k_{name}": value for name, value in keys.items()}
    conn = session.connection()  # prebuilt statements: the Session's ORM layer adds nothing here
    # The row exists but for the first bump of a day: try the bump alone, insert only when it found none.
    value = bump.scalar(conn, params)
    if value is None:
        insert.run(conn, params)
        value = bump.scalar(conn, params)
    return int(value)


@lru_cache(maxsize=32)
def _statements(dialect: str, table_name: str, keys: tuple[str, ...]) -> tuple[Prepared, Prepared]:
    """The insert-if-missing and the bump of one counter table, built once (bound parameters)."""
    table = SQLModel.metadata.tables[table_name]
    # Bound parameter names must differ from column names in INSERT/UPDATE statements.
    values: dict[str, Any] = {name: bindparam(f"k_{name}") for name in keys}
    module = postgresql if dialect == "postgresql" else sqlite
    insert = module.insert(table).values(**values, value=0).on_conflict_do_nothing()
    bump = (
        update(table)
        .where(*(table.c[name] == bindparam(f"k_{name}") for name in keys))
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    )
    return Prepared(insert), Prepared(bump)


def next_ticket_seq(session: Session, hall_id: int, service_id: int, day: date) -> int:
    """The next ticket number of a service on a day (1, 2, …): unique and gap-free."""
    return _bump(session, _table(TicketCounter), {"hall_id": hall_id, "service_id": service_id, "day": day})


def give_back_ticket_seq(session: Session, hall_id: int, service_id: int, day: date) -> None:
    """Undo this transaction's last ``next_ticket_seq`` of the service and day, without a rollback.

    For a use case that refuses after numbering and must leave nothing behind (batched issues run
    without a savepoint): the row is still locked by our bump, so nobody numbered in between.
    """
    keys = (("hall_id", hall_id), ("service_id", service_id), ("day", day))
    table = _table(TicketCounter)
    session.connection().execute(
        update(table).where(*(table.c[name] == value for name, value in keys)).values(value=table.c.value - 1)
    )


def next_hall_seq(session: Session, hall_id: int, name: str = CALLS) -> int:
    """The next value of a hall-wide sequence that never resets (call ``seq``, case numbers)."""
    return _bump(session, _table(HallSequence), {"hall_id": hall_id, "name": name})


def current_hall_seq(session: Session, hall_id: int, name: str = CALLS) -> int:
    row = session.get(HallSequence, (hall_id, name))
    return 0 if row is None else row.value


def book_slot(session: Session, hall_id: int, service_id: int, day: date, half: str) -> int:
    """Count one more booking of a service's half-day; the caller refuses beyond capacity."""
    keys = {"hall_id": hall_id, "service_id": service_id, "day": day, "half": half}
    return _bump(session, _table(SlotCounter), keys)


def _table(model: type[SQLModel]) -> Table:
    return SQLModel.metadata.tables[str(model.__tablename__)]


def sequence_ids(conn: Connection, table: str, column: str, count: int) -> list[int]:
    """``count`` new values of a PostgreSQL serial column's sequence, ascending, in one round trip
    (ids for rows inserted later in the transaction; unused ones are gaps, as after a rollback)."""
    return sorted(int(row[0]) for row in _SEQUENCE_IDS.rows(conn, {"t": table, "c": column, "n": count}))


_SEQUENCE_IDS = Prepared(
    sa.select(
        sa.func.nextval(sa.func.pg_get_serial_sequence(sa.bindparam("t"), sa.bindparam("c")))
    ).select_from(sa.func.generate_series(1, sa.bindparam("n")))
)
