"""Retention: phone numbers and ID hashes purged after ``personal_data_days``, request-log rows after
``request_log_days``; by the running ``hallq server`` (its hourly job, first run at start) and by
``hallq purge``."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from harness.factories import FakeClock, HallFixture, build_hall
from harness.processes import HallqServer, ServerConfig, hallq_command
from harness.waiting import eventually
from queue_server.services.queue.models import DoorVisitRequest
from queue_server.store import make_engine
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker

ID_HASH = "f" * 64
PHONE = "13800001111"


def _old_and_new(url: str, code: str) -> tuple[str, str]:
    """A ticket of 40 days ago and one of today, each with a phone and an ID hash: their numbers."""
    hall = build_hall(url, code=code, clock=FakeClock(datetime.now(UTC) - timedelta(days=40)))
    try:
        old = hall.issue("A", phone=PHONE, id_hash=ID_HASH)
        hall.clock.advance(days=40)
        new = hall.issue("A", phone=PHONE, id_hash=ID_HASH)
    finally:
        hall.close()
    return old.ticket_id, new.ticket_id


def _personal(url: str) -> tuple[dict[str, tuple[str | None, str | None]], int]:
    """Each ticket's (phone, ID hash) by public id, and how many request-log rows remain."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(select(t.Ticket.public_id, t.Ticket.phone, t.Ticket.id_hash)).all()
            logged = len(
                session.exec(select(t.RequestLog.id).where(col(t.RequestLog.op) == "ticket.issue")).all()
            )
    finally:
        engine.dispose()
    return {public_id: (phone, id_hash) for public_id, phone, id_hash in rows}, logged


def test_the_running_server_purges_what_outlived_its_retention(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    old, new = _old_and_new(url, hall_code)
    assert _personal(url) == ({old: (PHONE, ID_HASH), new: (PHONE, ID_HASH)}, 2)
    server = HallqServer(ServerConfig(url, broker.address.port, hall_code, tmp_path))
    server.start()
    try:
        expected = ({old: (None, None), new: (PHONE, ID_HASH)}, 1)
        eventually(lambda: _personal(url) == expected, 20, what="the old ticket's phone and ID hash gone")
    finally:
        server.stop()


def test_hallq_purge_does_it_at_once(hall_code: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    old, new = _old_and_new(url, hall_code)
    config = ServerConfig(url, 1883, hall_code, tmp_path)
    done = subprocess.run(
        [*hallq_command(), "purge"], env=config.environment(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert (
        f'{hall_code}: {{"appointments": 0, "door_visits": 0, "material_images": 0, '
        f'"request_log": 1, "tickets": 1}}' in done.stdout
    )
    assert _personal(url) == ({old: (None, None), new: (PHONE, ID_HASH)}, 1)


def test_appointments_and_door_visits_lose_their_phone_and_id_hash_after_the_slot(hall: HallFixture) -> None:
    services = hall.services
    assert services.purge_personal_data(hall.code).model_dump() == {
        "tickets": 0,
        "appointments": 0,
        "door_visits": 0,
        "request_log": 0,
        "material_images": 0,
    }
    hall.issue("A", phone=PHONE, id_hash=ID_HASH)
    slot = hall.clock() + timedelta(days=1)
    services.book_appointment(
        hall.code, "A", slot, slot + timedelta(minutes=30), id_hash=ID_HASH, phone=PHONE
    )
    visit = DoorVisitRequest(
        service="A",
        applicant_name="刘奶奶",
        phone=PHONE,
        address="南城路12号",
        start=slot,
        end=slot + timedelta(hours=1),
    )
    booked = services.book_visit(hall.code, visit, actor=hall.manager)
    services.cancel_visit(hall.code, booked.id, actor=hall.manager)
    hall.clock.advance(days=hall.settings.personal_data_days)  # the visit and the slot are not that old yet
    purged = services.purge_personal_data(hall.code)  # the request ids are (the idempotency window)
    assert (purged.tickets, purged.appointments, purged.door_visits, purged.request_log) == (0, 0, 0, 1)
    hall.clock.advance(days=2)
    purged = services.purge_personal_data(hall.code)
    assert (purged.tickets, purged.appointments, purged.door_visits, purged.request_log) == (1, 1, 1, 0)
    with Session(hall.engine) as session:
        appointment = session.exec(select(t.Appointment).where(t.Appointment.hall_id == hall.hall_id)).one()
        events = session.exec(
            select(t.Event)
            .where(t.Event.hall_id == hall.hall_id, t.Event.kind == "retention")
            .order_by(col(t.Event.id))
        ).all()
    assert (appointment.phone, appointment.id_hash) == (None, None)
    assert [(e.data["request_log"], e.data["appointments"]) for e in events] == [(1, 0), (0, 1)]
