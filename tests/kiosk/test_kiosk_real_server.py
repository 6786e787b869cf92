"""The kiosk view model against the real queue server (services, SQLite, MQTT bridge, Mosquitto)."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.model import KioskSettings
from kiosk.outbox import EntryState
from kiosk.screens import (
    HomeScreen,
    MaterialsScreen,
    MatterScreen,
    OptionsScreen,
    RefusedScreen,
    TicketScreen,
    View,
)
from queue_server.protocol.messages import TicketResult
from tests.conftest import MosquittoBroker
from tests.devices.escpos_decoder import Cut, events_of, texts

from .conftest import KioskFactory, screen_of, view_of, wait_for
from .real_server import real_server, ticket_count


def _ready(model: object) -> bool:
    screen = getattr(model, "screen", None)
    return isinstance(screen, HomeScreen) and [t.code for t in screen.tiles] == ["A", "B", "C"]


def test_ticket_with_materials_check_against_the_real_server(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path, kiosk_factory: KioskFactory
) -> None:
    with real_server(broker.address, hall_code, tmp_path) as (hall, _):
        k = kiosk_factory()
        wait_for(lambda: _ready(k.model), what="home from the real hall state")
        k.model.open_service("A")
        k.model.open_matter("A01")
        matter = k.model.screen
        assert isinstance(matter, MatterScreen) and matter.name == "户口迁移"
        assert [s.label for s in matter.sections][3] == "申请材料"
        k.model.start_materials()
        materials = k.model.screen
        assert isinstance(materials, MaterialsScreen)
        assert [line.name for line in materials.lines] == ["居民户口簿", "居民身份证", "准予迁入证明"]
        for line in materials.lines:
            k.model.toggle_material(line.code)
        k.model.materials_done()
        assert isinstance(k.model.screen, OptionsScreen)
        k.model.take_ticket()
        screen = k.model.screen
        assert isinstance(screen, TicketScreen) and screen.printed
        assert screen.ticket.number == "A001" and screen.ticket.matter_name == "户口迁移"
        assert all(m.checked for m in screen.ticket.materials)
        assert ticket_count(hall) == 1
        lines = texts(k.printer.core.wait_output(lambda out: b"\x1dV" in out))
        assert "A001" in lines and "测试市民大厅" in lines


def test_one_ticket_when_the_reply_is_lost_in_a_broker_restart(
    fresh_broker: MosquittoBroker, hall_code: str, tmp_path: Path, kiosk_factory: KioskFactory
) -> None:
    restarted = threading.Event()

    def restart_broker(_ticket: TicketResult) -> None:
        # The ticket is committed; the broker goes away before the reply can be delivered.
        if not restarted.is_set():
            restarted.set()
            fresh_broker.restart(down_for=0.3)

    with real_server(fresh_broker.address, hall_code, tmp_path, after_issue=restart_broker) as (hall, _):
        k = kiosk_factory(
            address=fresh_broker.address, settings=KioskSettings(issue_timeout_s=1.0, issue_attempts=8)
        )
        wait_for(lambda: _ready(k.model))
        k.model.open_service("C")
        k.model.take_service_ticket()
        k.model.take_ticket()
        screen = k.model.screen
        assert restarted.is_set()
        assert isinstance(screen, TicketScreen) and screen.printed, screen
        assert ticket_count(hall) == 1
        out = k.printer.core.wait_output(lambda b: b"\x1dV" in b)
        assert len(events_of(out, Cut)) == 1
        assert k.model.outbox.open_entries() == []  # nothing left open in the journal


def test_closed_service_of_the_real_hall_is_refused_without_print(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path, kiosk_factory: KioskFactory
) -> None:
    with real_server(broker.address, hall_code, tmp_path) as (hall, _):
        k = kiosk_factory()
        wait_for(lambda: _ready(k.model))
        # A service the kiosk does not know is refused by the server with a stable code.
        k.model.open_service("A")
        k.model.take_service_ticket()
        k.model.state.citizen.service = "Z"  # a stale screen: the service vanished from the catalog
        k.model.take_ticket()
        assert view_of(k.model) is View.REFUSED
        assert screen_of(k.model, RefusedScreen).code == "unknown_service"
        assert k.printer.output == b""
        assert ticket_count(hall) == 0
        assert not [e for e in k.model.outbox.open_entries() if e.state is EntryState.PENDING]
