"""Typed dependencies: the services, a read session, the hall in the path, the signed-in person.

Authentication is a Bearer token (``Authorization: Bearer …``) or the ``hallq_token`` cookie that
``POST /api/auth/token`` also sets for browser pages. A token counts while it is well signed, unexpired,
no longer-lived than the configured TTL, its person active and its version the account's (sign-out and
a password change raise the version). A person whose password must change may only change it
(``SignedIn``); every other route answers 403 ``password_change_required`` until then. Permissions
beyond "signed in, of this hall, this role" are the services' business (one place for every door).

A token names the hall its person signed in at and stays bound to it: every route that reads a hall
for its managers (overview, statistics, heatmap, evaluation, rotation, qualifications, alerts, device
status, their exports) takes ``HallViewer``, which also lets a manager of a hall above (市/县/乡) read
it; the live channel takes ``HallListener`` (the hall's own people, or such a viewer). Writes keep
``HallStaff``/``HallSupervisor``: the hall's own people. A hall out of reach answers 403
``not_authorized``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Cookie, Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from queue_server.errors import NotAuthorizedError, NotFoundError
from queue_server.services import Services
from queue_server.services.engine.request_log import RequestKey, fingerprint
from queue_server.services.people.models import StaffInfo
from queue_server.services.people.security import BadTokenError, TokenClaims
from queue_server.services.ports import Actor, Role
from queue_server.store.engine import reader

from .problems import UnauthenticatedError

TOKEN_COOKIE = "hallq_token"  # noqa: S105  (a cookie name)

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/auth/token")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A read-only session (plain BEGIN: never waits for writers under SQLite WAL)."""
    with Session(reader(services.engine)) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

HallDep = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$", description="hall code", examples=["demo"])
]


async def request_id(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=128,
            description="repeat a request with the same key: the same reply, nothing done twice; "
            "the same key with another method, path or body answers 409",
        ),
    ] = None,
) -> str:
    """The request id of a write: the client's ``Idempotency-Key``, else a fresh one.

    Every route that changes a hall takes its id from here (``RequestId``). With a key, a repeat gets
    the first reply back and changes nothing; without one, each request is a new write. Either way the
    write is logged under its id, as a device's request is over MQTT. A key carries the hash of the
    method, path and body it came with (``RequestKey``), and is scoped to the signed-in person (or
    the anonymous doors) by the services: reused for another request it answers 409 ``conflict``.
    """
    if not key:
        return f"http-{uuid.uuid4()}"
    body = await request.body()
    return RequestKey(key, fingerprint(request.method, request.url.path, request.url.query, body))


RequestId = Annotated[str, Depends(request_id)]


@dataclass(frozen=True, slots=True)
class StaffSession:
    """The signed-in person: token claims, who they are now, and the Actor the services check."""

    claims: TokenClaims
    info: StaffInfo

    @property
    def hall(self) -> str:
        return self.claims.hall

    @property
    def actor(self) -> Actor:
        return Actor(Role(self.info.role), self.info.login, self.info.window)


def signed_in(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Cookie(alias=TOKEN_COOKIE, include_in_schema=False)] = None,
) -> StaffSession:
    """The person of a valid token, even one who must change their password first."""
    token = credentials.credentials if credentials is not None else cookie
    if not token:
        raise UnauthenticatedError("请先登录。")
    try:
        claims = services.verify_token(token)
    except BadTokenError:
        raise UnauthenticatedError("登录已失效，请重新登录。") from None
    try:
        # The one read every signed-in request makes anyway (who the person is now): the token
        # version rides on it, so a revoked token is refused at once, on every instance.
        state = services.session_state(claims.hall, claims.sub)
    except NotFoundError:
        raise UnauthenticatedError("账号已停用，请重新登录。") from None
    if state.token_version != claims.ver:
        raise UnauthenticatedError("登录已失效，请重新登录。")
    return StaffSession(claims, state.info)


SignedIn = Annotated[StaffSession, Depends(signed_in)]


def maybe_signed_in(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Cookie(alias=TOKEN_COOKIE, include_in_schema=False)] = None,
) -> StaffSession | None:
    """The person of a valid token, or None (signing out needs no valid sign-in)."""
    try:
        return signed_in(services, credentials, cookie)
    except UnauthenticatedError:
        return None


MaybeSignedIn = Annotated[StaffSession | None, Depends(maybe_signed_in)]


def current_staff(staff: SignedIn) -> StaffSession:
    if staff.info.must_change_password:
        raise NotAuthorizedError("请先修改密码。", password_change_required=True)
    return staff


CurrentStaff = Annotated[StaffSession, Depends(current_staff)]


def hall_staff(hall: HallDep, staff: CurrentStaff) -> StaffSession:
    """The signed-in person, who must belong to the hall in the path."""
    if staff.hall != hall:
        raise NotAuthorizedError("您不属于该大厅。", hall=hall)
    return staff


HallStaff = Annotated[StaffSession, Depends(hall_staff)]


def hall_supervisor(staff: HallStaff) -> StaffSession:
    """Review and supervision: managers (administrators keep accounts and settings)."""
    if staff.info.role != Role.MANAGER.value:
        raise NotAuthorizedError("仅值班长可进行此操作。")
    return staff


HallSupervisor = Annotated[StaffSession, Depends(hall_supervisor)]


def hall_viewer(hall: HallDep, staff: CurrentStaff, services: ServicesDep) -> StaffSession:
    """A manager of the hall in the path or of a hall above it (市/县/乡): reports and the overview.

    The services decide the reach (``services/people/scope.py``): a county manager reads their county's
    township halls, never a sibling county or the city hall.
    """
    if staff.hall == hall:
        return hall_supervisor(staff)
    if staff.info.role != Role.MANAGER.value:
        raise NotAuthorizedError("您不属于该大厅。", hall=hall)
    services.require_hall_below(staff.hall, hall)
    return staff


HallViewer = Annotated[StaffSession, Depends(hall_viewer)]


def hall_listener(hall: HallDep, staff: CurrentStaff, services: ServicesDep) -> StaffSession:
    """The live channel: anyone of the hall in the path (consoles, its managers), and the managers
    who may view it from a hall above (``hall_viewer``), whose overview of a lower hall is live too."""
    if staff.hall == hall:
        return staff
    return hall_viewer(hall, staff, services)


HallListener = Annotated[StaffSession, Depends(hall_listener)]


def hall_admin(staff: HallStaff) -> StaffSession:
    """Accounts and settings (password resets, window printers): administrators."""
    if staff.info.role != Role.ADMIN.value:
        raise NotAuthorizedError("仅管理员可进行此操作。")
    return staff


HallAdmin = Annotated[StaffSession, Depends(hall_admin)]


CitizenToken = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{4,64}$", description="the ticket's public token (citizen page)")
]
