"""The city's side of a batch: the hall's row images written into the city's own tables, once.

One transaction per batch, holding the hall's ``city_received`` row (``FOR UPDATE`` on PostgreSQL), so
two deliveries of one batch (a retry after a lost reply, a shipper restarted mid-batch) are applied one
after the other, and the second finds its positions acknowledged already and changes nothing. Within a
batch an image is written only if its version is newer than the one the city holds for that row, so no
order of deliveries takes a row back in time.

The rows are written as the hall's were, by plain INSERT and UPDATE, so the city's statistics triggers
(``stats/triggers.py``) sum them as the hall's summed its own: the city's figures for the hall are the
hall's. References are resolved to the city's rows: catalogue and floor by natural key in the city's
copy of the hall file, shipped rows through ``city_row_map``. A reference nothing resolves refuses the
whole batch (409, nothing written): the hall keeps it and retries, nothing is lost.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Date, Engine, and_, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError, StatementError

from queue_server.city.batch import hall_id_of, table
from queue_server.city.spec import BY_TABLE, NATURAL, ORDER
from queue_server.errors import BadRequestError, HallqError, NotFoundError
from queue_server.protocol.messages import ErrorCode
from queue_server.store.tables.city import CITY_RECEIVED, CITY_ROW_MAP
from queue_server.store.types import UTCDateTime

TableName = Literal["appointment", "ticket", "case_file", "rating", "pause", "window_shift", "event"]


class RowImage(BaseModel):
    t: TableName
    id: int = Field(ge=1, description="the row's id in the hall's database")
    v: dict[str, Any] = Field(description="the row's columns (references by natural key or hall row id)")


class BatchIn(BaseModel):
    """A batch as ``city/batch.py`` reads it on the hall."""

    hall: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    after: int = Field(ge=0, description="the position the hall last had acknowledged")
    last: int = Field(ge=1, description="the newest outbox position the batch covers")
    version: int = Field(ge=1, description="the outbox position the images were read at")
    rows: list[RowImage] = Field(max_length=20_000)


class Applied(BaseModel):
    """The city's answer: its position for the hall (the hall acknowledges up to it)."""

    seq: int
    applied: int
    skipped: int


Mapped = dict[tuple[str, int], tuple[int, int]]  # (table, hall row id) -> (city row id, version)


def _conflict(message: str, **detail: object) -> HallqError:
    """The batch cannot be applied as it is (409): the hall keeps it and retries."""
    return HallqError(message, code=ErrorCode.CONFLICT, **detail)


@dataclass
class _Run:
    conn: Connection
    hall_id: int
    version: int
    natural: dict[str, dict[object, int]]
    mapped: Mapped


def _natural(conn: Connection, hall_id: int) -> dict[str, dict[object, int]]:
    """Each reference table's natural key -> the city's id, for the hall."""
    out: dict[str, dict[object, int]] = {}
    for name, columns in NATURAL.items():
        t = table(name)
        rows = conn.execute(select(t.c.id, *(t.c[c] for c in columns)).where(t.c.hall_id == hall_id)).all()
        out[name] = {(r[1] if len(columns) == 1 else tuple(r[1:])): int(r[0]) for r in rows}
    return out


def _mapped(
    conn: Connection, hall_id: int, wanted: dict[str, set[int]]
) -> dict[tuple[str, int], tuple[int, int]]:
    m = CITY_ROW_MAP.c
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for name, ids in wanted.items():
        rows = conn.execute(
            select(m.hall_row_id, m.row_id, m.version).where(
                m.hall_id == hall_id, m.tbl == name, m.hall_row_id.in_(sorted(ids))
            )
        ).all()
        out.update({(name, int(r[0])): (int(r[1]), int(r[2])) for r in rows})
    return out


