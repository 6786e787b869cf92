"""A whole hall for browser tests: SQLite, the real services on the real clock, the MQTT bridge on the
session's Mosquitto, the HTTP app in uvicorn, a simulated network printer at window 1, and Debian's
Chromium driven by Playwright (never a downloaded browser).

``HALLQ_SCREENSHOT_DIR``: when set, the tests save their screenshots of the console there.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from devices.printer import NetworkTransportConfig, PrinterConfig
from devices.simulators import TcpPrinterSimulator
from harness.factories import build_hall, make_settings
from queue_server.api import create_app
from queue_server.mqtt.door import MqttDoor, open_door
from queue_server.protocol.client import BrokerAddress, DeviceLink
from queue_server.services import Services, system_clock
from queue_server.services.ports import Actor, Role
from queue_server.settings import Settings
from tests.conftest import MosquittoBroker, free_port
from tests.web.server import RunningServer, serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


# Package scope: Playwright's sync API keeps an event loop running in the main thread while it is
# open, so a later test's asyncio.run() would fail; the browser is closed when tests/e2e is done.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/bootstrap installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Hall:
    """The running hall; ``restart()`` stops and starts the server process's parts on the same port."""

    code: str
    engine: Engine
    settings: Settings
    broker: BrokerAddress
    port: int
    printer: TcpPrinterSimulator
    services: Services | None = None
    door: MqttDoor | None = None
    server: RunningServer | None = None
    links: list[DeviceLink] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """The server's boot sequence: services, MQTT door, HTTP app, uvicorn."""
        self.services = Services(self.engine, self.settings, system_clock)
        self.door = open_door(self.broker, self.services, [self.code], instance=f"e2e-{uuid.uuid4().hex[:6]}")
        app = create_app(self.settings, self.services, self.door.announcers)
        self.server = serve(app, self.port)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.door is not None:
            self.door.stop()
        self.server = self.door = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def device(self, device_id: str, kind: str) -> DeviceLink:
        link = DeviceLink(self.code, device_id, kind, boot=1, broker=self.broker)
        link.start()
        assert link.link.wait_connected(5.0)
        self.links.append(link)
        return link

    def screenshot(self, page: Page, name: str) -> None:
        directory = os.environ.get("HALLQ_SCREENSHOT_DIR")
        if directory:
            Path(directory).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


@pytest.fixture
def hall(broker: MosquittoBroker, hall_code: str, tmp_path: Path) -> Iterator[Hall]:
    if shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed")
    fixture = build_hall(f"sqlite:///{tmp_path / 'hallq.db'}", code=hall_code)
    port = free_port()
    settings = make_settings(hall=hall_code, public_base_url=f"http://127.0.0.1:{port}")
    with TcpPrinterSimulator() as printer:
        h = Hall(hall_code, fixture.engine, settings, broker.address, port, printer)
        h.start()
        assert h.services is not None
        config = PrinterConfig(transport=NetworkTransportConfig(host="127.0.0.1", port=printer.port))
        h.services.set_window_printer(hall_code, "1", config, actor=Actor(Role.ADMIN, "admin"))
        try:
            yield h
        finally:
            for link in h.links:
                link.stop()
            h.stop()
            fixture.close()
