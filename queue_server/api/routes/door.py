"""上门服务: door-to-door visits, booked like appointments, recorded as cases without a ticket."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.casework.models import CaseRequest
from queue_server.services.queue.models import DoorVisitRequest, DoorVisitView

router = APIRouter(prefix="/api/halls/{hall}/door-visits", tags=["door-to-door"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=DoorVisitView, summary="book a visit")
def book(
    hall: HallDep, body: DoorVisitRequest, staff: HallStaff, services: ServicesDep, key: RequestId
) -> DoorVisitView:
    return services.book_visit(hall, body, actor=staff.actor, request_id=key)


@router.get("", response_model=list[DoorVisitView], summary="visits scheduled on a day")
def visits(
    hall: HallDep,
    staff: HallStaff,
    services: ServicesDep,
    day: Annotated[date, Query(description="hall-local day")],
) -> list[DoorVisitView]:
    return services.visits(hall, day, actor=staff.actor)


@router.post("/{visit}/record", response_model=DoorVisitView, summary="the visit took place: record its case")
def record(
    hall: HallDep,
    visit: int,
    body: CaseRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> DoorVisitView:
    return services.record_visit(hall, visit, body, actor=staff.actor, request_id=key)


@router.post("/{visit}/cancel", response_model=DoorVisitView, summary="cancel a booked visit")
def cancel(
    hall: HallDep, visit: int, staff: HallStaff, services: ServicesDep, key: RequestId
) -> DoorVisitView:
    return services.cancel_visit(hall, visit, actor=staff.actor, request_id=key)
