"""Rectification items of bad ratings (整改): managers see all and assign; the assignee works on
their own and closes them with the measures taken."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallStaff, HallSupervisor, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.casework.models import (
    AssignRequest,
    CloseRectificationRequest,
    NoteRequest,
    RectificationList,
    RectificationView,
)

router = APIRouter(
    prefix="/api/halls/{hall}/rectifications", tags=["rectification"], responses=PROBLEM_RESPONSES
)


@router.get("", response_model=RectificationList, summary="open items (managers: all; staff: their own)")
def listing(
    hall: HallDep,
    staff: HallStaff,
    services: ServicesDep,
    closed: Annotated[bool, Query(description="include closed items")] = False,
) -> RectificationList:
    return services.rectifications(hall, actor=staff.actor, include_closed=closed)


@router.post("/{item}/assign", response_model=RectificationView, summary="assign to a person")
def assign(
    hall: HallDep,
    item: int,
    body: AssignRequest,
    staff: HallSupervisor,
    services: ServicesDep,
    key: RequestId,
) -> RectificationView:
    return services.assign_rectification(hall, item, body.assignee, actor=staff.actor, request_id=key)


@router.post("/{item}/notes", response_model=RectificationView, summary="record a step taken")
def note(
    hall: HallDep, item: int, body: NoteRequest, staff: HallStaff, services: ServicesDep, key: RequestId
) -> RectificationView:
    return services.note_rectification(hall, item, body.text, actor=staff.actor, request_id=key)


@router.post("/{item}/close", response_model=RectificationView, summary="close with the measures taken")
def close(
    hall: HallDep,
    item: int,
    body: CloseRectificationRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> RectificationView:
    return services.close_rectification(hall, item, body.measures, actor=staff.actor, request_id=key)
