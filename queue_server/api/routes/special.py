"""特事特办: a supervisor issues a special ticket (called before all others); the day's grants."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallSupervisor, IdempotencyKey
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.routes.desk_deps import DeskDep
from queue_server.services.desk_models import SpecialGrantView, SpecialRequest, SpecialTicket

router = APIRouter(prefix="/api/halls/{hall}/special-tickets", tags=["special"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=SpecialTicket, summary="issue a special ticket, with the reason")
def issue(
    hall: HallDep, body: SpecialRequest, staff: HallSupervisor, desk: DeskDep, key: IdempotencyKey = None
) -> SpecialTicket:
    return desk.issue_special(hall, body.service, body.reason, actor=staff.actor, request_id=key)


@router.get("", response_model=list[SpecialGrantView], summary="special tickets granted on a day")
def grants(
    hall: HallDep,
    staff: HallSupervisor,
    desk: DeskDep,
    day: Annotated[date, Query(description="hall-local service day")],
) -> list[SpecialGrantView]:
    return desk.special_grants(hall, day, actor=staff.actor)
