"""The few typed errors of hallq, each with a stable code, mapped once to HTTP, MQTT and zh-CN.

Services raise these; the HTTP API turns them into problem responses (``api``), the MQTT bridge into
error replies (``mqtt``). Nothing else decides a status code or an error message.
"""

from __future__ import annotations

from typing import Any

from queue_server.protocol.messages import ERROR_MESSAGES_ZH, ErrorCode

HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.SERVICE_CLOSED: 409,
    ErrorCode.CUTOFF_PASSED: 409,
    ErrorCode.DAILY_CAP_REACHED: 409,
    ErrorCode.ID_DAILY_LIMIT: 429,
    ErrorCode.UNKNOWN_SERVICE: 404,
    ErrorCode.QUEUE_EMPTY: 409,
    ErrorCode.BAD_REQUEST: 422,
    ErrorCode.NOT_AUTHORIZED: 403,
    ErrorCode.INTERNAL: 500,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_STATE: 409,
    ErrorCode.TOO_EARLY: 409,
    ErrorCode.TOO_LATE: 409,
    ErrorCode.NOT_ELIGIBLE: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.UNAVAILABLE: 503,
}


class HallqError(Exception):
    """Base of every expected failure. ``code`` is stable; ``detail`` carries data, not prose."""

    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(self, message: str | None = None, *, code: ErrorCode | None = None, **detail: Any) -> None:
        if code is not None:
            self.code = code
        self.message = message or ERROR_MESSAGES_ZH[self.code]
        self.detail = detail
        super().__init__(f"{self.code.value}: {self.message}")

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


class RefusedError(HallqError):
    """A citizen's or staff member's wish the hall's rules refuse (closed, cut-off, cap, limit)."""

    code = ErrorCode.SERVICE_CLOSED


class NotFoundError(HallqError):
    code = ErrorCode.NOT_FOUND


class InvalidStateError(HallqError):
    """The action does not fit the thing's state (finish a ticket that was never started)."""

    code = ErrorCode.INVALID_STATE


class NotAuthorizedError(HallqError):
    code = ErrorCode.NOT_AUTHORIZED


class BadRequestError(HallqError):
    code = ErrorCode.BAD_REQUEST


class QueueEmptyError(HallqError):
    code = ErrorCode.QUEUE_EMPTY


class UnavailableError(HallqError):
    """The database did not answer in time (partition, server down), or the hall is not served here
    now: try again later (HTTP 503)."""

    code = ErrorCode.UNAVAILABLE


class DatabaseUnavailableError(UnavailableError):
    """The database itself failed the statement (no answer in time, the connection lost): unlike a
    refusal of one request, the whole transaction is lost with it (a batch must not go on)."""
