"""``hallq up``: a whole demo hall on this machine, started in order and stopped in reverse.

The boot sequence is :func:`up`, one step per line: settings → database (SQLite under ``--data-dir``)
with migrations → the demo hall file → the broker (a private mosquitto on 127.0.0.1, else amqtt) →
services → MQTT bridge → HTTP server (uvicorn in a thread) → device simulators (``--simulate-devices``)
→ screens (a kiosk and a hall display when there is a display) → the URLs, device ids and staff
sign-ins → wait. Ctrl-C or SIGTERM unwinds every step that ran, last first.

Staff passwords: the demo hall's people have no password source, so the first start generates one
each, prints them once and keeps them in ``{data-dir}/demo-passwords.txt`` (owner-only); with
``HALLQ_DEMO_PASSWORD`` set, every account created is given that password instead. A later start
never resets a password. The demo hall keeps its real opening hours; ``--always-open`` lifts them
(hall and services open around the clock, rest days too) to try it at any hour.

The device programs belong to other packages and run as subprocesses of their own commands, each
given only the options its parser declares (``--broker``, ``--hall``, ``--device-id``, ``--window``,
``--data-dir``), logging to ``{data-dir}/devices/{device_id}.log``:

- ``--simulate-devices``: ``hallq agent --simulate-devices`` for every window agent of the hall
  (keypad, rating pad and LED sign simulated on ptys), and the kiosk's simulated printer and scanner;
- screens, when ``$DISPLAY`` is set and not ``--no-screens``: ``hallq kiosk`` (the first kiosk) and
  ``hallq display`` (the hall display).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from queue_server.heap import return_large_blocks, settle_heap
from queue_server.runtime.devices import devices_of, open_screens, start_simulators
from queue_server.runtime.steps import step

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from queue_server.halls import HallFile
    from queue_server.halls.load_base import LoadReport
    from queue_server.mqtt.door import MqttDoor
    from queue_server.runtime.broker import RunningBroker
    from queue_server.services import Services
    from queue_server.services.queue.reminders import ReminderJob
    from queue_server.services.supervision.monitor import SupervisionMonitor
    from queue_server.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

PASSWORDS_FILE = "demo-passwords.txt"
HTTP_START_TIMEOUT_S = 15.0


class UpError(RuntimeError):
    """A step could not run; the message tells the user what to change."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument(
        "--mqtt-port",
        type=int,
        default=None,
        help="port of the hall's own broker on 127.0.0.1 (default 1883, or a free one if 1883 is taken)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path("var"), help="database, broker files, passwords (default ./var)"
    )
    parser.add_argument("--no-screens", action="store_true", help="do not open a kiosk and a hall display")
    parser.add_argument(
        "--simulate-devices", action="store_true", help="run simulated printers, keypads, rating pads, signs"
    )
    parser.add_argument(
        "--always-open",
        action="store_true",
        help="ignore the demo hall's opening hours: tickets can be taken at any hour (a try-out)",
    )


