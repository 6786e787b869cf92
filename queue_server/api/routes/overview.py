"""The managers' live overview of a hall (the page refetches it on each live event)."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallViewer, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.views.overview import Overview

router = APIRouter(prefix="/api/halls/{hall}", tags=["overview"], responses=PROBLEM_RESPONSES)


@router.get(
    "/overview", response_model=Overview, summary="windows, waiting per service, today's totals, devices"
)
def hall_overview(hall: HallDep, staff: HallViewer, services: ServicesDep) -> Overview:
    return services.hall_overview(hall, actor=staff.actor)
