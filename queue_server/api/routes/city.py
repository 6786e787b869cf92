"""The city link (docs/city.md): the ingest a hall appliance posts its batches to, and the link's status.

``POST /api/city/batches`` takes only a hall credential (``city/credential.py``) of the hall's current
generation (a revoked one is refused, 401), never a person's token, and only for the hall it names: a
batch of another hall is refused (403).
``GET /api/halls/{hall}/city`` shows, to the hall's managers and those above, what waits on the hall
and what the city holds.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from queue_server.api.deps import HallDep, HallViewer, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES, UnauthenticatedError
from queue_server.city.apply import Applied, BatchIn, apply_batch
from queue_server.city.credential import PURPOSE, proof_of
from queue_server.city.generations import current_generation
from queue_server.city.shipper import INGEST_PATH, CityShipper
from queue_server.city.status import CityLink, link_status
from queue_server.errors import NotAuthorizedError

log = logging.getLogger(__name__)

router = APIRouter(tags=["city"], responses=PROBLEM_RESPONSES)

_hall_credential = HTTPBearer(
    auto_error=False, description="the hall's city credential (hallq city credential)"
)

__all__ = ["BATCH_MAX_BYTES", "INGEST_PATH", "router"]

BATCH_MAX_BYTES = 16_000_000  # a batch of 500 rows is ~0.5 MB; history backfills stay far below this


@router.post(INGEST_PATH, response_model=Applied, summary="apply a hall appliance's batch of changes")
def ingest(
    batch: BatchIn,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_hall_credential)],
) -> Applied:
    if credentials is None:
        raise UnauthenticatedError("需要大厅凭据。")
    proof = proof_of(services.settings.derive_key(PURPOSE), credentials.credentials)
    if proof is None:
        raise UnauthenticatedError("大厅凭据无效。")
    hall = proof.hall
    if hall != batch.hall:
        raise NotAuthorizedError("该凭据不能提交其他大厅的数据。", hall=batch.hall)
    with services.engine.connect() as conn:
        current = current_generation(conn, hall)
    if current is not None and proof.generation != current:
        log.warning("city ingest: hall %s sent a revoked credential (generation %d)", hall, proof.generation)
        raise UnauthenticatedError("大厅凭据已被吊销，请向市级管理员领取新凭据。")
    applied = apply_batch(services.engine, batch, services.clock())
    log.info(
        "city ingest: hall %s positions %d..%d: %d rows applied, %d skipped",
        hall, batch.after + 1, batch.last, applied.applied, applied.skipped,
    )  # fmt: skip
    return applied


@router.get(
    "/api/halls/{hall}/city", response_model=CityLink, summary="the city link: waiting, lag, received"
)
def city_link(hall: HallDep, staff: HallViewer, services: ServicesDep, request: Request) -> CityLink:
    shipper: CityShipper | None = getattr(request.app.state, "city_shipper", None)
    mine = shipper is not None and shipper.hall == hall
    return link_status(
        services.engine,
        hall,
        services.clock(),
        shipper.state if mine and shipper is not None else None,
        shipper.client.url if mine and shipper is not None else None,
    )