def run(args: argparse.Namespace) -> int:
    # SIGTERM (systemd, docker stop, a test) unwinds exactly like Ctrl-C. SIGINT is set too: a shell
    # without job control starts background commands with it ignored, and Ctrl-C must still work.
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    if not getattr(args, "verbose", False):
        # The progress lines are the story; migration and connection chatter would break them up.
        # Warnings still show; -v shows everything.
        logging.getLogger().setLevel(logging.WARNING)
    try:
        return up(args)
    except KeyboardInterrupt:
        print("hallq up: stopped", flush=True)
        return 0
    except UpError as exc:
        print(f"hallq up: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def up(args: argparse.Namespace) -> int:
    """The boot sequence. Each started part registers its stop; leaving the block stops them in reverse."""
    data_dir: Path = args.data_dir.resolve()
    return_large_blocks()  # as `hallq server` does (queue_server/heap.py)
    with contextlib.ExitStack() as started:
        settings = step("settings", lambda: up_settings(args, data_dir))
        engine = step("database", lambda: open_database(settings), started, "dispose")
        hall, report = step("demo hall", lambda: load_demo_hall(engine, data_dir))
        if args.always_open:
            step("opening hours lifted", lambda: lift_opening_hours(engine, hall.hall.code))
        broker = step("broker", lambda: start_hall_broker(args.mqtt_port, data_dir), started)
        services = step("services", lambda: make_services(engine, settings))
        door = step(
            "MQTT bridge", lambda: open_mqtt_door(broker, services, hall.hall.code, settings), started
        )
        app = step("HTTP API", lambda: make_app(settings, services, door))
        step("supervision", lambda: start_supervision(services), started)
        step("appointment reminders", lambda: start_reminders(services), started)
        http = step(
            "HTTP server", lambda: HttpServer.start(app, settings.http_host, settings.http_port), started
        )
        if args.simulate_devices:
            step("device simulators", lambda: start_simulators(broker.url, hall, data_dir), started)
        if not args.no_screens:
            step("screens", lambda: open_screens(broker.url, hall, data_dir, args.simulate_devices), started)
        settle_heap()  # everything is up: keep it out of the collector's pauses (queue_server/heap.py)
        print_summary(settings, hall, report, broker, app, data_dir, services)
        wait_for_stop(http)


def up_settings(args: argparse.Namespace, data_dir: Path) -> Settings:
    from queue_server.halls import read_hall_file
    from queue_server.halls.validate import DEMO_HALL_PATH
    from queue_server.runtime.broker import port_is_free
    from queue_server.settings import Environment, load_settings

    # Fail before doing any work: a taken port is the commonest reason `hallq up` cannot run.
    if not port_is_free(args.port):
        raise UpError(f"port 127.0.0.1:{args.port} is already in use: pass another --port")
    if args.mqtt_port is not None and not port_is_free(args.mqtt_port):
        raise UpError(f"port 127.0.0.1:{args.mqtt_port} is already in use: pass another --mqtt-port")
    hall_code = read_hall_file(DEMO_HALL_PATH).hall.code
    base = f"http://127.0.0.1:{args.port}"
    return load_settings(
        # The one command that runs as development: a demo on loopback, signed with the built-in secret
        # even when the shell carries a hall's production settings (hallq server refuses that secret).
        environment=Environment.DEVELOPMENT,
        database_url=f"sqlite:///{data_dir / 'hallq.db'}",
        hall=hall_code,
        http_host="127.0.0.1",
        http_port=args.port,
        public_base_url=base,
    )


def open_database(settings: Settings) -> Engine:
    from queue_server.store import init_db

    return init_db(settings.database_url)


def load_demo_hall(engine: Engine, data_dir: Path) -> tuple[HallFile, LoadReport]:
    from queue_server.halls import read_hall_file
    from queue_server.halls.loader import load_hall
    from queue_server.halls.passwords import PasswordError
    from queue_server.halls.validate import DEMO_HALL_PATH

    hall = read_hall_file(DEMO_HALL_PATH)
    try:
        report = load_hall(engine, hall)
    except PasswordError as exc:  # e.g. HALLQ_DEMO_PASSWORD too short
        raise UpError(f"staff passwords: {exc}") from None
    if report.generated_passwords:
        # Shown once on screen; kept beside the database (owner-only) for whoever missed the output.
        path = data_dir / PASSWORDS_FILE
        path.touch(mode=0o600, exist_ok=True)
        lines = [f"{login} {pw}" for login, pw in sorted(report.generated_passwords.items())]
        with path.open("a") as f:
            f.write("\n".join(lines) + "\n")
    return hall, report


def lift_opening_hours(engine: Engine, hall_code: str) -> None:
    """Open the hall and all its services around the clock, rest days included (``--always-open``).

    Only the database copy changes: the next start without the flag loads the hall file's hours again.
    """
    from sqlmodel import Session, select

    from queue_server.store.tables import Hall, Service

    all_day = [["00:00", "23:59"]]
    with Session(engine) as session, session.begin():
        hall = session.exec(select(Hall).where(Hall.code == hall_code)).one()
        hall.schedule = {str(day): all_day for day in range(7)}
        hall.rest_day_schedule = all_day
        for service in session.exec(select(Service).where(Service.hall_id == hall.id)):
            service.schedule = service.rest_day_schedule = None  # the hall's hours, now all day
            service.cutoff_min = 0
            session.add(service)
        session.add(hall)


def start_hall_broker(port: int | None, data_dir: Path) -> RunningBroker:
    from queue_server.runtime.broker import DEFAULT_PORT, BrokerError, free_port, port_is_free, start_broker

    if port is None:
        port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port()
    try:
        return start_broker(port, data_dir / "broker")
    except BrokerError as exc:
        raise UpError(str(exc)) from None


def make_services(engine: Engine, settings: Settings) -> Services:
    from queue_server.services import Services

    return Services(engine, settings)


def open_mqtt_door(broker: RunningBroker, services: Services, hall: str, settings: Settings) -> MqttDoor:
    from queue_server.mqtt.door import default_workers, open_door

    workers = default_workers(settings.database_url)
    return open_door(broker.address, services, [hall], instance=settings.instance, workers=workers)


def start_supervision(services: Services) -> SupervisionMonitor:
    """The alerts of the running hall (after the doors: it tells their announcers)."""
    services.supervision.start()
    return services.supervision


def start_reminders(services: Services) -> ReminderJob:
    """Appointment reminders before each slot, through the notifier (the log unless configured)."""
    services.reminders.start()
    return services.reminders


def make_app(settings: Settings, services: Services, door: MqttDoor) -> FastAPI:
    from queue_server.api import create_app
    from queue_server.cluster.serve import Serving

    # create_app attaches the bridge's announcer to the services: calls and state reach the screens.
    app = create_app(settings, services, door.announcers)
    # The readiness probes read what ``hallq server`` gives them: the hall served, the broker link.
    # Never leases here (one demo hall on SQLite), whatever the shell's settings say.
    app.state.serving = Serving(settings.instance, door.bridge)
    return app


@dataclass
class HttpServer:
    """uvicorn in a thread of this process, so the whole hall stops together."""

    server: Any
    thread: threading.Thread

    @classmethod
    def start(cls, app: FastAPI, host: str, port: int) -> HttpServer:
        import uvicorn

        from queue_server.runtime.broker import port_is_free
        from queue_server.runtime.http_server import HallqServer

        if not port_is_free(port, host):
            raise UpError(f"port {host}:{port} is already in use: pass another --port")
        # HallqServer ends the consoles' open live streams as it shuts down: uvicorn would wait for them.
        server = HallqServer(uvicorn.Config(app, host=host, port=port, log_level="warning"), app)
        thread = threading.Thread(target=server.run, name="hallq-http", daemon=True)
        thread.start()
        deadline = time.monotonic() + HTTP_START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise UpError(f"the HTTP server did not start on {host}:{port}")
            time.sleep(0.02)
        return cls(server, thread)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self) -> None:
        from queue_server.runtime.http_server import close_live_streams

        # Open consoles' event streams first (their browsers reconnect later): uvicorn waits for them.
        close_live_streams(self.server.hallq_app)
        self.server.should_exit = True
        self.thread.join(10)