def _wanted(rows: list[RowImage]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        wanted[row.t].add(row.id)
        for column, target in BY_TABLE[row.t].refs.items():
            value = row.v.get(column)
            if target in BY_TABLE and value is not None:
                wanted[target].add(int(value))
    return wanted


def _decode(name: str, column: str, value: object) -> object:
    t = table(name)
    if column not in t.c:
        raise _conflict(
            "城市库的表结构与大厅不一致。", table=name, column=column, hint="upgrade the city's hallq"
        )
    kind = t.c[column].type
    if isinstance(value, str) and isinstance(kind, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(value, str) and isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def _natural_id(run: _Run, target: str, value: object, name: str, column: str) -> int:
    key = tuple(value) if isinstance(value, list) else value
    found = run.natural[target].get(key) if isinstance(key, str | int | tuple) else None
    if found is None:
        raise _conflict(
            "城市库中缺少该大厅的基础数据，请先在城市端加载同一大厅文件。",
            table=name,
            column=column,
            missing=target,
            key=str(value),
        )
    return found


def _values(run: _Run, row: RowImage) -> tuple[dict[str, object], list[tuple[str, str, int]]]:
    """The row's columns for the city, and its references to shipped rows not mapped yet."""
    spec = BY_TABLE[row.t]
    values: dict[str, object] = {"hall_id": run.hall_id}
    later: list[tuple[str, str, int]] = []
    for column, raw in row.v.items():
        value = _decode(row.t, column, raw)
        target = spec.refs.get(column)
        if value is not None and target in NATURAL:
            value = _natural_id(run, target, value, row.t, column)
        elif value is not None and target is not None:
            held = run.mapped.get((target, int(str(value))))
            if held is None:
                later.append((column, target, int(str(value))))
            value = None if held is None else held[0]
        elif column in spec.ref_lists and isinstance(value, list):
            value = [_natural_id(run, spec.ref_lists[column], v, row.t, column) for v in value]
        values[column] = value
    return values, later


def _write(run: _Run, row: RowImage) -> list[tuple[str, str, int]]:
    """Insert or update one image (if newer than the city's); the references still to fill."""
    held = run.mapped.get((row.t, row.id))
    if held is not None and held[1] >= run.version:
        return []
    values, later = _values(run, row)
    t, m = table(row.t), CITY_ROW_MAP.c
    if held is None:
        row_id = int(run.conn.execute(insert(t).values(**values).returning(t.c.id)).scalar_one())
        run.conn.execute(
            insert(CITY_ROW_MAP).values(
                hall_id=run.hall_id, tbl=row.t, hall_row_id=row.id, row_id=row_id, version=run.version
            )
        )
    else:
        row_id = held[0]
        run.conn.execute(update(t).where(t.c.id == row_id).values(**values))
        run.conn.execute(
            update(CITY_ROW_MAP)
            .where(and_(m.hall_id == run.hall_id, m.tbl == row.t, m.hall_row_id == row.id))
            .values(version=run.version)
        )
    run.mapped[row.t, row.id] = (row_id, run.version)
    return [(f"{row.t}:{row_id}", column, ref) for column, _target, ref in later]


def _fill(run: _Run, fixes: list[tuple[str, str, int]]) -> None:
    """References to rows written later in the batch (an appointment's ticket)."""
    for where, column, ref in fixes:
        name, row_id = where.split(":")
        target = BY_TABLE[name].refs[column]
        held = run.mapped.get((target, ref))
        if held is None:
            raise _conflict(
                "批次引用了城市尚未收到的记录。", table=name, column=column, missing=target, hall_row_id=ref
            )
        t = table(name)
        run.conn.execute(update(t).where(t.c.id == int(row_id)).values({column: held[0]}))


def _write_all(run: _Run, rows: list[RowImage]) -> int:
    """Every image of the batch written (those newer than the city's); how many were."""
    fixes: list[tuple[str, str, int]] = []
    applied = 0
    try:
        for row in rows:
            before = run.mapped.get((row.t, row.id))
            fixes += _write(run, row)
            applied += run.mapped.get((row.t, row.id)) != before
        _fill(run, fixes)
    except (ValueError, TypeError) as exc:  # a value of the wrong kind: the batch is not as a hall reads it
        raise BadRequestError("批次数据格式无效。", reason=str(exc)[:200]) from None
    except OperationalError:
        raise  # the database itself: the problem handlers answer 503
    except StatementError as exc:  # a constraint or a type the city's database refuses
        raise _conflict("城市库无法写入该批次。", reason=str(exc.orig or exc)[:300]) from None
    return applied


def _received(conn: Connection, hall_id: int) -> int:
    r = CITY_RECEIVED.c
    statement = select(r.seq).where(r.hall_id == hall_id)
    if conn.dialect.name == "postgresql":
        statement = statement.with_for_update()
    found = conn.execute(statement).scalar()
    if found is None:
        # The hall's first batch; ON CONFLICT: a second delivery racing it waits on the row instead.
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        conn.execute(
            dialect.insert(CITY_RECEIVED).values(hall_id=hall_id, seq=0, rows=0).on_conflict_do_nothing()
        )
        found = conn.execute(statement).scalar()
    return int(found or 0)


def apply_batch(engine: Engine, batch: BatchIn, now: datetime) -> Applied:
    """Write ``batch`` into the city's tables in one transaction; the city's position afterwards."""
    with engine.begin() as conn:
        hall_id = hall_id_of(conn, batch.hall)
        if hall_id is None:
            raise NotFoundError("城市库中没有该大厅。", hall=batch.hall)
        held = _received(conn, hall_id)
        if batch.last <= held:
            return Applied(seq=held, applied=0, skipped=len(batch.rows))
        if batch.after > held:
            # Positions between the city's and the batch's start were never applied here.
            raise _conflict("城市库缺少该大厅此前的批次。", held=held, after=batch.after)
        rows = sorted(batch.rows, key=lambda r: (ORDER[r.t], r.id))
        run = _Run(
            conn, hall_id, batch.version, _natural(conn, hall_id), _mapped(conn, hall_id, _wanted(rows))
        )
        applied = _write_all(run, rows)
        r = CITY_RECEIVED.c
        conn.execute(
            update(CITY_RECEIVED)
            .where(r.hall_id == hall_id)
            .values(seq=batch.last, received_at=now, rows=r.rows + applied, last_error=None)
        )
        return Applied(seq=batch.last, applied=applied, skipped=len(rows) - applied)
