"""What the hall file says about the hall and its services, on a kiosk against the real server (services,
SQLite, MQTT bridge, Mosquitto): a service's description is its tile's subtitle, and the printed
ticket (real ESC/POS bytes) carries the hall's address and telephone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from kiosk.screens import HomeScreen, TicketScreen
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.devices.escpos_decoder import texts

from .conftest import KioskFactory, wait_for
from .real_server import real_server

ADDRESS = "测试市新城区政务大道1号"
PHONE = "0954-12345"


def _describe(engine: Engine, code: str, description: str) -> None:
    with Session(engine) as session, session.begin():
        service = session.exec(select(t.Service).where(t.Service.code == code)).one()
        service.description = description
        session.add(service)


def _tiles_described(model: object) -> bool:
    screen = getattr(model, "screen", None)
    return isinstance(screen, HomeScreen) and any(tile.description for tile in screen.tiles)


def test_the_tile_subtitle_and_the_ticket_footer_come_from_the_hall(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path, kiosk_factory: KioskFactory
) -> None:
    fields = {"short_name": "测试大厅", "address": ADDRESS, "phone": PHONE}
    with real_server(broker.address, hall_code, tmp_path, hall_fields=fields) as (hall, _):
        _describe(hall.engine, "A", "户口迁移、户籍证明")
        k = kiosk_factory()
        wait_for(lambda: _tiles_described(k.model), what="tiles with the catalog's descriptions")
        screen = k.model.screen
        assert isinstance(screen, HomeScreen)
        subtitles = {tile.code: tile.description for tile in screen.tiles}
        assert subtitles["A"] == "户口迁移、户籍证明" and subtitles["B"] == ""
        k.model.open_service("A")
        k.model.take_service_ticket()  # no matter: straight to the options
        k.model.take_ticket()
        ticket = k.model.screen
        assert isinstance(ticket, TicketScreen) and ticket.printed
        lines = texts(k.printer.core.wait_output(lambda out: b"\x1dV" in out))
        assert "测试市民大厅" in lines  # the full name fits an 80 mm heading
        assert f"地址：{ADDRESS}" in lines and f"电话：{PHONE}" in lines
