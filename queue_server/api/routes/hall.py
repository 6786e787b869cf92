"""What screens and browsers read: hall state, windows, catalogue, calls; and a health probe."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import text

from queue_server.api.deps import HallDep, MaybeSignedIn, ServicesDep, SessionDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.protocol.messages import CallsSinceResult, CatalogResult, HallState, WindowState
from queue_server.services.people.scope import HallList
from queue_server.services.ports import Role
from queue_server.services.views.hall_info import HallInfoView

router = APIRouter(tags=["hall"], responses=PROBLEM_RESPONSES)


class Health(BaseModel):
    ok: bool
    database: str


@router.get("/api/health", response_model=Health, summary="the server and its database answer")
def health(session: SessionDep) -> Health:
    session.execute(text("SELECT 1"))
    bind = session.get_bind()
    return Health(ok=True, database=bind.dialect.name)


@router.get("/api/halls", response_model=HallList, summary="every hall with its level and parent")
def hall_list(services: ServicesDep, staff: MaybeSignedIn) -> HallList:
    """The halls of this database (市/县/乡: level, parent); ``visible``: for a signed-in manager, the
    halls whose reports and overview they may open (theirs and every hall below it), else null."""
    if staff is None or staff.info.role != Role.MANAGER.value or staff.info.must_change_password:
        return services.hall_list()
    return services.hall_list(staff.hall)


@router.get(
    "/api/halls/{hall}",
    response_model=HallInfoView,
    summary="the hall: names, address, place in the hierarchy",
)
def hall_info(hall: HallDep, services: ServicesDep) -> HallInfoView:
    return services.hall_info(hall)


@router.get("/api/halls/{hall}/state", response_model=HallState, summary="the hall snapshot screens paint")
def hall_state(hall: HallDep, services: ServicesDep) -> HallState:
    return services.hall_state(hall)


@router.get("/api/halls/{hall}/windows", response_model=list[WindowState], summary="every window's state")
def windows(hall: HallDep, services: ServicesDep) -> list[WindowState]:
    return services.window_states(hall)


@router.get("/api/halls/{hall}/windows/{window}", response_model=WindowState, summary="one window's state")
def window(hall: HallDep, window: str, services: ServicesDep) -> WindowState:
    return services.window_state(hall, window)


@router.get(
    "/api/halls/{hall}/catalog", response_model=CatalogResult, summary="services and published matters"
)
def catalog(
    hall: HallDep, services: ServicesDep, etag: Annotated[str | None, Query(max_length=64)] = None
) -> CatalogResult:
    return services.catalog(hall, etag)


@router.get(
    "/api/halls/{hall}/calls", response_model=CallsSinceResult, summary="calls after a seq, oldest first"
)
def calls(
    hall: HallDep,
    services: ServicesDep,
    since: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CallsSinceResult:
    return services.calls_since(hall, since, limit)
