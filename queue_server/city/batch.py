"""The hall's side of a batch: the next changes read as row images, and the city's acknowledgement.

A batch is read in one read transaction (one snapshot of the hall's database): the outbox rows after
the acknowledged position, at most ``limit`` of them, and the current image of every row they name.
Every image is the row as of the snapshot, whose position is the outbox's newest (``version``): a later
change of the row appends a later position, so the city applies an image only if its version is newer
than the one it holds, and a replayed or late batch can never take a row back in time.

A row may name a shipped row whose outbox rows lie after the batch (an appointment updated to point at
the ticket its check-in made, both after the batch's end): that row's image is added too, so the city
can resolve every reference from the batch and what it already holds ("closure").
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, insert, select, text, update
from sqlmodel import SQLModel

from queue_server.city.spec import BY_TABLE, NATURAL, Shipped
from queue_server.store.engine import reader
from queue_server.store.tables.city import CITY_OUTBOX, CITY_SHIPPED

Image = dict[str, Any]  # {"t": table, "id": the hall's row id, "v": {column: JSON value}}


@dataclass(frozen=True)
class Batch:
    """What one POST carries: the positions after ``after`` up to ``last``, images as of ``version``."""

    hall: str
    after: int
    last: int
    version: int
    rows: list[Image]
    count: int = 0  # outbox rows covered (several changes of one row make one image)

    def payload(self) -> dict[str, Any]:
        return {
            "hall": self.hall,
            "after": self.after,
            "last": self.last,
            "version": self.version,
            "rows": self.rows,
        }


def table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _json(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def hall_id_of(conn: Connection, code: str) -> int | None:
    found = conn.execute(text("SELECT id FROM hall WHERE code = :c"), {"c": code}).scalar()
    return None if found is None else int(found)


def acked(conn: Connection, hall_id: int) -> int:
    found = conn.execute(select(CITY_SHIPPED.c.acked_seq).where(CITY_SHIPPED.c.hall_id == hall_id)).scalar()
    return int(found or 0)


def natural_keys(conn: Connection, hall_id: int) -> dict[str, dict[int, object]]:
    """Each reference table's ids of the hall -> their natural key (a value, or a list of values)."""
    keys: dict[str, dict[int, object]] = {}
    for name, columns in NATURAL.items():
        t = table(name)
        rows = conn.execute(select(t.c.id, *(t.c[c] for c in columns)).where(t.c.hall_id == hall_id)).all()
        keys[name] = {int(r[0]): (r[1] if len(columns) == 1 else list(r[1:])) for r in rows}
    return keys


def _image(spec: Shipped, row: dict[str, Any], keys: dict[str, dict[int, object]]) -> Image:
    values: dict[str, Any] = {}
    for column, value in row.items():
        if column in ("id", "hall_id"):
            continue
        if column in spec.blank:
            value = spec.blank[column]
        elif column in spec.digest and value is not None:
            value = hashlib.sha256(str(value).encode()).hexdigest()
        elif column in spec.refs and value is not None and spec.refs[column] in NATURAL:
            value = keys[spec.refs[column]][int(value)]
        elif column in spec.ref_lists and value:
            value = [keys[spec.ref_lists[column]][int(v)] for v in value]
        values[column] = _json(value)
    return {"t": spec.table, "id": int(row["id"]), "v": values}


def _read_rows(conn: Connection, name: str, ids: set[int]) -> list[dict[str, Any]]:
    t = table(name)
    statement = select(t).where(t.c.id.in_(bindparam("ids", expanding=True))).order_by(t.c.id)
    return [dict(r._mapping) for r in conn.execute(statement, {"ids": sorted(ids)})]


def _pending_after(conn: Connection, hall_id: int, name: str, ids: set[int], last: int) -> set[int]:
    statement = text(
        "SELECT DISTINCT row_id FROM city_outbox WHERE hall_id = :h AND tbl = :t AND seq > :last "
        "AND row_id IN :ids"
    ).bindparams(bindparam("ids", expanding=True))
    rows = conn.execute(statement, {"h": hall_id, "t": name, "last": last, "ids": sorted(ids)})
    return {int(r[0]) for r in rows}


def _referenced(images: list[Image]) -> dict[str, set[int]]:
    named: dict[str, set[int]] = defaultdict(set)
    for image in images:
        spec = BY_TABLE[image["t"]]
        for column, target in spec.refs.items():
            value = image["v"].get(column)
            if target in BY_TABLE and value is not None:
                named[target].add(int(value))
    return named


def read_batch(engine: Engine, code: str, limit: int) -> Batch | None:
    """The next batch of the hall ``code`` (None: nothing waits)."""
    with reader(engine).connect() as conn, conn.begin():
        hall_id = hall_id_of(conn, code)
        if hall_id is None:
            return None
        after = acked(conn, hall_id)
        o = CITY_OUTBOX.c
        entries = conn.execute(
            select(o.seq, o.tbl, o.row_id)
            .where(o.hall_id == hall_id, o.seq > after)
            .order_by(o.seq)
            .limit(limit)
        ).all()
        if not entries:
            return None
        last = int(entries[-1][0])
        version = int(conn.execute(text("SELECT MAX(seq) FROM city_outbox")).scalar() or last)
        keys = natural_keys(conn, hall_id)
        wanted: dict[str, set[int]] = defaultdict(set)
        for _seq, name, row_id in entries:
            wanted[str(name)].add(int(row_id))
        images: list[Image] = []
        todo = dict(wanted)
        while todo:
            fresh = [
                _image(BY_TABLE[name], row, keys)
                for name, ids in todo.items()
                for row in _read_rows(conn, name, ids)
            ]
            images += fresh
            todo = {}
            for name, ids in _referenced(fresh).items():
                missing = ids - wanted[name]
                extra = _pending_after(conn, hall_id, name, missing, last) if missing else set()
                if extra:
                    wanted[name] |= extra
                    todo[name] = extra
        return Batch(code, after, last, version, images, len(entries))


def acknowledge(engine: Engine, code: str, seq: int, now: datetime) -> int:
    """Record that the city holds everything up to ``seq``; drop those outbox rows. Returns how many
    outbox rows of the hall are still waiting."""
    with engine.begin() as conn:
        hall_id = hall_id_of(conn, code)
        if hall_id is None:
            return 0
        conn.execute(delete(CITY_OUTBOX).where(CITY_OUTBOX.c.hall_id == hall_id, CITY_OUTBOX.c.seq <= seq))
        s = CITY_SHIPPED.c
        done = conn.execute(
            update(CITY_SHIPPED)
            .where(s.hall_id == hall_id, s.acked_seq <= seq)
            .values(acked_seq=seq, acked_at=now)
        ).rowcount
        if not done and conn.execute(select(s.hall_id).where(s.hall_id == hall_id)).first() is None:
            conn.execute(insert(CITY_SHIPPED).values(hall_id=hall_id, acked_seq=seq, acked_at=now))
        return _count(conn, hall_id)


def _count(conn: Connection, hall_id: int) -> int:
    found = conn.execute(text("SELECT COUNT(*) FROM city_outbox WHERE hall_id = :h"), {"h": hall_id}).scalar()
    return int(found or 0)


def waiting(engine: Engine, code: str) -> int:
    """Outbox rows of the hall ``code`` the city has not acknowledged."""
    with reader(engine).connect() as conn, conn.begin():
        hall_id = hall_id_of(conn, code)
        return 0 if hall_id is None else _count(conn, hall_id)
