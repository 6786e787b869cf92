"""Password sign-in (a signed bearer token, also set as a cookie), who am I, sign-out (revokes every
token of the person), the person's own password change, an administrator's reset.

Failed sign-ins are throttled per login and per address: 429 with ``Retry-After``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from queue_server.api.deps import (
    TOKEN_COOKIE,
    HallAdmin,
    HallDep,
    MaybeSignedIn,
    RequestId,
    ServicesDep,
    SignedIn,
)
from queue_server.api.problems import PROBLEM_RESPONSES, UnauthenticatedError, problem
from queue_server.api.schemas import LoginRequest
from queue_server.errors import NotAuthorizedError, NotFoundError
from queue_server.services import Services
from queue_server.services.engine.models import Ack
from queue_server.services.people.models import (
    LoginResult,
    PasswordChangeRequest,
    PasswordResetRequest,
    StaffInfo,
)
from queue_server.services.people.throttle import LoginThrottledError

router = APIRouter(tags=["auth"], responses=PROBLEM_RESPONSES)

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {"description": "too many failed sign-ins; retry after the Retry-After seconds"}
}


@router.post(
    "/api/auth/token",
    response_model=LoginResult,
    summary="sign in with login and password",
    responses=THROTTLED,
)
def token(
    body: LoginRequest, services: ServicesDep, request: Request, response: Response
) -> LoginResult | JSONResponse:
    try:
        result = services.authenticate(body.hall, body.login, body.password, address=_address(request))
    except LoginThrottledError as exc:
        return _throttled(exc)
    except (NotAuthorizedError, NotFoundError) as exc:  # wrong password, unknown hall: not signed in
        raise UnauthenticatedError(exc.message) from None
    _set_cookie(response, services, result)
    return result


@router.get("/api/auth/me", response_model=StaffInfo, summary="the signed-in person")
def me(staff: SignedIn) -> StaffInfo:
    return staff.info


@router.post(
    "/api/auth/password",
    response_model=LoginResult,
    summary="change one's own password (a new token; every older one stops working)",
    responses=THROTTLED,
)
def change_password(
    body: PasswordChangeRequest, staff: SignedIn, services: ServicesDep, request: Request, response: Response
) -> LoginResult | JSONResponse:
    try:
        result = services.change_password(
            staff.hall, staff.info.login, body.current_password, body.new_password, address=_address(request)
        )
    except LoginThrottledError as exc:
        return _throttled(exc)
    _set_cookie(response, services, result)
    return result


@router.post(
    "/api/halls/{hall}/staff/{login}/password",
    response_model=Ack,
    summary="reset a person's password (administrators; the person must change it at sign-in)",
)
def reset_password(
    hall: HallDep,
    login: Annotated[str, Path(min_length=1, max_length=64)],
    body: PasswordResetRequest,
    staff: HallAdmin,
    services: ServicesDep,
    key: RequestId,
) -> Ack:
    return services.reset_password(hall, login, body.new_password, actor=staff.actor, request_id=key)


@router.post("/api/auth/logout", status_code=204, summary="sign out: every token of the person stops working")
def logout(services: ServicesDep, staff: MaybeSignedIn) -> Response:
    if staff is not None:  # without a valid sign-in there is nothing to revoke; the cookie goes anyway
        services.log_out(staff.hall, actor=staff.actor)
    response = Response(status_code=204)
    response.delete_cookie(TOKEN_COOKIE)
    return response


def _throttled(error: LoginThrottledError) -> JSONResponse:
    """429 with ``Retry-After``: the one status a throttled sign-in gets."""
    response = problem(429, error.code, error.message, {"retry_after_s": error.retry_after_s})
    response.headers["Retry-After"] = str(error.retry_after_s)
    return response


def _address(request: Request) -> str | None:
    return None if request.client is None else request.client.host


def _set_cookie(response: Response, services: Services, result: LoginResult) -> None:
    max_age = int(services.settings.token_ttl_s)
    response.set_cookie(TOKEN_COOKIE, result.access_token, max_age=max_age, httponly=True, samesite="strict")
