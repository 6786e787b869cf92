"""Password sign-in (a signed bearer token, also set as a cookie), who am I, sign-out of the browser."""

from __future__ import annotations

from fastapi import APIRouter, Response

from queue_server.api.deps import TOKEN_COOKIE, CurrentStaff, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES, UnauthenticatedError
from queue_server.api.schemas import LoginRequest
from queue_server.errors import NotAuthorizedError, NotFoundError
from queue_server.services.people.models import LoginResult, StaffInfo

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=PROBLEM_RESPONSES)


@router.post("/token", response_model=LoginResult, summary="sign in with login and password")
def token(body: LoginRequest, services: ServicesDep, response: Response) -> LoginResult:
    try:
        result = services.authenticate(body.hall, body.login, body.password)
    except (NotAuthorizedError, NotFoundError) as exc:  # wrong password, unknown hall: not signed in
        raise UnauthenticatedError(exc.message) from None
    max_age = int(services.settings.token_ttl_s)
    response.set_cookie(TOKEN_COOKIE, result.access_token, max_age=max_age, httponly=True, samesite="strict")
    return result


@router.get("/me", response_model=StaffInfo, summary="the signed-in person")
def me(staff: CurrentStaff) -> StaffInfo:
    return staff.info


@router.post("/logout", status_code=204, summary="forget the browser's sign-in cookie")
def logout(response: Response) -> Response:
    response.delete_cookie(TOKEN_COOKIE)
    response.status_code = 204
    return response
