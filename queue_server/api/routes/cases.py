"""Cases (办件): one case, details recorded after a keypad finish, joint-case parts, closing, and the
promised-case lists per department."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.casework.models import (
    CaseRequest,
    CaseView,
    CloseCaseRequest,
    PartDoneRequest,
    PromisedCases,
)

router = APIRouter(prefix="/api/halls/{hall}/cases", tags=["cases"], responses=PROBLEM_RESPONSES)


@router.get(
    "/promised", response_model=PromisedCases, summary="open timed cases per department: overdue, due"
)
def promised(
    hall: HallDep,
    staff: HallStaff,
    services: ServicesDep,
    department: Annotated[str | None, Query(max_length=32, description="one department's code")] = None,
) -> PromisedCases:
    return services.promised(hall, department)


@router.get("/{case_no}", response_model=CaseView, summary="one case with its parts, materials and documents")
def case(hall: HallDep, case_no: str, staff: HallStaff, services: ServicesDep) -> CaseView:
    return services.case(hall, case_no)


@router.post(
    "/{case_no}/details", response_model=CaseView, summary="record the details of a keypad-finished case"
)
def details(
    hall: HallDep,
    case_no: str,
    body: CaseRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> CaseView:
    return services.add_details(hall, case_no, body, actor=staff.actor, request_id=key)


@router.post(
    "/{case_no}/parts/{department}/done", response_model=CaseView, summary="a co-department's part is done"
)
def part_done(
    hall: HallDep,
    case_no: str,
    department: str,
    body: PartDoneRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> CaseView:
    return services.complete_part(hall, case_no, department, body.note, actor=staff.actor, request_id=key)


@router.post("/{case_no}/close", response_model=CaseView, summary="办结: close a timed case")
def close(
    hall: HallDep,
    case_no: str,
    body: CloseCaseRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> CaseView:
    return services.close_case(hall, case_no, body.result, actor=staff.actor, request_id=key)
