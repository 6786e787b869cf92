"""``create_app(settings, services, announcers)``: the HTTP door, given everything it serves.

Nothing is created at import time; a test builds a whole hall and its API in two lines. Announcers
(the MQTT bridge, a live web channel) are attached to the services here, so whoever starts the
server hands them over in one place.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from fastapi import APIRouter, FastAPI

from queue_server.services.hall import Services
from queue_server.services.ports import Announcer
from queue_server.settings import Settings

from . import problems
from .routes import appointments, auth, hall, stats, tickets, windows

VERSION = "0.1.0"
DESK_MODULE = "queue_server.api.routes.desk"


def create_app(
    settings: Settings,
    services: Services,
    announcers: Iterable[Announcer] = (),
    routers: Iterable[APIRouter] | None = None,
) -> FastAPI:
    """The API over ``services``. ``routers`` come after the core's; None means the window desk's
    (``queue_server.api.routes.desk``: console, cases, documents, pages) when that module exists."""
    app = FastAPI(
        title="hallq queue server",
        version=VERSION,
        description="Queue management of a government service hall (政务服务中心): tickets, windows, "
        "appointments, statistics. Errors are RFC 7807 problems with a stable `code`.",
    )
    app.state.settings = settings
    app.state.services = services
    for announcer in announcers:
        services.add_announcer(announcer)
    problems.install(app)
    for module in (auth, hall, tickets, windows, appointments, stats):
        app.include_router(module.router)
    for router in default_routers() if routers is None else routers:
        app.include_router(router)
    return app


def default_routers() -> list[APIRouter]:
    try:
        desk = importlib.import_module(DESK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DESK_MODULE:
            raise
        return []
    router: APIRouter = desk.router
    return [router]
