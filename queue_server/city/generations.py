"""On the city: each hall's current credential generation, and moving it on (a revocation).

See ``city/credential.py``. The ingest reads the generation once per batch; ``hallq city revoke``
writes it. No row means generation 0 (a hall never revoked).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite

from queue_server.city.batch import hall_id_of
from queue_server.store.tables.city import CITY_CREDENTIAL


def current_generation(conn: Connection, hall: str) -> int | None:
    """The generation a credential of ``hall`` must carry; None when the city has no such hall."""
    hall_id = hall_id_of(conn, hall)
    if hall_id is None:
        return None
    c = CITY_CREDENTIAL.c
    found = conn.execute(select(c.generation).where(c.hall_id == hall_id)).scalar()
    return int(found or 0)


def revoke(conn: Connection, hall: str, now: datetime) -> int | None:
    """Move ``hall``'s generation on (every credential made before stops working); the new one, or
    None when the city has no such hall."""
    hall_id = hall_id_of(conn, hall)
    if hall_id is None:
        return None
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(
        dialect.insert(CITY_CREDENTIAL).values(hall_id=hall_id, generation=0).on_conflict_do_nothing()
    )
    c = CITY_CREDENTIAL.c
    moved = conn.execute(
        update(CITY_CREDENTIAL)
        .where(c.hall_id == hall_id)
        .values(generation=c.generation + 1, revoked_at=now)
        .returning(c.generation)
    ).scalar_one()
    return int(moved)
