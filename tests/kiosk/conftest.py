"""Kiosk fixtures: a real broker, a stand-in server that speaks the contract, a simulated printer.

``kiosk_factory`` builds the real view model on a real KioskLink (MQTT), a real on-disk catalog
cache and outbox, and a ``devices`` printer talking ESC/POS to the TCP printer simulator. Jobs run
inline (no worker threads), so a test reads the screen right after an action.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from devices.printer import NetworkTransportConfig, PrinterConfig, open_printer
from devices.simulators import TcpPrinterSimulator
from kiosk.catalog import CatalogCache
from kiosk.clock import ManualClock
from kiosk.demo_server import DemoServer
from kiosk.hardware import KioskPrinter
from kiosk.link import KioskLink
from kiosk.model import KioskModel, KioskSettings
from kiosk.outbox import Outbox
from kiosk.screens import Screen, View
from queue_server.protocol.client import BrokerAddress
from tests.conftest import MosquittoBroker

# Tuesday 2026-03-10 10:00 in Shanghai: a working morning.
MORNING = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

# A kiosk in a test: a server that answers does so well within these, even on a loaded CI machine. A
# probe that timed out would leave the kiosk out of service until its test clock moves on, and a slow
# reply would be asked for again (same id, so still one ticket, but a test counting requests sees two).
STEADY = KioskSettings(issue_timeout_s=2.0, issue_attempts=3, probe_timeout_s=3.0)
# For tests of a server that does not answer, whose timeouts are what they wait for.
# Its patience (2.5 s) goes past the first attempts (1.5 s), so the waiting screen is passed too.
FAST = KioskSettings(issue_timeout_s=0.5, issue_attempts=3, issue_patience_s=2.5, probe_timeout_s=0.5)


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    """Wait for something another thread does (a retained message, a reconnect); not a timing test.

    Generous: a kiosk's first catalog, state and config can take seconds on a loaded CI machine
    (one CI run took over 5 s for the first home screen against the real server)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def view_of(model: KioskModel) -> View:
    """The view shown now (a function, so a type checker does not pin it after an earlier check)."""
    return model.screen.view


S = TypeVar("S", bound=Screen)


def screen_of(model: KioskModel, kind: type[S]) -> S:
    """The screen shown now, which must be a ``kind`` (a test reads its fields with their types)."""
    screen = model.screen
    assert isinstance(screen, kind), f"expected {kind.__name__}, shown {screen!r}"
    return screen


class RecordingVoice:
    """Collects prompts instead of speaking them (the model's Voice port)."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


@dataclass
class Kiosk:
    model: KioskModel
    link: KioskLink
    clock: ManualClock
    data_dir: Path
    printer: TcpPrinterSimulator
    voice: RecordingVoice
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        closers, self.closers = self.closers, []
        for close in reversed(closers):
            close()


@pytest.fixture
def printer_sim() -> Iterator[TcpPrinterSimulator]:
    sim = TcpPrinterSimulator().start()
    yield sim
    sim.stop()


@pytest.fixture
def demo(broker: MosquittoBroker, hall_code: str) -> Iterator[DemoServer]:
    server = DemoServer(hall_code, broker.address)
    server.start()
    yield server
    server.stop()


KioskFactory = Callable[..., Kiosk]


@pytest.fixture
def kiosk_factory(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path, printer_sim: TcpPrinterSimulator
) -> Iterator[KioskFactory]:
    made: list[Kiosk] = []

    def make(
        *,
        address: BrokerAddress | None = None,
        settings: KioskSettings = STEADY,
        data_dir: Path | None = None,
        device_id: str = "kiosk-1",
        start: bool = True,
        **model_kw: Any,
    ) -> Kiosk:
        data = data_dir or tmp_path / device_id
        clock = ManualClock(MORNING)
        config = PrinterConfig(transport=NetworkTransportConfig(host=printer_sim.host, port=printer_sim.port))
        printer = KioskPrinter(open_printer(config), device_id)
        voice = RecordingVoice()
        holder: list[KioskModel] = []
        link = KioskLink(
            hall_code,
            device_id,
            boot=len(made) + 1,
            broker=address or broker.address,
            health=lambda: holder[0].health() if holder else {},
        )
        outbox = Outbox(data / "outbox.sqlite")
        model = KioskModel(
            server=link,
            catalog=CatalogCache(data / "catalog.json"),
            outbox=outbox,
            printer=printer,
            clock=clock,
            voice=voice,
            settings=settings,
            **model_kw,
        )
        holder.append(model)
        kiosk = Kiosk(model, link, clock, data, printer_sim, voice)
        kiosk.closers += [outbox.close, printer.close]
        undo = [link.follow_state(model.hall_state), link.follow_config(model.device_config)]
        undo.append(link.on_connection(model.connection))
        link.start()
        kiosk.closers.append(link.stop)
        kiosk.closers += undo
        made.append(kiosk)
        if start:
            assert link.wait_connected(5.0)
            model.start()
        return kiosk

    yield make
    for kiosk in made:
        kiosk.close()
