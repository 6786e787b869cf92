"""A whole kiosk, assembled and started in one readable sequence (no Kivy here).

``KioskRuntime(options).start()`` gives a running model with its broker link, printer, scanner, ID
card reader, disk state and two workers; the Kivy app (or a benchmark, or a test) sits on top.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devices.camera import CameraConfig, FolderCamera
from devices.idreader import IdCardReader, IdReaderConfig
from devices.printer import PrinterConfig, open_printer
from devices.scanner import Scan, Scanner, SerialPortConfig
from devices.simulators import SimulatedDevices
from queue_server.protocol.client import BrokerAddress, next_boot

from .catalog import CatalogCache
from .clock import Clock, SystemClock
from .hardware import KioskPrinter, open_id_reader, read_of
from .link import KioskLink
from .model import KioskModel, KioskSettings
from .outbox import Outbox
from .ports import Read
from .uploads import HttpUploader, KioskCamera
from .voice import EspeakVoice

log = logging.getLogger(__name__)

ID_KEY_ENV = "HALLQ_ID_HASH_KEY"


class Worker:
    """One daemon thread running jobs in order; a failing job is logged and the next one runs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._jobs.put(job)

    def stop(self, timeout: float = 5.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:
                log.exception("%s: job failed", self.name)


@dataclass
class KioskOptions:
    hall: str
    device_id: str
    broker: BrokerAddress
    data_dir: Path
    printer: PrinterConfig | None = None  # None with simulate_devices
    scanner: SerialPortConfig | None = None
    id_reader: SerialPortConfig | None = None  # the resident ID card reader (SAM, 115200 baud)
    camera: CameraConfig | None = None  # the document camera (高拍仪, UVC); None: no capture step
    camera_folder: Path | None = None  # the camera simulator's pictures (instead of a camera)
    server_url: str | None = None  # the server's HTTP address for uploads (default: the ticket URL's)
    simulate_devices: bool = False
    id_key: bytes | None = None
    voice: bool = True
    settings: KioskSettings = field(default_factory=KioskSettings)


def load_id_key(data_dir: Path) -> bytes:
    """The hall's key for ID hashes: ``HALLQ_ID_HASH_KEY`` (provisioning sets it), else a local key.

    A local key keeps IDs unreadable but makes the per-ID limit work per kiosk only: warn about it.
    """
    env = os.environ.get(ID_KEY_ENV)
    if env:
        return env.encode()
    path = data_dir / "id_hash.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    log.warning(
        "%s not set: ID hashes use this kiosk's own key %s (per-ID limits per kiosk only)", ID_KEY_ENV, path
    )
    return path.read_text().strip().encode()


def open_camera(options: KioskOptions) -> KioskCamera | None:
    """The document camera: the folder simulator when one is given, else the UVC camera, else none."""
    if options.camera_folder is not None:
        return KioskCamera.folder(FolderCamera(options.camera_folder))
    if options.camera is not None:
        return KioskCamera.uvc(options.camera)
    return None


class KioskRuntime:
    """Everything a kiosk runs, in the order it starts."""

    def __init__(self, options: KioskOptions, clock: Clock | None = None) -> None:
        self.options = options
        self.clock = clock or SystemClock()
        self.devices: SimulatedDevices | None = None
        self.scanner: Scanner | None = None
        self.id_reader: IdCardReader | None = None
        self.citizen = Worker("kiosk-citizen")
        self.background = Worker("kiosk-background")
        data = options.data_dir
        data.mkdir(parents=True, exist_ok=True)
        printer_config = options.printer
        if options.simulate_devices:
            self.devices = SimulatedDevices(windows=()).start()
            printer_config = printer_config or self.devices.printer_config()
        if printer_config is None:
            raise ValueError("a kiosk needs a printer (or --simulate-devices)")
        self.printer = KioskPrinter(open_printer(printer_config), options.device_id)
        self.id_key = options.id_key or load_id_key(data)
        self.voice = EspeakVoice() if options.voice else None
        self.camera = open_camera(options)
        self.link = KioskLink(
            options.hall,
            options.device_id,
            boot=next_boot(data / "boot"),
            broker=options.broker,
            health=lambda: self.model.health(),
        )
        self.model = KioskModel(
            server=self.link,
            catalog=CatalogCache(data / "catalog.json"),
            outbox=Outbox(data / "outbox.sqlite"),
            printer=self.printer,
            clock=self.clock,
            voice=self.voice,
            settings=options.settings,
            run_citizen=self.citizen.submit,
            run_background=self.background.submit,
            camera=self.camera,
            uploader=HttpUploader(options.server_url) if self.camera is not None else None,
        )

    def start(self) -> KioskRuntime:
        self.link.follow_state(self.model.hall_state)
        self.link.follow_config(self.model.device_config)
        self.link.on_connection(self.model.connection)
        self.link.start()
        self.model.start()
        self._start_scanner()
        self._start_id_reader()
        return self

    def dispatch(self, action: Callable[[], None]) -> None:
        """Run a tap's action on the citizen worker, in tap order."""
        self.citizen.submit(action)

    def on_scan(self, scan: Scan) -> None:
        read = read_of(scan, self.id_key)
        if read is not None:
            self.on_read(read)

    def on_read(self, read: Read) -> None:
        """A scan or an ID card, already reduced to what the model may know, in the citizen's order."""
        self.citizen.submit(lambda: self.model.scan(read))

    def stop(self) -> None:
        if self.id_reader is not None:
            self.id_reader.stop()
        if self.scanner is not None:
            self.scanner.stop()
        self.citizen.stop()
        self.background.stop()
        self.link.stop()
        self.printer.close()
        self.model.outbox.close()
        if self.voice is not None:
            self.voice.close()
        if self.devices is not None:
            self.devices.stop()

    def _start_scanner(self) -> None:
        port = self.options.scanner
        if port is None and self.devices is not None:
            port = self.devices.scanner_port()
        if port is None:
            return
        hosts = ()
        self.scanner = Scanner(port, self.on_scan, citizen_hosts=hosts).start()

    def _start_id_reader(self) -> None:
        port = self.options.id_reader
        if port is None and self.devices is not None:
            port = self.devices.id_reader_port()
        if port is None:
            return
        self.id_reader = open_id_reader(IdReaderConfig(port=port), self.id_key, self.on_read).start()
