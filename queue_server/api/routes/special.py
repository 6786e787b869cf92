"""特事特办: the special tickets granted on a day. They are issued at ``POST …/tickets/special`` (the one
issuing route, which records each grant listed here)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallSupervisor, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.queue.models import SpecialGrantView

router = APIRouter(prefix="/api/halls/{hall}/special-tickets", tags=["special"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=list[SpecialGrantView], summary="special tickets granted on a day")
def grants(
    hall: HallDep,
    staff: HallSupervisor,
    services: ServicesDep,
    day: Annotated[date, Query(description="hall-local service day")],
) -> list[SpecialGrantView]:
    return services.special_grants(hall, day, actor=staff.actor)
