"""An ID card on the kiosk's reader (``devices.idreader`` on a pty simulator): age priority against the
real queue server with no name or ID number left in the database, the kiosk's files or the logs;
appointment check-in by card, an unreadable card, and the runtime's ``--simulate-devices`` wiring."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from devices.idreader import IdCard, IdCardReader, IdReaderConfig
from devices.simulators import IdCardReaderSimulator, sample_card
from kiosk.clock import ManualClock
from kiosk.demo_server import Appointment, DemoServer
from kiosk.hardware import CARD_UNREADABLE_TEXT, open_id_reader
from kiosk.model import KioskModel
from kiosk.runtime import KioskOptions, KioskRuntime
from kiosk.screens import CheckinScreen, HomeScreen, OptionsScreen, TicketScreen
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.devices.conftest import fast_port
from tests.devices.escpos_decoder import texts

from .conftest import MORNING, STEADY, KioskFactory, screen_of, wait_for
from .helpers import ID_KEY, home_ready, resident_id
from .real_server import real_server

# 65 on the kiosk's test morning (2026-03-10), 64 on the test server's day (2025-03-12).
BORN_1960 = resident_id("64040219600815123")
NAME = "欧阳娜娜"
ADDRESS = "宁夏回族自治区固原市原州区文化街12号"


def citizen_card() -> IdCard:
    return sample_card(BORN_1960, name=NAME, address=ADDRESS)


@pytest.fixture
def reader_sim() -> Iterator[IdCardReaderSimulator]:
    # In its own temporary directory: the tests read every file under tmp_path, and a pty is no file.
    with IdCardReaderSimulator() as sim:
        yield sim


def start_reader(sim: IdCardReaderSimulator, model: KioskModel) -> IdCardReader:
    """The kiosk's reader wiring (``kiosk.hardware.open_id_reader``), delivering to ``model.scan``."""
    config = IdReaderConfig(port=fast_port(sim.path), poll_interval_s=0.05)
    return open_id_reader(config, ID_KEY, model.scan).start()


def _real_hall_ready(model: KioskModel) -> bool:
    screen = model.screen
    return isinstance(screen, HomeScreen) and [tile.code for tile in screen.tiles] == ["A", "B", "C"]


def _elderly_selected(model: KioskModel) -> bool:
    screen = model.screen
    return isinstance(screen, OptionsScreen) and screen.selected == "elderly"


def _secrets_in(data: bytes) -> list[str]:
    found = []
    for secret in (NAME, BORN_1960, ADDRESS):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            if secret.encode(encoding) in data:
                found.append(f"{secret} ({encoding})")
    return found


def test_a_card_on_the_reader_takes_an_age_priority_ticket_and_leaves_no_trace(
    broker: MosquittoBroker,
    hall_code: str,
    tmp_path: Path,
    kiosk_factory: KioskFactory,
    reader_sim: IdCardReaderSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    card = citizen_card()
    with real_server(broker.address, hall_code, tmp_path) as (hall, _):
        k = kiosk_factory()
        reader = start_reader(reader_sim, k.model)
        try:
            wait_for(lambda: _real_hall_ready(k.model), what="home from the real hall state")
            k.model.open_service("C")
            k.model.take_service_ticket()
            assert isinstance(k.model.screen, OptionsScreen)
            reader_sim.place(card)
            wait_for(lambda: _elderly_selected(k.model), what="age priority from the card")
            options = screen_of(k.model, OptionsScreen)
            assert options.id_read and options.age_priority
            assert options.message == "欧阳**，您好！已读取身份证，已为您选择老年人优先"
            k.model.take_ticket()
            ticket = screen_of(k.model, TicketScreen).ticket
        finally:
            reader.stop()
        assert ticket.priority == "elderly"
        with Session(hall.engine) as session:
            (row,) = session.exec(select(t.Ticket)).all()
        assert (row.priority_class, row.priority_basis) == ("elderly", "id_birth_date")
        assert row.id_hash == card.resident_id.hash(ID_KEY)
        assert "【优先】老年人" in texts(k.printer.core.wait_output(lambda out: b"\x1dV" in out))
        k.close()
    # The hall's database (every row, and the file's bytes), the kiosk's files, and the logs.
    dump = "\n".join(sqlite3.connect(tmp_path / "hall.db").iterdump())
    assert "elderly" in dump and row.id_hash in dump  # the dump does hold the ticket
    assert not _secrets_in(dump.encode())
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "outbox.sqlite" for p in files)
    for path in files:
        assert not _secrets_in(path.read_bytes()), path
    assert any("card read" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        message = record.getMessage() + str(record.args) + str(record.exc_info)
        assert not _secrets_in(message.encode()), record.getMessage()


def test_checkin_by_card(
    demo: DemoServer, kiosk_factory: KioskFactory, reader_sim: IdCardReaderSimulator
) -> None:
    card = citizen_card()
    demo.appointments["a"] = Appointment("YY20260310", "B", id_hash=card.resident_id.hash(ID_KEY))
    k = kiosk_factory()
    reader = start_reader(reader_sim, k.model)
    try:
        wait_for(lambda: home_ready(k.model))
        k.model.open_checkin()
        reader_sim.place(card)
        wait_for(lambda: isinstance(k.model.screen, TicketScreen), what="the check-in ticket")
        assert screen_of(k.model, TicketScreen).ticket.appointment == "YY20260310"
    finally:
        reader.stop()


def test_an_unreadable_card_asks_to_place_it_again(
    demo: DemoServer, kiosk_factory: KioskFactory, reader_sim: IdCardReaderSimulator
) -> None:
    k = kiosk_factory()
    reader = start_reader(reader_sim, k.model)
    try:
        wait_for(lambda: home_ready(k.model))
        k.model.open_service("A")
        k.model.take_service_ticket()
        reader_sim.fail_reads = 100
        reader_sim.place(citizen_card())
        wait_for(lambda: screen_of(k.model, OptionsScreen).message == CARD_UNREADABLE_TEXT)
        assert not screen_of(k.model, OptionsScreen).id_read
    finally:
        reader.stop()


def test_the_kiosk_runtime_reads_cards_from_its_simulated_reader(
    demo: DemoServer, broker: MosquittoBroker, hall_code: str, tmp_path: Path
) -> None:
    options = KioskOptions(
        hall=hall_code,
        device_id="kiosk-1",
        broker=broker.address,
        data_dir=tmp_path / "kiosk",
        simulate_devices=True,
        id_key=ID_KEY,
        voice=False,
        settings=STEADY,
    )
    clock = ManualClock(MORNING)
    runtime = KioskRuntime(options, clock=clock).start()
    try:
        assert runtime.devices is not None and runtime.id_reader is not None
        model = runtime.model

        def in_service() -> bool:
            # The first server probe may run before the broker link is up: tick as the app does.
            if home_ready(model):
                return True
            clock.advance(STEADY.probe_retry_s)
            model.tick()
            return False

        wait_for(in_service, what="the kiosk in service")
        runtime.dispatch(model.open_checkin)
        wait_for(lambda: isinstance(model.screen, CheckinScreen))
        card = citizen_card()
        demo.appointments["a"] = Appointment("YY20260311", "A", id_hash=card.resident_id.hash(ID_KEY))
        runtime.devices.id_reader.place(card)
        wait_for(lambda: isinstance(model.screen, TicketScreen), what="the check-in ticket")
        assert screen_of(model, TicketScreen).ticket.appointment == "YY20260311"
    finally:
        runtime.stop()
