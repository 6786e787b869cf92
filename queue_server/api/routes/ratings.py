"""Ratings (好差评): the citizen rates the visit from the ticket page; managers read the latest.
(The rating pad's ratings come in over MQTT, the core's ``evt/rating``.)"""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallSupervisor
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.routes.desk_deps import CitizenToken, DeskDep
from queue_server.services.desk_models import CitizenRatingRequest, RatingAck, RatingRow

router = APIRouter(tags=["ratings"], responses=PROBLEM_RESPONSES)


@router.post("/api/citizen/{token}/rating", response_model=RatingAck, summary="rate the visit (once)")
def rate(token: CitizenToken, body: CitizenRatingRequest, desk: DeskDep) -> RatingAck:
    return desk.citizen_rate(token, body.score)


@router.get("/api/halls/{hall}/ratings", response_model=list[RatingRow], summary="the latest ratings")
def ratings(hall: HallDep, staff: HallSupervisor, desk: DeskDep) -> list[RatingRow]:
    return desk.ratings(hall, actor=staff.actor)
