"""The request log: each request id's use case and reply, kept so a retried request changes nothing.

A use case with a request id claims it by inserting its row before doing anything (a concurrent
duplicate stops on the unique (hall, scope, request id)), and stores its reply in the same transaction
as its change; a duplicate then gets the stored reply back (see ``runner.py``). Statements are compiled
once (``Prepared``): they run on every ticket.

A key is scoped to its sender (:func:`scope_of`: a device, a signed-in person, or the anonymous
doors), so one sender can neither read another's stored reply nor block its key. A door that knows
the request's arguments hands a :class:`RequestKey` carrying their hash: the same key with other
arguments is refused with ``conflict`` (HTTP 409) instead of answered with the first reply. Rows live
for the idempotency window (``Settings.request_log_days``), then ``retention.py`` deletes them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeGuard, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlmodel import SQLModel

from queue_server.errors import HallqError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.group_commit import Write
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor, Role
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Hall, RequestLog

R = TypeVar("R", bound=BaseModel)

# (the use case's name, the hash of its arguments or "", its reply as JSON)
Stored = tuple[str, str, Any]


class RequestKey(str):
    """A client's idempotency key with the hash of the request it came with (see the module doc).

    A ``str`` so it passes unchanged through every facade method that takes a ``request_id``.
    """

    fingerprint: str

    def __new__(cls, key: str, fingerprint: str) -> RequestKey:
        made = super().__new__(cls, key)
        made.fingerprint = fingerprint
        return made


def fingerprint(*parts: str | bytes) -> str:
    """The hash of a request's arguments, as a door sees them (op or method and path, then body)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def fingerprint_of(request_id: str | None) -> str:
    return request_id.fingerprint if isinstance(request_id, RequestKey) else ""


def scope_of(device_id: str | None, actor: Actor | None) -> str:
    """Whose keys a request's key lives among: its device, its signed-in person, else the anonymous."""
    if device_id:
        return f"device:{device_id}"
    if actor is not None and actor.role is not Role.DEVICE:
        return f"{actor.role.value}:{actor.id}"
    if actor is not None:
        return f"device:{actor.id}"
    return ""


def stored_reply(conn: Connection, hall_id: int, item: Write) -> Stored | None:
    assert item.request_id is not None
    params = {"hall_id": hall_id, "scope": item.scope, "request_id": str(item.request_id)}
    row = _STORED.first(conn, params)
    return None if row is None else (row[0], row[1], row[2])


def claim(tx: Tx, item: Write) -> None:
    # The unique (hall, scope, request id) row: a concurrent duplicate stops here.
    CLAIM.run(tx.conn, log_row(tx.hall_id, item, {}))


def store_reply(tx: Tx, item: Write, result: BaseModel) -> None:
    params = {
        "b_hall_id": tx.hall_id,
        "b_scope": item.scope,
        "b_request_id": str(item.request_id),
        "b_response": result.model_dump(mode="json"),
    }
    _STORE.run(tx.conn, params)


StoredKey = tuple[int, str, str | None]


def stored_replies(conn: Connection, halls: dict[str, Hall], items: list[Write]) -> dict[StoredKey, Stored]:
    """The stored replies of the request ids of ``items``, keyed by :func:`key_of`.

    One key lookup each: on the driver's cursor that costs less than building one ``IN`` query, and
    on PostgreSQL they go out together, one round trip for the batch (``Prepared.first_each``)."""
    keys = [
        key_of(pk(hall), item)
        for item in items
        if (hall := halls.get(item.hall)) is not None and item.request_id is not None
    ]
    params = [
        {"hall_id": hall_id, "scope": scope, "request_id": request_id} for hall_id, scope, request_id in keys
    ]
    rows = _STORED.first_each(conn, params)
    return {key: (row[0], row[1], row[2]) for key, row in zip(keys, rows, strict=True) if row is not None}


def key_of(hall_id: int, item: Write) -> StoredKey:
    return hall_id, item.scope, None if item.request_id is None else str(item.request_id)


def log_row(hall_id: int, item: Write, response: Any) -> dict[str, Any]:
    return {
        "hall_id": hall_id,
        "scope": item.scope,
        "request_id": str(item.request_id),
        "fingerprint": item.fingerprint,
        "device_id": item.device_id or "",
        "op": item.op,
        "response": response,
        "ts": item.now,
    }


# A refusal is kept as ``{"refusal": {code, message, detail}}``: no reply model has that one field.
_REFUSAL = "refusal"


def kept_refusal(exc: BaseException | None) -> TypeGuard[HallqError]:
    """Whether a use case's failure is its request's answer, kept like a reply (docs/design/PROTOCOL.md,
    "Ids and idempotency": the same id gets the same answer). Every refusal but ``unavailable``
    ("try again": the resend is to be answered, by this instance later or by the hall's new holder).
    Kept, a refused ``window.next`` resent after the agent had its ``queue_empty`` could no longer
    call a ticket the agent never heard of (the window then refused every later call)."""
    return isinstance(exc, HallqError) and exc.code is not ErrorCode.UNAVAILABLE


def refusal_row(hall_id: int, item: Write, refusal: HallqError) -> dict[str, Any]:
    """The request-log row answering ``item`` with ``refusal``."""
    # The detail as its JSON reply shows it (a value JSON cannot hold becomes its text).
    detail = json.loads(json.dumps(refusal.detail, default=str))
    body = {"code": refusal.code.value, "message": refusal.message, "detail": detail}
    return log_row(hall_id, item, {_REFUSAL: body})


def replay(stored: Stored, item: Write, model: type[R]) -> R:
    """The stored answer again: the reply, or the refusal raised again."""
    stored_op, stored_print, response = stored
    if stored_op != item.op:
        raise HallqError("该请求编号已用于其他操作。", code=ErrorCode.CONFLICT, op=stored_op)
    if stored_print and item.fingerprint and stored_print != item.fingerprint:
        raise HallqError("该请求编号已用于内容不同的请求。", code=ErrorCode.CONFLICT, reason="key_reused")
    if isinstance(response, dict) and response.keys() == {_REFUSAL}:
        refused = response[_REFUSAL]
        error = HallqError(refused["message"], code=ErrorCode(refused["code"]))
        error.detail = dict(refused["detail"])  # not as keywords: a detail may be named "code"
        raise error
    return model.model_validate(response)


_LOG: sa.Table = SQLModel.metadata.tables[RequestLog.__tablename__]
_STORED = Prepared(
    sa.select(_LOG.c.op, _LOG.c.fingerprint, _LOG.c.response).where(
        _LOG.c.hall_id == sa.bindparam("hall_id"),
        _LOG.c.scope == sa.bindparam("scope"),
        _LOG.c.request_id == sa.bindparam("request_id"),
    )
)
CLAIM = Prepared(sa.insert(_LOG))
# (Bound parameter names must differ from the column names in an UPDATE.)
_STORE = Prepared(
    sa.update(_LOG)
    .where(
        _LOG.c.hall_id == sa.bindparam("b_hall_id"),
        _LOG.c.scope == sa.bindparam("b_scope"),
        _LOG.c.request_id == sa.bindparam("b_request_id"),
    )
    .values(response=sa.bindparam("b_response"))
)
