"""The hall file's ``[booking]`` table and ``appointment_slots``: validated, stored by the loader as
the running server reads them (all three capacities, the rules), defaults equal to the domain's."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from queue_server.domain.appointments import BookingPolicy
from queue_server.halls import DEMO_HALL_PATH, read_hall_file
from queue_server.halls.booking import Booking
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.store import init_db
from queue_server.store.tables import BookingCapacity, HallBooking, Service

NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_the_defaults_are_the_domains() -> None:
    assert Booking().model_dump() == dataclasses.asdict(BookingPolicy())


def test_the_loader_stores_every_capacity_and_the_rules(tmp_path: Path) -> None:
    engine = init_db(f"sqlite:///{tmp_path / 'hallq.db'}")
    demo = read_hall_file(DEMO_HALL_PATH)
    demo = demo.model_copy(update={"booking": Booking(slot_minutes=20, no_show_limit=2)})
    load_hall(engine, demo, environ={DEMO_PASSWORD_ENV: "demo-password-1"}, now=NOW)
    with Session(engine) as s:
        caps = {
            service.code: (cap.morning, cap.afternoon, cap.rest_day)
            for cap, service in s.exec(
                select(BookingCapacity, Service).where(BookingCapacity.service_id == Service.id)
            )
        }
        rules = s.exec(select(HallBooking)).one()
    assert caps["F"] == (30, 30, 15)  # rest-day capacity kept (it used to be dropped)
    assert caps["B"] == (15, 15, 0)
    assert caps["A"] == (0, 0, 0)  # not in appointment_slots: no bookings
    assert (rules.slot_minutes, rules.no_show_limit, rules.max_open_per_id) == (20, 2, 3)
    engine.dispose()


def test_a_bad_booking_table_is_refused() -> None:
    with pytest.raises(ValueError):
        Booking(slot_minutes=-5)
