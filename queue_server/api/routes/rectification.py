"""Rectification items of bad ratings (整改): managers see all and assign; the assignee works on
their own and closes them with the measures taken."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallStaff, HallSupervisor
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.routes.desk_deps import DeskDep
from queue_server.services.desk_models import (
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
    desk: DeskDep,
    closed: Annotated[bool, Query(description="include closed items")] = False,
) -> RectificationList:
    return desk.rectifications(hall, actor=staff.actor, include_closed=closed)


@router.post("/{item}/assign", response_model=RectificationView, summary="assign to a person")
def assign(
    hall: HallDep, item: int, body: AssignRequest, staff: HallSupervisor, desk: DeskDep
) -> RectificationView:
    return desk.assign_rectification(hall, item, body.assignee, actor=staff.actor)


@router.post("/{item}/notes", response_model=RectificationView, summary="record a step taken")
def note(hall: HallDep, item: int, body: NoteRequest, staff: HallStaff, desk: DeskDep) -> RectificationView:
    return desk.note_rectification(hall, item, body.text, actor=staff.actor)


@router.post("/{item}/close", response_model=RectificationView, summary="close with the measures taken")
def close(
    hall: HallDep, item: int, body: CloseRectificationRequest, staff: HallStaff, desk: DeskDep
) -> RectificationView:
    return desk.close_rectification(hall, item, body.measures, actor=staff.actor)
