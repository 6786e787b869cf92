"""``create_app(settings, services, announcers)``: the HTTP door, given everything it serves.

Nothing is created at import time; a test builds a whole hall and its API in two lines. Announcers
(the MQTT bridge) are attached to the services here, so whoever starts the server hands them over in
one place.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI

from queue_server.services import Services
from queue_server.services.ports import Announcer
from queue_server.settings import Settings
from queue_server.web import catalog_pages, pages
from queue_server.web.sse import StreamCaps

from . import hardening, problems
from .routes import (
    admin_hall,
    appointments,
    auth,
    cases,
    catalog_admin,
    citizen,
    city,
    console,
    documents,
    door,
    guide,
    hall,
    health,
    live,
    materials,
    overview,
    policies,
    ratings,
    rectification,
    special,
    stats,
    supervision,
    tickets,
    windows,
)

VERSION = "0.1.0"

ROUTERS = (
    admin_hall,
    auth,
    hall,
    health,
    tickets,
    windows,
    appointments,
    stats,
    console,
    cases,
    documents,
    citizen,
    ratings,
    rectification,
    special,
    door,
    live,
    overview,
    supervision,
    guide,
    materials,
    catalog_admin,
    catalog_pages,
    pages,
    policies,
    city,
)


def create_app(settings: Settings, services: Services, announcers: Iterable[Announcer] = ()) -> FastAPI:
    """The API over ``services``: every router, the problem mapping, the announcers attached."""
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
    # Security headers, body cap, live-stream caps: before any route sees the request.
    app.state.live_streams = StreamCaps()
    # A page from the kiosk's document camera is the one body bigger than a JSON request.
    larger = {**hardening.LARGER_BODIES, materials.UPLOAD_PREFIX: settings.material_image_max_bytes}
    larger[city.INGEST_PATH] = city.BATCH_MAX_BYTES  # a hall appliance's batch of changes
    app.add_middleware(hardening.Hardening, streams=app.state.live_streams, larger=larger)
    for module in ROUTERS:
        app.include_router(module.router)
    return app
