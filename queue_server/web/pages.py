"""The window's browser pages: the counter console, the managers' pages (case supervision, the live
overview, statistics, staff evaluation), the citizen's ticket page, the A4 documents, and their static
files (served from here: halls run without the Internet).

Pages are static HTML shells; a small vanilla script fetches the JSON API and listens to the live
channel. Values put into a shell are HTML-escaped. The chart library (ECharts) is installed from the
npm registry at set-up (``npm ci`` in this folder, run by scripts/bootstrap) and served from
``node_modules``: never a CDN, never a copy in the repository.
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
from queue_server.web import vendor

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


# The managers' pages, in the order of their bar: template, path, title.
MANAGER_PAGES = (
    ("manage.html", "/console/manage", "办件督办"),
    ("overview.html", "/console/overview", "大厅总览"),
    ("stats.html", "/console/stats", "统计分析"),
    ("evaluation.html", "/console/evaluation", "人员考核"),
    ("catalog_admin.html", "/console/catalog", "事项目录"),  # administrators
    ("admin_hall.html", "/console/admin", "大厅设置"),  # administrators
)


@cache
def _managers_bar(name: str) -> str:
    """The bar and sign-in form every manager's page shares, with ``name``'s page marked current
    (still holding ``{{hall}}``: the page's values are put in after it)."""
    links = []
    title = ""
    for template, path, label in MANAGER_PAGES:
        current = ' class="active" aria-current="page"' if template == name else ""
        links.append(f'    <a href="{path}?hall={{{{hall}}}}"{current}>{label}</a>')
        title = label if template == name else title
    bar = _template("managers_bar.html").replace("{{page_title}}", title)
    return bar.replace("{{page_links}}", "\n".join(links))


def _page(name: str, *, markup: dict[str, str] | None = None, **values: str) -> HTMLResponse:
    """The template with ``values`` put in HTML-escaped and ``markup`` (built here, trusted) as is."""
    html = _template(name).replace("{{version}}", VERSION)
    if "{{managers_bar}}" in html:
        html = html.replace("{{managers_bar}}", _managers_bar(name))
    for key, value in values.items():
        html = html.replace("{{" + key + "}}", escape(value))
    for key, value in (markup or {}).items():
        html = html.replace("{{" + key + "}}", value)
    return HTMLResponse(html, headers=NO_STORE)


@router.get("/console", response_class=HTMLResponse)
def console_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("console.html", hall=hall or services.settings.hall)


@router.get("/console/manage", response_class=HTMLResponse)
def manage_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("manage.html", hall=hall or services.settings.hall)


@router.get("/console/overview", response_class=HTMLResponse)
def overview_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("overview.html", hall=hall or services.settings.hall)


@router.get("/console/stats", response_class=HTMLResponse)
def stats_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("stats.html", markup={"charts": vendor.chart_tag()}, hall=hall or services.settings.hall)


@router.get("/console/evaluation", response_class=HTMLResponse)
def evaluation_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("evaluation.html", hall=hall or services.settings.hall)


@router.get("/console/admin", response_class=HTMLResponse)
def admin_hall_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    """The administrators' hall settings: services, windows, staff, hours, thresholds, policies."""
    return _page("admin_hall.html", hall=hall or services.settings.hall)


@router.get("/console/guide", response_class=HTMLResponse)
def guide_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    return _page("guide.html", hall=hall or services.settings.hall)


@router.get("/console/guide/slips/{ticket_id}", response_class=HTMLResponse)
def guide_slip(ticket_id: str, staff: CurrentStaff, services: ServicesDep) -> HTMLResponse:
    """A reprinted ticket (the reprint itself is recorded by ``POST …/guide/tickets/{id}/reprint``)."""
    return HTMLResponse(services.guide_slip(staff.hall, ticket_id, actor=staff.actor), headers=NO_STORE)


@router.get("/book", response_class=HTMLResponse)
def booking_page(services: ServicesDep, hall: HallQuery = None) -> HTMLResponse:
    """The public booking pages (预约办事): relative URLs only, so a government portal may serve them
    under its own prefix."""
    return _page("booking.html", hall=hall or services.settings.hall, tz=services.settings.tz)


@router.get("/static/vendor/{name}")
def vendor_file(name: str) -> Response:
    return vendor.serve(name)


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
