"""``hallq kiosk``: run the lobby kiosk (Kivy), or drive it through a script and take screenshots.

    hallq kiosk --device-id kiosk-1 --hall demo --broker mqtt://127.0.0.1:1883 --printer tcp://10.0.0.9:9100
    hallq kiosk --simulate-devices --demo-server --screenshot shots/
    hallq kiosk --config /etc/hallq/device.toml

``--config`` reads the device file provisioning wrote (hall, device id, broker, printer); the
other options override it or, without a file, are the whole configuration.

``--screenshot DIR`` walks home → matter → materials → ticket → out of service (with a document
camera, ``--camera-folder``: materials → capture, confirm, retake → options), saves a PNG of each and
checks that every Chinese character on them was drawn with a real glyph. Without a display it
re-runs itself under ``xvfb-run`` (a 1080×1920 virtual screen).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queue_server.protocol.client import BrokerAddress
from queue_server.protocol.device_file import DeviceFileError, load_device_file
from queue_server.protocol.messages import DeviceKind

if TYPE_CHECKING:
    from .ui.app import KioskApp

log = logging.getLogger(__name__)

XVFB_SCREEN = "-screen 0 1080x1920x24"
_REEXEC_ENV = "HALLQ_KIOSK_UNDER_XVFB"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="device.toml written by provisioning")
    parser.add_argument(
        "--device-id",
        help="this kiosk's device id and MQTT client id (overrides the file; default kiosk-1)",
    )
    parser.add_argument("--hall", help="hall code (overrides the file; default demo)")
    parser.add_argument(
        "--broker",
        help="broker URL mqtt://user:pass@host:port, or a comma-separated list of a cluster's nodes "
        "(overrides the file; default mqtt://127.0.0.1:1883)",
    )
    parser.add_argument(
        "--data-dir", type=Path, help="catalog cache, outbox, boot counter (default ~/.local/…)"
    )
    parser.add_argument(
        "--printer",
        help="printer: tcp://HOST[:9100], serial:///dev/ttyUSB0[?baud=9600], file:///dev/usb/lp0",
    )
    parser.add_argument(
        "--printer-width",
        type=int,
        choices=(58, 80),
        help="paper width in mm (overrides the file's [printer] width_mm; default 80)",
    )
    parser.add_argument("--printer-image", action="store_true", help="printer has no Chinese font ROM")
    parser.add_argument("--scanner", help="scanner serial port, e.g. /dev/serial/by-id/…")
    parser.add_argument(
        "--id-reader", help="resident ID card reader (SAM) serial port, e.g. /dev/serial/by-id/…"
    )
    parser.add_argument("--id-reader-baud", type=int, default=115200, help="ID card reader line speed")
    parser.add_argument(
        "--camera", help="document camera (高拍仪, UVC): /dev/v4l/by-id/… or an index; none: no capture step"
    )
    parser.add_argument(
        "--camera-folder",
        type=Path,
        metavar="DIR",
        help="simulated document camera: pictures from DIR (sample pages are written there if it is empty)",
    )
    parser.add_argument(
        "--server-url", help="the server's HTTP address for uploading captured pages (default: the ticket's)"
    )
    parser.add_argument(
        "--simulate-devices",
        action="store_true",
        help="simulated printer, scanner and ID card reader (no hardware)",
    )
    parser.add_argument(
        "--demo-server", action="store_true", help="answer requests with the built-in stand-in server"
    )
    parser.add_argument("--no-voice", action="store_true", help="never speak prompts")
    parser.add_argument("--screenshot", type=Path, metavar="DIR", help="drive the screens, save PNGs, exit")
    parser.add_argument("--drive", type=Path, metavar="SCRIPT", help="run a JSON tap script, then exit")
    parser.add_argument("--report", type=Path, help="where the tap script writes its JSON report")


@dataclass(frozen=True, slots=True)
class KioskIdentity:
    """Who this kiosk is and where its broker is: the device file, then the options over it."""

    hall: str
    device_id: str
    broker: BrokerAddress
    printer_width: int
    printer: str | None = None  # the printer's URL: --printer, else the file's [printer] connection


def build_identity(args: argparse.Namespace) -> KioskIdentity:
    """The identity from ``--config`` and the override options (DeviceFileError for a bad file)."""
    file = load_device_file(args.config, (DeviceKind.KIOSK,)) if args.config is not None else None
    width = file.printer.width_mm if file is not None and file.printer is not None else 80
    return KioskIdentity(
        hall=args.hall or (file.device.hall if file is not None else "demo"),
        device_id=args.device_id or (file.device.id if file is not None else "kiosk-1"),
        broker=(file.broker.address if file is not None else BrokerAddress()).overridden_by(args.broker),
        printer_width=args.printer_width or width,
        printer=args.printer or (file.printer.connection if file is not None and file.printer else None),
    )


def run(args: argparse.Namespace) -> int:
    try:
        build_identity(args)
    except DeviceFileError as exc:
        print(f"hallq kiosk: bad configuration: {exc}", file=sys.stderr)
        return 2
    scripted = args.screenshot is not None or args.drive is not None
    if scripted and not os.environ.get("DISPLAY") and not os.environ.get(_REEXEC_ENV):
        return _rerun_under_xvfb()
    return _run(args)


def _rerun_under_xvfb() -> int:
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        print("hallq kiosk: no display and no xvfb-run (apt-get install xvfb)", file=sys.stderr)
        return 2
    env = dict(os.environ, **{_REEXEC_ENV: "1"})
    cmd = [xvfb, "-a", "-s", XVFB_SCREEN, sys.executable, "-m", "queue_server.cli", *sys.argv[1:]]
    return subprocess.call(cmd, env=env)


def printer_config(url: str, width: int, image: bool) -> Any:
    """A ``devices.printer.PrinterConfig`` from a printer URL."""
    from urllib.parse import parse_qs, urlsplit

    from devices.printer import (
        ChineseMode,
        FileTransportConfig,
        NetworkTransportConfig,
        PrinterConfig,
        SerialTransportConfig,
    )

    parts = urlsplit(url)
    transport: NetworkTransportConfig | SerialTransportConfig | FileTransportConfig
    if parts.scheme == "tcp":
        transport = NetworkTransportConfig(host=parts.hostname or "127.0.0.1", port=parts.port or 9100)
    elif parts.scheme == "serial":
        baud = int(parse_qs(parts.query).get("baud", ["9600"])[0])
        transport = SerialTransportConfig(path=parts.path, baudrate=baud)
    elif parts.scheme in ("file", ""):
        transport = FileTransportConfig(path=parts.path)
    else:
        raise SystemExit(f"hallq kiosk: unknown printer URL {url!r}")
    mode = ChineseMode.IMAGE if image else ChineseMode.NATIVE
    return PrinterConfig(transport=transport, width_mm=80 if width == 80 else 58, chinese_mode=mode)


def _run(args: argparse.Namespace) -> int:
    # Kivy (kiosk.ui.app) is imported here, before any thread of ours starts. Importing Kivy logs, and
    # Kivy's log file handler imports kivy.config the first time it writes: a record from another
    # thread at that moment holds the handler's lock and waits for the import lock that the main
    # thread holds while it waits for that handler lock. The kiosk hung so at start, one run in 30
    # with paho's packet trace on.
    from devices.camera import CameraConfig
    from devices.idreader import id_reader_port
    from devices.scanner import SerialPortConfig

    from .demo_server import DemoServer
    from .runtime import KioskOptions, KioskRuntime
    from .ui.app import KioskApp

    identity = build_identity(args)
    broker = identity.broker
    data_dir = args.data_dir or Path.home() / ".local/share/hallq" / f"kiosk-{identity.device_id}"
    scripted = args.screenshot is not None or args.drive is not None
    options = KioskOptions(
        hall=identity.hall,
        device_id=identity.device_id,
        broker=broker,
        data_dir=data_dir,
        printer=printer_config(identity.printer, identity.printer_width, args.printer_image)
        if identity.printer
        else None,
        scanner=SerialPortConfig(path=args.scanner) if args.scanner else None,
        id_reader=id_reader_port(args.id_reader, args.id_reader_baud) if args.id_reader else None,
        simulate_devices=args.simulate_devices,
        voice=not args.no_voice and not scripted,
        camera=CameraConfig(device=args.camera) if args.camera else None,
        camera_folder=_camera_folder(args.camera_folder),
        server_url=args.server_url,
    )
    demo = DemoServer(identity.hall, broker) if args.demo_server else None
    if demo is not None:
        demo.start()
    runtime = KioskRuntime(options).start()
    try:
        return _run_app(args, runtime, KioskApp)
    finally:
        runtime.stop()
        if demo is not None:
            demo.stop()


def _camera_folder(folder: Path | None) -> Path | None:
    """The simulated camera's folder, with two sample pages written into it when it has no picture."""
    if folder is None:
        return None
    from devices.camera import FolderCamera, write_sample_pages

    if not FolderCamera(folder).pictures():
        write_sample_pages(folder, 2)
    return folder


