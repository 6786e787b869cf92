"""The hall's live channel for consoles and manager pages: Server-Sent Events (call, window, hall,
case, document, rectification, hello). EventSource reconnects by itself and sends Last-Event-ID."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from queue_server.api.deps import HallDep, HallListener, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.web import sse

router = APIRouter(tags=["live"], responses=PROBLEM_RESPONSES)


@router.get("/api/halls/{hall}/live", summary="live events of the hall (text/event-stream)")
async def live(
    hall: HallDep,
    staff: HallListener,  # the hall's people, or a manager of a hall above (its overview)
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=64)] = None,
) -> StreamingResponse:
    stream = sse.hall_stream(services.hub, hall, last_event_id)
    return StreamingResponse(stream, media_type=sse.MEDIA_TYPE, headers=sse.HEADERS)
