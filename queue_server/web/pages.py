"""The window's browser pages: the counter console, the managers' window page, the citizen's ticket
page, the A4 documents, and their static files (served from here: halls run without the Internet).

Pages are static HTML shells; a small vanilla script fetches the JSON API and listens to the live
channel. Values put into a shell are HTML-escaped.
"""

from __future__ import annotations

from functools import cache
from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from queue_server.api.deps import CitizenToken, CurrentStaff, ServicesDep
from queue_server.errors import NotFoundError

HERE = Path(__file__).parent
STATIC = HERE / "static" / "window"
TEMPLATES = HERE / "templates"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Pages change with the server; never let a browser keep an old one.
NO_STORE = {"Cache-Control": "no-store"}
VERSION = "1"

router = APIRouter(include_in_schema=False)

HallQuery = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]


@cache
def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _page(name: str, **values: str) -> HTMLResponse:
    html = _template(name).replace("{{version}}", VERSION)
    for key, value in values.items():
        html = html.replace("{{" + key + "}}", escape(value))
    return HTMLResponse(html, headers=NO_STORE)


@router.get("/console", response_class=HTMLResponse)
def console_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("console.html", hall=hall or services.settings.hall)


@router.get("/console/manage", response_class=HTMLResponse)
def manage_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("manage.html", hall=hall or services.settings.hall)


@router.get("/console/documents/{document_id}", response_class=HTMLResponse)
def staff_document(document_id: int, staff: CurrentStaff, services: ServicesDep) -> HTMLResponse:
    return HTMLResponse(services.document_page(staff.hall, document_id), headers=NO_STORE)


@router.get("/t/{token}", response_class=HTMLResponse)
def citizen_page(token: CitizenToken) -> HTMLResponse:
    return _page("citizen.html", token=token)


@router.get("/t/{token}/documents/{document_id}", response_class=HTMLResponse)
def citizen_document(token: CitizenToken, document_id: int, services: ServicesDep) -> HTMLResponse:
    return HTMLResponse(services.citizen_document(token, document_id), headers=NO_STORE)


@router.get("/static/window/{name}")
def static_file(name: str) -> Response:
    path = STATIC / name
    media = STATIC_TYPES.get(path.suffix)
    if media is None or path.name != name or not path.is_file():
        raise NotFoundError("未找到该文件。", what="static")
    return Response(path.read_bytes(), media_type=media, headers={"Cache-Control": "no-cache"})
