"""What the kiosk flow tests share: citizens' ID numbers, scans, and the usual walk to the options page."""

from __future__ import annotations

from devices.scanner import classify
from kiosk.demo_server import DemoServer
from kiosk.hardware import read_of
from kiosk.model import KioskModel
from kiosk.outbox import EntryState
from kiosk.ports import Read
from kiosk.screens import HomeScreen
from queue_server.protocol.messages import Op
from tests.devices.escpos_decoder import texts

from .conftest import Kiosk

ID_KEY = b"k" * 32


def resident_id(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


OLD_ID = resident_id("11010119500307002")  # born 1950-03-07: 76 in 2026
YOUNG_ID = resident_id("11010119900307002")


def scanned(code: str) -> Read:
    """What the model learns from scanning ``code`` (every code a test scans is one it has a use for)."""
    read = read_of(classify(code), ID_KEY)
    assert read is not None, code
    return read


def journal_state(kiosk: Kiosk, request_id: str) -> EntryState:
    """Where the outbox journal has the request now (it must hold it)."""
    entry = kiosk.model.outbox.get(request_id)
    assert entry is not None, request_id
    return entry.state


def issue_requests(demo: DemoServer) -> list[str]:
    return [r.id for r in demo.requests_seen if r.op == Op.TICKET_ISSUE]


def home_ready(kiosk_model: object) -> bool:
    screen = getattr(kiosk_model, "screen", None)
    return isinstance(screen, HomeScreen) and bool(screen.tiles) and screen.catalog_ready


def to_options_via_materials(model: KioskModel, tick: tuple[str, ...] = ("ID", "HUKOU", "FORM-A1")) -> None:
    """Service A, matter A-001, ``tick`` these materials, then on (options, or the missing list)."""
    model.open_service("A")
    model.open_matter("A-001")
    model.start_materials()
    for code in tick:
        model.toggle_material(code)
    model.materials_done()


def rule_widths(printed: bytes) -> set[int]:
    """The lengths of the printed ``-----`` separators: a rule spans the paper (32 columns on 58 mm)."""
    return {len(line) for line in texts(printed) if line and set(line) == {"-"}}
