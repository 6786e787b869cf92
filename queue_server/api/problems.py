"""Errors as RFC 7807 problem responses: one mapping for every HallqError, validation error and crash.

Body: ``{"type": "urn:hallq:problem:<code>", "title": <the code's zh-CN sentence>, "status": …,
"detail": <this error's zh-CN message>, "code": <stable code>, "data": {…}}``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from queue_server.errors import HallqError
from queue_server.protocol.messages import ERROR_MESSAGES_ZH, ErrorCode

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """An RFC 7807 problem with hallq's stable error code."""

    type: str = Field(examples=["urn:hallq:problem:queue_empty"])
    title: str
    status: int
    detail: str
    code: ErrorCode
    data: dict[str, Any] = Field(default_factory=dict)


class UnauthenticatedError(HallqError):
    """No valid sign-in: 401, with a Bearer challenge."""

    code = ErrorCode.NOT_AUTHORIZED

    @property
    def http_status(self) -> int:
        return 401


def problem(
    status: int, code: ErrorCode, detail: str | None = None, data: dict[str, Any] | None = None
) -> JSONResponse:
    body = Problem(
        type=f"urn:hallq:problem:{code.value}",
        title=ERROR_MESSAGES_ZH[code],
        status=status,
        detail=detail or ERROR_MESSAGES_ZH[code],
        code=code,
        data=data or {},
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def install(app: FastAPI) -> None:
    """Register the handlers: the only place an error becomes an HTTP status."""

    @app.exception_handler(HallqError)
    async def _hallq(_request: Request, exc: HallqError) -> JSONResponse:
        return problem(exc.http_status, exc.code, exc.message, _jsonable(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", ""))}
            for err in exc.errors()
        ]
        return problem(422, ErrorCode.BAD_REQUEST, None, {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: ErrorCode.NOT_AUTHORIZED, 403: ErrorCode.NOT_AUTHORIZED, 404: ErrorCode.NOT_FOUND}.get(
            exc.status_code, ErrorCode.BAD_REQUEST
        )
        return problem(exc.status_code, code, None, {"reason": str(exc.detail)})

    @app.exception_handler(OverflowError)
    async def _out_of_range(_request: Request, exc: OverflowError) -> JSONResponse:
        # A value past what the database or the calendar holds: an id past SQLite's 64-bit INTEGER, a
        # day whose UTC start falls before year 1. The client's mistake (found by fuzzing), not a fault.
        return problem(422, ErrorCode.BAD_REQUEST, None, {"reason": "value out of range"})

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> JSONResponse:
        # SQLAlchemy wraps what a parameter's conversion raised; only an overflow is the client's.
        if isinstance(exc.orig, OverflowError):
            return await _out_of_range(request, exc.orig)
        log.exception("unhandled error", exc_info=exc)
        return problem(500, ErrorCode.INTERNAL)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, ErrorCode.INTERNAL)


def _jsonable(detail: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, str | int | float | bool | list | dict | None) else str(value)
            for key, value in detail.items()}  # fmt: skip


# For route decorators: the problems a route may answer with, documented in OpenAPI.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for status, text in [
        (401, "not signed in"),
        (403, "not allowed"),
        (404, "not found"),
        (409, "refused by the hall's rules or the current state"),
        (422, "invalid request"),
    ]
}
