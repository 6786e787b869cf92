"""The citizen page's data: no sign-in, the ticket token is the key. Live updates as SSE."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from queue_server.api.deps import CitizenToken, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.views.models import CitizenView
from queue_server.web import sse

router = APIRouter(prefix="/api/citizen/{token}", tags=["citizen"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=CitizenView, summary="where the visit stands")
def status(token: CitizenToken, services: ServicesDep) -> CitizenView:
    return services.citizen(token)


@router.post("/cancel", response_model=CitizenView, summary="cancel my waiting ticket (I cannot wait)")
def cancel(token: CitizenToken, services: ServicesDep, key: RequestId) -> CitizenView:
    return services.citizen_cancel(token, request_id=key)


@router.get("/live", summary="the visit's view as Server-Sent Events (event: status)")
async def live(token: CitizenToken, services: ServicesDep) -> StreamingResponse:
    hall = await run_in_threadpool(services.citizen_hall, token)

    async def snapshot() -> tuple[CitizenView, frozenset[str]]:
        return await run_in_threadpool(services.citizen_live, token)

    stream = sse.citizen_stream(services.hub, hall, snapshot)
    return StreamingResponse(stream, media_type=sse.MEDIA_TYPE, headers=sse.HEADERS)
