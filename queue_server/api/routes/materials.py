"""Pages of materials captured at the kiosk: the kiosk uploads with the ticket's token (raw image body),
the citizen sees their own, the serving window and managers see and judge them.

The upload's body cap is the hardening middleware's (``material_image_max_bytes``, 413 before the body
is read); the type is decided by the bytes (``services/casework/materials.py``). Pages are answered
``private, no-store``: a shared cache or the browser's disk never keeps a citizen's documents.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from queue_server.api.deps import CitizenToken, HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.casework.materials import MAX_PAGE_NO, MaterialPage, MaterialPages

UPLOAD_PREFIX = "/api/materials/"
_NO_STORE = {"Cache-Control": "private, no-store"}

router = APIRouter(tags=["materials"], responses=PROBLEM_RESPONSES)
# A page's id as the databases' integer column takes it (a bigger number is a 422, not a 500).
ImageId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the page's id")]


class MarkRequest(BaseModel):
    reason: str = Field("", max_length=200, description="why the page is wrong; empty takes the mark back")


@router.post(
    "/api/materials/{token}",
    response_model=MaterialPage,
    summary="upload one captured page (body: the JPEG or PNG itself) with the ticket's token",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                m: {"schema": {"type": "string", "format": "binary"}} for m in ("image/jpeg", "image/png")
            },
        }
    },
)
async def upload(
    token: CitizenToken,
    request: Request,
    services: ServicesDep,
    key: RequestId,
    material: Annotated[str, Query(min_length=1, max_length=64, description="the material's code")],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE_NO, description="page of that material, from 1")] = 1,
    content_type: Annotated[str | None, Header()] = None,
) -> MaterialPage:
    data = await request.body()
    return await run_in_threadpool(
        services.upload_material, token, material, page, data, content_type, request_id=key
    )


@router.get("/api/materials/{token}", response_model=MaterialPages, summary="my uploaded pages")
def citizen_pages(token: CitizenToken, services: ServicesDep) -> MaterialPages:
    return services.citizen_materials(token)


@router.get("/api/materials/{token}/{image_id}", summary="one of my pages (the image)")
def citizen_image(token: CitizenToken, image_id: ImageId, services: ServicesDep) -> Response:
    media, data = services.citizen_material_image(token, image_id)
    return Response(content=data, media_type=media, headers=_NO_STORE)


@router.get(
    "/api/halls/{hall}/windows/{window}/materials",
    response_model=MaterialPages,
    summary="the pages of the visit at this window (its staff, managers)",
)
def window_pages(hall: HallDep, window: str, staff: HallStaff, services: ServicesDep) -> MaterialPages:
    return services.window_materials(hall, window, actor=staff.actor)


@router.get(
    "/api/halls/{hall}/materials/{image_id}",
    summary="one page (the image): the window serving the visit, managers",
)
def staff_image(hall: HallDep, image_id: ImageId, staff: HallStaff, services: ServicesDep) -> Response:
    media, data = services.material_image(hall, image_id, actor=staff.actor)
    return Response(content=data, media_type=media, headers=_NO_STORE)


@router.post(
    "/api/halls/{hall}/materials/{image_id}/wrong",
    response_model=MaterialPage,
    summary="mark a page wrong with a reason (it goes into the one-time notice); empty reason unmarks",
)
def mark_wrong(
    hall: HallDep,
    image_id: ImageId,
    body: MarkRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> MaterialPage:
    return services.mark_material(hall, image_id, body.reason, actor=staff.actor, request_id=key)
