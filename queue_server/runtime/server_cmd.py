"""``hallq server``: the queue server (HTTP API, and the MQTT bridge when its door module is present).

Boot sequence, one step per line in ``serve``: settings, database (migrated), services, doors
(MQTT), HTTP app, uvicorn. ``--print-openapi`` prints the API description and touches nothing.

MQTT hook: if ``queue_server.mqtt.door`` exists, ``start(settings, services)`` is called and must
return an object with ``announcers`` (a sequence of ``Announcer``) and ``stop()``; its announcers are
handed to ``create_app``. Without that module the server runs HTTP only and says so.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, cast

from queue_server.services.ports import Announcer

log = logging.getLogger(__name__)

DOOR_MODULE = "queue_server.mqtt.door"


class Door(Protocol):
    @property
    def announcers(self) -> Sequence[Announcer]: ...

    def stop(self) -> None: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML settings file (else $HALLQ_CONFIG)")
    parser.add_argument("--db", help="database URL (overrides HALLQ_DATABASE_URL)")
    parser.add_argument("--host", help="HTTP listen address (overrides HALLQ_HTTP_HOST)")
    parser.add_argument("--port", type=int, help="HTTP port (overrides HALLQ_HTTP_PORT)")
    parser.add_argument("--print-openapi", action="store_true", help="print the OpenAPI JSON and exit")


def run(args: argparse.Namespace) -> int:
    from queue_server.settings import load_settings

    overrides: dict[str, Any] = {}
    if args.db:
        overrides["database_url"] = args.db
    if args.host:
        overrides["http_host"] = args.host
    if args.port:
        overrides["http_port"] = args.port
    settings = load_settings(args.config, **overrides)
    if args.print_openapi:
        sys.stdout.write(openapi_json(settings) + "\n")
        return 0
    serve(settings)
    return 0


def openapi_json(settings: Any) -> str:
    """The OpenAPI document of the HTTP API, built without opening any database."""
    from queue_server.api import create_app
    from queue_server.services.hall import Services
    from queue_server.store import make_engine

    engine = make_engine("sqlite://")
    try:
        app = create_app(settings, Services(engine, settings))
        return json.dumps(app.openapi(), ensure_ascii=False, indent=2)
    finally:
        engine.dispose()


def serve(settings: Any) -> None:
    import uvicorn

    from queue_server.api import create_app
    from queue_server.services.hall import Services
    from queue_server.store import init_db

    engine = init_db(settings.database_url)
    services = Services(engine, settings)
    door = start_door(settings, services)
    app = create_app(settings, services, door.announcers if door else ())
    log.info("HTTP API on http://%s:%d/docs", settings.http_host, settings.http_port)
    try:
        uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_level="info")
    finally:
        if door is not None:
            door.stop()
        engine.dispose()


def start_door(settings: Any, services: Any) -> Door | None:
    """Start the MQTT door if its module is installed (see the module docstring for the contract)."""
    try:
        module = importlib.import_module(DOOR_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != DOOR_MODULE:
            raise
        log.warning("%s not found: serving HTTP only, no MQTT bridge", DOOR_MODULE)
        return None
    return cast(Door, module.start(settings, services))
