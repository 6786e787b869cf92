"""The administrators' pages' API: the hall's services, windows, staff, hours and thresholds, each a
section of the hall file read and written as a whole (``services/admin/``), the change history, and
the year's calendar as the server uses it. Administrators only; every refused field is named in the
problem's ``data.errors`` (``path``, ``section``, ``message``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from queue_server.api.deps import HallAdmin, HallDep, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.admin.models import (
    CalendarYear,
    HistoryEntry,
    PasswordReset,
    PasswordSet,
    SectionEdit,
    SectionName,
    SectionSaved,
    SectionView,
    StaffCreate,
    StaffCreated,
    StaffFields,
)

router = APIRouter(prefix="/api/halls/{hall}/admin", tags=["administration"], responses=PROBLEM_RESPONSES)

Login = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "/sections/{section}", response_model=SectionView, summary="a section of the hall file, as stored"
)
def read_section(hall: HallDep, section: SectionName, staff: HallAdmin, services: ServicesDep) -> SectionView:
    return services.admin_section(hall, section, actor=staff.actor)


@router.put(
    "/sections/{section}",
    response_model=SectionSaved,
    summary="a new version of the section: validated with the whole hall, applied at once, audited",
)
def save_section(
    hall: HallDep,
    section: SectionName,
    body: SectionEdit,
    staff: HallAdmin,
    services: ServicesDep,
    key: RequestId,
) -> SectionSaved:
    return services.save_admin_section(hall, section, body, actor=staff.actor, request_id=key)


@router.post(
    "/staff",
    response_model=StaffCreated,
    summary="a new account (a one-time password is generated when none is typed, shown once)",
)
def create_staff(
    hall: HallDep, body: StaffCreate, staff: HallAdmin, services: ServicesDep, key: RequestId
) -> StaffCreated:
    return services.create_staff(hall, body, actor=staff.actor, request_id=key)


@router.put("/staff/{login}", response_model=SectionSaved, summary="a person's name, role, department, …")
def edit_staff(
    hall: HallDep, login: Login, body: StaffFields, staff: HallAdmin, services: ServicesDep, key: RequestId
) -> SectionSaved:
    return services.edit_staff(hall, login, body, actor=staff.actor, request_id=key)


@router.post(
    "/staff/{login}/deactivate",
    response_model=SectionSaved,
    summary="deactivate an account (its sign-ins stop at once; history kept)",
)
def deactivate_staff(
    hall: HallDep, login: Login, staff: HallAdmin, services: ServicesDep, key: RequestId
) -> SectionSaved:
    return services.deactivate_staff(hall, login, actor=staff.actor, request_id=key)


@router.post(
    "/staff/{login}/password",
    response_model=PasswordSet,
    summary="reset a password: the typed one, or a one-time password shown once; changed at sign-in",
)
def reset_password(
    hall: HallDep, login: Login, body: PasswordReset, staff: HallAdmin, services: ServicesDep, key: RequestId
) -> PasswordSet:
    return services.admin_reset_password(hall, login, body, actor=staff.actor, request_id=key)


@router.get("/history", response_model=list[HistoryEntry], summary="who changed which section, when, what")
def history(
    hall: HallDep,
    staff: HallAdmin,
    services: ServicesDep,
    section: SectionName | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[HistoryEntry]:
    return services.admin_history(hall, section, actor=staff.actor, limit=limit)


@router.get(
    "/calendar",
    response_model=CalendarYear,
    summary="the year's weekday days off and weekend working days (as `hallq hall calendar --json`)",
)
def calendar(
    hall: HallDep, staff: HallAdmin, services: ServicesDep, year: Annotated[int, Query(ge=2000, le=2100)]
) -> CalendarYear:
    return services.admin_calendar(hall, year, actor=staff.actor)
