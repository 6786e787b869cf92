"""Statistics for managers: per service and per window over a date range."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallSupervisor, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.views.models import StatsResult

router = APIRouter(prefix="/api/halls/{hall}", tags=["statistics"], responses=PROBLEM_RESPONSES)


@router.get("/stats", response_model=StatsResult, summary="tickets, served, no-shows, waits, handling")
def statistics(
    hall: HallDep,
    staff: HallSupervisor,
    services: ServicesDep,
    date_from: Annotated[date, Query(description="first service day, hall-local")],
    date_to: Annotated[date, Query(description="last service day, inclusive")],
) -> StatsResult:
    return services.statistics(hall, date_from, date_to, actor=staff.actor)
