"""Ratings (好差评): the citizen rates the visit from the ticket page; managers read the latest.
(The rating pad's ratings come in over MQTT, the core's ``evt/rating``.)"""

from __future__ import annotations

from fastapi import APIRouter, Request

from queue_server.api.deps import CitizenToken, HallDep, HallSupervisor, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.casework.models import CitizenRatingRequest, RatingAck, RatingRow

router = APIRouter(tags=["ratings"], responses=PROBLEM_RESPONSES)


@router.post("/api/citizen/{token}/rating", response_model=RatingAck, summary="rate the visit (once)")
def rate(
    token: CitizenToken, body: CitizenRatingRequest, services: ServicesDep, key: RequestId, request: Request
) -> RatingAck:
    address = request.client.host if request.client is not None else None
    return services.citizen_rate(token, body.score, request_id=key, address=address)


@router.get("/api/halls/{hall}/ratings", response_model=list[RatingRow], summary="the latest ratings")
def ratings(hall: HallDep, staff: HallSupervisor, services: ServicesDep) -> list[RatingRow]:
    return services.ratings(hall, actor=staff.actor)