def _run_app(args: argparse.Namespace, runtime: Any, kiosk_app: type[KioskApp]) -> int:
    from .ui.driver import CAPTURE_SCRIPT, SCREENSHOT_SCRIPT, Driver

    driver: Driver | None = None

    def started(app: KioskApp) -> None:
        nonlocal driver
        if args.screenshot is None and args.drive is None:
            return
        shots = CAPTURE_SCRIPT if runtime.model.capture_flow.available else SCREENSHOT_SCRIPT
        script = json.loads(args.drive.read_text()) if args.drive is not None else shots
        driver = Driver(
            app,
            script,
            shots_dir=args.screenshot,
            report_path=args.report or (args.screenshot / "report.json" if args.screenshot else None),
            devices=runtime.devices,
        )
        driver.start()

    app = kiosk_app(runtime.model, runtime.dispatch, on_started=started)
    app.run()
    if driver is None:
        return 0
    report = driver.report
    for name, glyphs in report.glyphs.items():
        if glyphs["tofu"]:
            print(
                f"hallq kiosk: {name}: characters drawn as boxes: {''.join(glyphs['tofu'])}", file=sys.stderr
            )
            return 1
    if not report.ok:
        print(f"hallq kiosk: script failed: {report.error}", file=sys.stderr)
        return 1
    for name, path in report.shots.items():
        print(f"{name}: {path}")
    return 0
