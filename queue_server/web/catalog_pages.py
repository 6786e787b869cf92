"""The catalog's browser pages: the administrators' page (``/console/catalog``, a shell with its
script, like the managers' pages) and the public catalog (``/catalog``: no sign-in, server-rendered,
reachable by anyone on the hall network, linked from the QR code of the hall notice)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from queue_server.api.deps import ServicesDep
from queue_server.errors import NotFoundError
from queue_server.web import public_catalog
from queue_server.web.pages import NO_STORE, HallQuery, _page

router = APIRouter(include_in_schema=False)

# A phone or a proxy may keep a public page but asks again before showing it: a publish shows at once.
PUBLIC_CACHE = {"Cache-Control": "no-cache"}


@router.get("/console/catalog", response_class=HTMLResponse)
def catalog_admin_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("catalog_admin.html", hall=hall or services.settings.hall)


@router.get("/catalog", response_class=HTMLResponse)
def catalog_list(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    public = services.public_catalog(hall or services.settings.hall)
    return HTMLResponse(public_catalog.list_page(public), headers=PUBLIC_CACHE)


@router.get("/catalog/notice", response_class=HTMLResponse)
def hall_notice(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    """The hall notice for the wall, with the QR code of the public catalog (A4)."""
    code = hall or services.settings.hall
    public = services.public_catalog(code)
    url = services.settings.public_base_url.rstrip("/") + f"/catalog?hall={code}"
    return HTMLResponse(public_catalog.notice_page(public, public.notice, url), headers=NO_STORE)


@router.get("/catalog/m/{code}", response_class=HTMLResponse)
def catalog_matter(code: str, services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    public = services.public_catalog(hall or services.settings.hall)
    page = public_catalog.matter_page(public, code)
    if page is None:
        raise NotFoundError("未找到该事项，或该事项未公开。", what="matter", matter=code)
    return HTMLResponse(page, headers=PUBLIC_CACHE)
