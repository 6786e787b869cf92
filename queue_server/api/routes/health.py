"""Readiness for a load balancer: is this instance serving, and which halls does it serve.

``GET /api/health`` (routes/hall.py) says the process and its database answer: liveness.
``GET /api/health/ready`` says whether to send it traffic: 200 while its broker link is up and, in
the city topology, its last lease round succeeded; the body names the halls it serves now.
``GET /api/health/halls/{hall}`` answers, with leases, 200 only on the instance that serves that
hall, so a balancer can send a hall's pages (and their live streams, which only its holder feeds)
there; without leases every instance serves every hall over HTTP (200).

An app without doors (``create_app`` alone: tests, tools) has nothing to wait for: ready, no halls.
"""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

router = APIRouter(tags=["health"])

NOT_READY = 503


class ServingView(Protocol):
    """What ``hallq server`` puts on ``app.state.serving`` (queue_server/cluster/serve.py)."""

    instance: str

    @property
    def leases(self) -> bool: ...

    def halls(self) -> list[str]: ...

    def members(self) -> int | None: ...

    def ready(self) -> bool: ...


class Readiness(BaseModel):
    ready: bool
    instance: str
    leases: bool  # the city topology: halls leased to instances
    halls: list[str]  # the halls this instance serves now (their device requests, their writes)
    members: int | None  # live instances sharing the halls (with leases)


class HallServed(BaseModel):
    hall: str
    served: bool
    instance: str


def settings_instance(request: Request) -> str:
    instance: str = request.app.state.settings.instance
    return instance


def _serving(request: Request) -> ServingView | None:
    serving: ServingView | None = getattr(request.app.state, "serving", None)
    return serving


@router.get(
    "/api/health/ready",
    response_model=Readiness,
    summary="ready for traffic (503 if not): broker link up, leases renewed; the halls served here",
    responses={NOT_READY: {"model": Readiness}},
)
def ready(request: Request, response: Response) -> Readiness:
    serving = _serving(request)
    if serving is None:  # an app without doors (see the module doc)
        return Readiness(
            ready=True, instance=settings_instance(request), leases=False, halls=[], members=None
        )
    body = Readiness(
        ready=serving.ready(),
        instance=serving.instance,
        leases=serving.leases,
        halls=serving.halls(),
        members=serving.members(),
    )
    if not body.ready:
        response.status_code = NOT_READY
    return body


@router.get(
    "/api/health/halls/{hall}",
    response_model=HallServed,
    summary="200 on the instance serving this hall, 503 elsewhere",
    responses={NOT_READY: {"model": HallServed}},
)
def hall_served(hall: str, request: Request, response: Response) -> HallServed:
    serving = _serving(request)
    if serving is None or not serving.leases:  # no fence: every instance writes for every hall
        served = serving is None or serving.ready()
    else:
        served = serving.ready() and hall in serving.halls()
    if not served:
        response.status_code = NOT_READY
    return HallServed(hall=hall, served=served, instance=settings_instance(request))
