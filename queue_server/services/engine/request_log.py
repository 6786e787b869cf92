"""The request log: each request id's use case and reply, kept so a retried request changes nothing.

A use case with a request id claims it by inserting its row before doing anything (a concurrent
duplicate stops on the unique (hall, request id)), and stores its reply in the same transaction as its
change; a duplicate then gets the stored reply back (see ``runner.py``). Statements are compiled once
(``Prepared``): they run on every ticket.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlmodel import SQLModel

from queue_server.errors import HallqError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.group_commit import Write
from queue_server.services.engine.tx import Tx, pk
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Hall, RequestLog

R = TypeVar("R", bound=BaseModel)

# (the use case's name, its reply as JSON)
Stored = tuple[str, Any]


def stored_reply(conn: Connection, hall_id: int, request_id: str) -> Stored | None:
    row = _STORED.first(conn, {"hall_id": hall_id, "request_id": request_id})
    return None if row is None else (row[0], row[1])


def claim(tx: Tx, request_id: str, op: str) -> None:
    # The unique (hall, request id) row: a concurrent duplicate stops here.
    CLAIM.run(tx.conn, log_row(tx, request_id, op, {}))


def store_reply(tx: Tx, request_id: str, result: BaseModel) -> None:
    response = result.model_dump(mode="json")
    _STORE.run(tx.conn, {"b_hall_id": tx.hall_id, "b_request_id": request_id, "b_response": response})


def stored_replies(
    conn: Connection, halls: dict[str, Hall], items: list[Write]
) -> dict[tuple[int, str | None], Stored]:
    """The stored replies of the request ids of ``items``, keyed by (hall id, request id).

    One key lookup each: on the driver's cursor that costs less than building one ``IN`` query."""
    found: dict[tuple[int, str | None], Stored] = {}
    for item in items:
        hall = halls.get(item.hall)
        if hall is not None and item.request_id is not None:
            stored = stored_reply(conn, pk(hall), item.request_id)
            if stored is not None:
                found[(pk(hall), item.request_id)] = stored
    return found


def log_row(tx: Tx, request_id: str, op: str, response: Any) -> dict[str, Any]:
    return {
        "hall_id": tx.hall_id,
        "request_id": request_id,
        "device_id": tx.device_id or "",
        "op": op,
        "response": response,
        "ts": tx.now,
    }


def replay(stored: Stored, op: str, model: type[R]) -> R:
    stored_op, response = stored
    if stored_op != op:
        raise HallqError("该请求编号已用于其他操作。", code=ErrorCode.CONFLICT, op=stored_op)
    return model.model_validate(response)


_LOG: sa.Table = SQLModel.metadata.tables[RequestLog.__tablename__]
_STORED = Prepared(
    sa.select(_LOG.c.op, _LOG.c.response).where(
        _LOG.c.hall_id == sa.bindparam("hall_id"), _LOG.c.request_id == sa.bindparam("request_id")
    )
)
CLAIM = Prepared(sa.insert(_LOG))
# (Bound parameter names must differ from the column names in an UPDATE.)
_STORE = Prepared(
    sa.update(_LOG)
    .where(_LOG.c.hall_id == sa.bindparam("b_hall_id"), _LOG.c.request_id == sa.bindparam("b_request_id"))
    .values(response=sa.bindparam("b_response"))
)