# --- the end of the sequence ------------------------------------------------------------------------


def urls(base: str) -> dict[str, str]:
    """The addresses to print."""
    return {
        "HTTP API": f"{base}/api",
        "OpenAPI docs": f"{base}/docs",
        "counter console": f"{base}/console",
        "manager pages": f"{base}/console/manage",
        "guide desk": f"{base}/console/guide",
        "citizen page": f"{base}/t/<ticket token>  (printed as a QR code on each ticket)",
        "booking pages": f"{base}/book",
    }


def print_summary(
    settings: Settings,
    hall: HallFile,
    report: LoadReport,
    broker: RunningBroker,
    app: FastAPI,
    data_dir: Path,
    services: Services | None = None,
) -> None:
    out: list[str] = ["", f"hallq up: {hall.hall.name} ({hall.hall.code}) is running", ""]
    for name, url in urls(settings.public_base_url).items():
        out.append(f"  {name:<18} {url}")
    out.append(f"  {'MQTT broker':<18} {broker.url}  ({broker.kind}, 127.0.0.1 only)")
    out.append(f"  {'database':<18} {settings.database_url}")
    out += ["", "  devices (MQTT client id = device id):"]
    for device_id, kind, window in devices_of(hall):
        out.append(f"    {device_id:<22} {kind:<15} {('window ' + window) if window else ''}".rstrip())
    out += ["", *sign_in_lines(settings.public_base_url, hall, report, data_dir, os.environ)]
    if services is not None and not _open_now(services, hall.hall.code):
        out += [
            "",
            "  the hall is closed at this hour (its opening hours): tickets are refused until it opens;",
            "  start with --always-open to try it at any hour",
        ]
    out += ["", "hallq up: ready — Ctrl-C stops everything", ""]
    print("\n".join(out), flush=True)


def sign_in_lines(
    base: str, hall: HallFile, report: LoadReport, data_dir: Path, environ: Mapping[str, str]
) -> list[str]:
    """Who can sign in at the counter console, and where their password is."""
    from queue_server.halls.passwords import DEMO_PASSWORD_ENV

    generated = report.generated_passwords
    created_now = report.created.get("staff", 0) > 0
    passwords_file = data_dir / PASSWORDS_FILE
    if generated:
        where = f"passwords of the staff accounts created now, shown once; also in {passwords_file}"
    elif created_now and environ.get(DEMO_PASSWORD_ENV):
        where = f"staff accounts created now with the password in ${DEMO_PASSWORD_ENV}"
    elif passwords_file.exists():
        where = f"passwords in {passwords_file}"
    else:
        where = "passwords as set when the accounts were made (e.g. $" + DEMO_PASSWORD_ENV + ")"
    out = [f"  staff sign-in at {base}/console ({where}):"]
    for person in hall.staff:
        columns = [f"{person.login:<12}"]
        if generated:
            columns.append(f"{generated.get(person.login, '(earlier)'):<14}")
        columns.append(f"{person.role!s:<8}")
        if person.windows:
            columns.append(f"windows {', '.join(person.windows)}")
        out.append(("    " + " ".join(columns)).rstrip())
    return out


def _open_now(services: Services, hall: str) -> bool:
    try:
        return services.hall_state(hall).open
    except Exception:  # the summary must not fail on it; the hall's state shows up in the logs
        log.exception("hall %s: state not readable", hall)
        return True


def wait_for_stop(http: HttpServer) -> NoReturn:
    """Block until Ctrl-C / SIGTERM (KeyboardInterrupt), or until the HTTP server dies on its own."""
    while http.alive:
        time.sleep(0.5)
    raise UpError("the HTTP server stopped unexpectedly")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
