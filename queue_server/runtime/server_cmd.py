"""``hallq server``: the queue server, HTTP API and MQTT bridge in one process.

Boot sequence, one step per line in ``serve``: settings, database (migrated), services, doors
(MQTT), HTTP app, supervision (the alerts of the running hall), uvicorn. ``--print-openapi``
prints the API description and touches nothing.

An expected failure on the way up (HTTP port or embedded broker port taken, database unreachable,
settings invalid) prints one line, ``hallq server: …``, and exits 1; only a bug shows a traceback.
The server is production unless ``HALLQ_ENVIRONMENT`` says otherwise, and in every environment it
refuses to start without a readable secret key file: one line naming ``HALLQ_SECRET_KEY_FILE``, exit
2 (the built-in development secret belongs to ``hallq up`` alone).

On SIGINT/SIGTERM the live streams are closed before uvicorn waits for its open responses
(``runtime/http_server.py``), then the MQTT door stops, then the database.

The MQTT door (``queue_server.mqtt.door.start``) is imported when the server starts, not at import
time, so ``--print-openapi`` needs no broker library loaded.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from queue_server.services.ports import Announcer
from queue_server.web import vendor

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from queue_server.city.shipper import CityShipper
    from queue_server.cluster.keeper import LeaseKeeper
    from queue_server.cluster.serve import Serving
    from queue_server.services import Services
    from queue_server.settings import Settings
    from queue_server.store.engine import DbTimeouts

log = logging.getLogger(__name__)


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


class StartupError(Exception):
    """An expected reason the server cannot start (port taken, database down, bad settings): the
    message is all the user needs, printed as one line without a traceback."""

    exit_code = 1


class SecretMissingError(StartupError):
    """No usable secret key file: tokens would be signed with a key anyone can read in this repository."""

    exit_code = 2


def run(args: argparse.Namespace) -> int:
    # SIGTERM (systemd, docker stop) unwinds like Ctrl-C: uvicorn stops on either, then raises the
    # signal again under the handler it found; the default SIGTERM handler would end the process
    # there, before the MQTT door says offline and the database is closed.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        settings = read_settings(args)
        if args.print_openapi:
            sys.stdout.write(openapi_json(settings) + "\n")
            return 0
        serve(settings)
    except StartupError as exc:
        print(f"hallq server: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        log.info("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def read_settings(args: argparse.Namespace) -> Settings:
    from pydantic import ValidationError

    from queue_server.settings import SECRET_MISSING, load_settings

    overrides: dict[str, Any] = {}
    if args.db:
        overrides["database_url"] = args.db
    if args.host:
        overrides["http_host"] = args.host
    if args.port:
        overrides["http_port"] = args.port
    try:
        # --print-openapi signs nothing and opens nothing: it needs no secret file.
        settings = load_settings(args.config, server=not args.print_openapi, **overrides)
    except ValidationError as exc:
        if any(error["type"] == SECRET_MISSING for error in exc.errors()):
            raise SecretMissingError(_KEY_FILE_HELP) from None
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        raise StartupError(f"settings not valid: {problems}") from None
    except (OSError, ValueError) as exc:  # an unreadable or malformed TOML file
        raise StartupError(f"settings not readable: {exc}") from None
    if not args.print_openapi:
        check_secret(settings)
    return settings


_KEY_FILE_HELP = (
    "no secret key file: set HALLQ_SECRET_KEY_FILE to a file of at least 32 random bytes, readable "
    "only by the server's user (hallq provision writes one)"
)


def check_secret(settings: Settings) -> None:
    """SecretMissingError unless the settings name a secret file that can be read and is long enough."""
    if settings.secret_key_file is None:
        raise SecretMissingError(_KEY_FILE_HELP)
    try:
        settings.secret_key()
    except (OSError, ValueError) as exc:
        raise SecretMissingError(f"HALLQ_SECRET_KEY_FILE not usable: {exc}") from None
    mode = settings.secret_key_file.stat().st_mode
    if mode & 0o077:
        log.warning(
            "%s is readable by others (mode %o): chmod 600 it", settings.secret_key_file, mode & 0o777
        )


def openapi_json(settings: Settings) -> str:
    """The OpenAPI document of the HTTP API, built without opening any database."""
    from queue_server.api import create_app
    from queue_server.services import Services
    from queue_server.store import make_engine

    engine = make_engine("sqlite://")
    try:
        app = create_app(settings, Services(engine, settings))
        return json.dumps(app.openapi(), ensure_ascii=False, indent=2)
    finally:
        engine.dispose()


def _problem(loc: tuple[int | str, ...], message: str) -> str:
    # pydantic says "Value error, …" for a validator's own message; the field (if any) says enough.
    message = message.removeprefix("Value error, ")
    field = ".".join(str(part) for part in loc)
    return f"{field}: {message}" if field else message


def serve(settings: Settings) -> None:
    """Database, services, MQTT door, HTTP until SIGINT/SIGTERM; then stop in reverse order.

    Expected failures on the way up raise :class:`StartupError`, after undoing what was started.
    """
    from queue_server.api import create_app
    from queue_server.cluster.serve import held_halls
    from queue_server.heap import return_large_blocks, settle_heap
    from queue_server.runtime.broker import port_is_free
    from queue_server.runtime.http_server import HallqServer
    from queue_server.services import Services

    # Checked first: a taken port is the commonest reason, and nothing has been started yet.
    if not port_is_free(settings.http_port, settings.http_host):
        raise StartupError(
            f"port {settings.http_host}:{settings.http_port} is already in use: "
            "pass another --port (or set HALLQ_HTTP_PORT)"
        )
    check_https(settings)
    return_large_blocks()  # a sign-in's 16 MiB scrypt is given back, not kept (queue_server/heap.py)
    engine = open_database(settings.database_url, db_timeouts(settings))
    try:
        try:
            services = Services(engine, settings)
        except (OSError, ValueError) as exc:  # the secret key file is missing or too short
            raise StartupError(f"secret key: {exc}") from None
        door = open_mqtt(settings, services)
        keeper = None
        shipper = None
        try:
            app = create_app(settings, services, door.announcers)
            vendor.check()  # a missing chart library is logged at start, not at the first page view
            # The city topology: this instance's share of the halls, every write fenced.
            keeper, app.state.serving = serving(settings, services, door)
            # Supervision tells the announcers create_app attached: it starts after them.
            services.supervision.start(held_halls(keeper) if keeper is not None else None)
            services.retention.start()  # phones, ID hashes, old request ids: deleted hourly
            services.reminders.start()  # appointment reminders before each slot (the notifier)
            # A hall appliance with a city: its changes shipped there (docs/city.md).
            app.state.city_shipper = shipper = start_city_link(settings, engine)
            config = http_config(settings, app)
            settle_heap()  # everything is up: keep it out of the collector's pauses
            # Ctrl-C / SIGTERM: uvicorn stops; HallqServer ends the open live streams first, so the
            # shutdown does not wait for them to reach their maximum age.
            HallqServer(config, app).run()
        finally:
            if shipper is not None:
                shipper.stop()
            services.reminders.stop()
            services.retention.stop()
            services.supervision.stop()
            if keeper is not None:
                keeper.stop()  # the halls handed over before the door says offline
            door.stop()
            # How many writes each committed transaction carried: the operator's (and the benchmark's)
            # view of the group commit under the day's load.
            log.info("group commit: %s", json.dumps(sorted(services.runner.batch_sizes.items())))
    finally:
        engine.dispose()


def serving(settings: Settings, services: Services, door: Door) -> tuple[LeaseKeeper | None, Serving]:
    """With ``leases``, the lease keeper started (queue_server/cluster/); what the readiness probes read."""
    from queue_server.cluster.serve import HallDoor, Serving, start_leases

    hall_door = getattr(door, "bridge", None)
    hall_door = hall_door if isinstance(hall_door, HallDoor) else None
    keeper = start_leases(settings, services, hall_door) if settings.leases else None
    return keeper, Serving(settings.instance, hall_door, keeper)


def start_city_link(settings: Settings, engine: Engine) -> CityShipper | None:
    """With ``city_url``, the shipper of the hall's outbox to the city, started (queue_server/city/).
    On SQLite the hall is linked (outbox triggers on, its history seeded once) or unlinked to match."""
    from datetime import UTC, datetime

    from queue_server.city import capture

    wanted = settings.city_url is not None and settings.city_credential_file is not None
    if engine.dialect.name == "sqlite":
        seeded = capture.configure(engine, settings.hall, wanted, datetime.now(UTC))
        if seeded is not None:
            log.info("city link: hall %s linked, its history (%d rows) queued", settings.hall, seeded)
    if settings.city_url is None or settings.city_credential_file is None:
        return None
    from queue_server.city.shipper import make_shipper

    if engine.dialect.name != "sqlite":
        # A hall on PostgreSQL is city-hosted: it has no outbox (city/capture.py), nothing to ship.
        raise StartupError("city_url is for a hall appliance on SQLite; this database is not SQLite")
    try:
        shipper = make_shipper(
            engine,
            settings.hall,
            settings.city_url,
            settings.city_credential_file,
            ca_file=settings.city_ca_file,
            batch_size=settings.city_batch_size,
            interval_s=settings.city_ship_interval_s,
        )
    except (OSError, IndexError) as exc:
        raise StartupError(f"city credential {settings.city_credential_file}: {exc or 'empty'}") from None
    shipper.start()
    return shipper


def db_timeouts(settings: Settings) -> DbTimeouts:
    from queue_server.store.engine import DbTimeouts

    return DbTimeouts(settings.db_connect_timeout_s, settings.db_statement_timeout_s)


def open_database(url: str, timeouts: DbTimeouts | None = None) -> Engine:
    """The migrated database; StartupError (password hidden) when it cannot be reached or upgraded."""
    from alembic.util.exc import CommandError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from queue_server.errors import UnavailableError
    from queue_server.store import init_db

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except SQLAlchemyError:
        raise StartupError(f"database URL not understood: {url!r}") from None
    try:
        return init_db(url, timeouts, parallel=False)  # a serving process: store/engine.py NO_PARALLEL
    except (SQLAlchemyError, CommandError, OSError, UnavailableError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartupError(f"database {shown} not usable: {reason}") from None


def open_mqtt(settings: Settings, services: Services) -> Door:
    from queue_server.runtime.broker import BrokerError

    try:
        return start_door(settings, services)
    except BrokerError as exc:
        raise StartupError(f"MQTT broker: {exc}") from None
    except OSError as exc:  # e.g. the embedded broker's directory cannot be written
        raise StartupError(f"MQTT broker {settings.broker_url}: {exc}") from None


def start_door(settings: Settings, services: Services) -> Door:
    """Start the MQTT door (``queue_server.mqtt.door``): the bridge and its announcers."""
    from queue_server.mqtt.door import start

    return start(settings, services)


def check_https(settings: Settings) -> None:
    """An unusable HTTPS certificate (missing, unreadable, not matching its key) is a StartupError
    line before anything starts, not a traceback from inside uvicorn once everything has."""
    import ssl

    cert, key = settings.http_cert_file, settings.http_key_file
    if cert is None:
        return
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except OSError as exc:  # ssl.SSLError is one
        raise StartupError(f"HTTPS certificate {cert}: {exc}") from None


def http_config(settings: Settings, app: FastAPI) -> uvicorn.Config:
    """uvicorn's configuration: HTTPS with ``http_cert_file`` and ``http_key_file`` when they are set."""
    import uvicorn

    cert, key = settings.http_cert_file, settings.http_key_file
    scheme = "https" if cert is not None else "http"
    log.info("HTTP API on %s://%s:%d/docs", scheme, settings.http_host, settings.http_port)
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_level="info",
        ssl_certfile=str(cert) if cert is not None else None,
        ssl_keyfile=str(key) if key is not None else None,
    )
