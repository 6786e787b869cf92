"""One device request in, one reply out: decode, check, call the services, map errors to stable codes.

No rules live here. The functions never raise: bad input becomes a ``bad_request`` reply, a refused wish
the service's ``HallqError`` code, anything unexpected ``internal`` (logged with its traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel

from queue_server.errors import HallqError, NotAuthorizedError
from queue_server.protocol.codec import ProtocolError, decode, request_id_of
from queue_server.protocol.messages import (
    WINDOW_OPS,
    AppointmentCheckinArgs,
    CallsSinceArgs,
    CatalogGetArgs,
    ErrorBody,
    ErrorCode,
    Op,
    RatingSubmitArgs,
    Request,
    Response,
    ResultReply,
    TicketIssueArgs,
    TicketStatusArgs,
    parse_args,
)
from queue_server.services.engine.request_log import RequestKey, fingerprint
from queue_server.services.ports import HallServices

log = logging.getLogger(__name__)

# Answered from the services' writer thread once committed: the caller holds nothing meanwhile (a
# window op held one of a server's few MQTT workers for its write and the reads after it, so in a busy
# city the agents' calls starved behind the kiosks' tickets).
_QUEUED_OPS = WINDOW_OPS | {Op.TICKET_ISSUE}

# Past this size a payload is not even parsed to find its id: it cannot be a request of ours, and
# parsing megabytes on behalf of a misbehaving client is what it would want.
ID_SCAN_LIMIT = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A request that passed the contract's checks, ready for the services."""

    id: str
    op: Op
    args: BaseModel


Reply = Response | ResultReply
"""An answer to send: a success is a ``ResultReply`` (its result encoded straight from its model)."""

Incoming = ParsedRequest | Response
"""What a payload on ``dev/{device_id}/req`` comes to: a request to answer, or its ``bad_request`` reply."""


def read_request(hall: str, device_id: str, payload: bytes) -> Incoming | None:
    """The request, or the ``bad_request`` reply to it, or None when it has no usable id."""
    try:
        request = decode(Request, payload)
        op, args = parse_args(request)
    except (ProtocolError, RecursionError) as exc:
        # RecursionError: json refuses deeply nested arrays that way; still just a malformed payload.
        reason = str(exc) if isinstance(exc, ProtocolError) else "payload nested too deeply"
        rid = request_id_of(payload) if len(payload) <= ID_SCAN_LIMIT else None
        if rid is None:
            log.warning("request from %s/%s without a usable id dropped: %s", hall, device_id, reason)
            return None
        log.warning("bad request %s from %s/%s: %s", rid, hall, device_id, reason)
        return Response.failure(rid, ErrorCode.BAD_REQUEST, reason=reason)
    return ParsedRequest(request.id, op, args)


def never_blocks(incoming: Incoming) -> bool:
    """Whether answering it never waits for the database: a ``bad_request`` reply is sent as it is, a
    ``ticket.issue`` or a window agent's ``window.*`` only queued for the services' writer thread
    (``issue_ticket_async``, ``window_op_async``)."""
    return not isinstance(incoming, ParsedRequest) or incoming.op in _QUEUED_OPS


def answer_request(
    services: HallServices, hall: str, device_id: str, incoming: Incoming, reply: Callable[[Reply], None]
) -> None:
    """Answer a read request through ``reply``, exactly once: now, or for ``ticket.issue`` and the
    window operations from the services' writer thread once committed (the caller's thread is free at
    once)."""
    if not isinstance(incoming, ParsedRequest):
        reply(incoming)
        return
    op, args = incoming.op, incoming.args
    # The id scoped to this device by the services, with the hash of what it asks: the same id with
    # other arguments answers ``conflict`` instead of the first reply (engine/request_log.py).
    rid = RequestKey(incoming.id, fingerprint(op.value, args.model_dump_json()))
    if op not in _QUEUED_OPS:
        reply(_answer(services, hall, device_id, rid, op, args))
        return

    def done(result: BaseModel | None, exc: BaseException | None) -> None:
        reply(_outcome(rid, op, hall, device_id, result, exc))

    try:
        if isinstance(args, TicketIssueArgs):
            services.issue_ticket_async(hall, args, done, request_id=rid, device_id=device_id)
        else:
            services.window_op_async(hall, device_id, op, args, done, request_id=rid)
    except Exception as exc:  # not even queued: answered here, once
        reply(_outcome(rid, op, hall, device_id, None, exc))


def _answer(services: HallServices, hall: str, device_id: str, rid: str, op: Op, args: BaseModel) -> Reply:
    try:
        result = _run(services, hall, device_id, rid, op, args)
    except Exception as exc:
        return _outcome(rid, op, hall, device_id, None, exc)
    return ResultReply(id=rid, result=result)


def _outcome(
    rid: str, op: Op, hall: str, device_id: str, result: BaseModel | None, exc: BaseException | None
) -> Reply:
    """The reply for a use case's outcome: its result, its refusal's code, or ``internal``."""
    if isinstance(exc, HallqError):
        log.info("%s %s from %s/%s refused: %s", op.value, rid, hall, device_id, exc)
        return _failure(rid, exc)
    if exc is not None or result is None:
        log.error("%s %s from %s/%s failed", op.value, rid, hall, device_id, exc_info=exc)
        return Response.failure(rid, ErrorCode.INTERNAL)
    return ResultReply(id=rid, result=result)


def _failure(request_id: str, exc: HallqError) -> Response:
    # Built directly: a detail key named "code" or "message" must not collide with failure()'s parameters.
    body = ErrorBody(code=exc.code.value, message=exc.message, detail=dict(exc.detail))
    return Response(id=request_id, ok=False, error=body)


def _run(services: HallServices, hall: str, device_id: str, rid: str, op: Op, args: BaseModel) -> BaseModel:
    match args:
        case CatalogGetArgs():
            return services.catalog(hall, args.etag)
        case TicketIssueArgs():
            return services.issue_ticket(hall, args, request_id=rid, device_id=device_id)
        case AppointmentCheckinArgs():
            return services.checkin_appointment(hall, args, request_id=rid, device_id=device_id)
        case TicketStatusArgs():
            return services.ticket_status(hall, args.ticket_id)
        case CallsSinceArgs():
            return services.calls_since(hall, args.seq, args.limit)
        case RatingSubmitArgs():
            window = services.device_window(hall, device_id)
            if window is None:
                raise NotAuthorizedError(device=device_id, op=op.value)
            return services.submit_rating(hall, window, args, device_id=device_id, request_id=rid)
    raise TypeError(f"no handler for {op.value} with {type(args).__name__}")
