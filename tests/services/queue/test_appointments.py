"""Appointments: capacity per service and half-day; check-in early, on time, late (walk-in)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from harness.factories import SHANGHAI, HallFixture
from queue_server.errors import HallqError, NotFoundError, RefusedError
from queue_server.protocol.messages import AppointmentCheckinArgs, ErrorCode, TicketResult, TicketState
from queue_server.store.tables import Appointment, Ticket

ID_A = "a" * 32


def _at(hour: int, minute: int = 0, day: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)


def _checkin(hall: HallFixture, **args: object) -> TicketResult:
    return hall.services.checkin_appointment(
        hall.code, AppointmentCheckinArgs(**args), request_id=hall.rid(), device_id="kiosk-1"
    )


def test_capacity_is_per_service_and_half_day(hall: HallFixture) -> None:
    for hour, minute in ((14, 0), (14, 30), (15, 0), (15, 30)):  # capacity 4 in the afternoon of the 13th
        start = _at(hour, minute, 13)
        hall.services.book_appointment(hall.code, "A", start, start + timedelta(minutes=30))
    with pytest.raises(RefusedError) as full:
        hall.services.book_appointment(hall.code, "A", _at(16, 0, 13), _at(16, 30, 13))
    assert full.value.code is ErrorCode.CONFLICT and full.value.detail["reason"] == "slot_full"
    assert hall.services.book_appointment(hall.code, "A", _at(9, 0, 13), _at(9, 30, 13)).state == "booked"
    assert hall.services.book_appointment(hall.code, "B", _at(14, 0, 13), _at(14, 30, 13)).service == "B"
    with pytest.raises(RefusedError) as past:
        hall.services.book_appointment(hall.code, "A", _at(9, 0), _at(9, 30))
    assert past.value.detail["reason"] == "slot_past"


def test_checkin_early_on_time_and_late(hall: HallFixture) -> None:
    booking = hall.services.book_appointment(
        hall.code, "A", _at(11, 0), _at(11, 30), id_hash=ID_A, name="张三"
    )
    hall.clock.set(_at(10, 29))  # check-in opens 30 min before the slot
    with pytest.raises(HallqError) as early:
        _checkin(hall, code=booking.code)
    assert early.value.code is ErrorCode.TOO_EARLY
    assert early.value.detail["opens_at"] == _at(10, 30).timestamp()
    hall.clock.set(_at(10, 45))
    ticket = _checkin(hall, id_hash=ID_A)  # by ID card as well as by code
    again = _checkin(hall, code=booking.code)  # checking in twice gives the same ticket
    assert ticket == again
    with Session(hall.engine) as s:
        row = s.exec(select(Appointment).where(Appointment.hall_id == hall.hall_id)).one()
        issued = s.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id)).one()
    assert (row.state, row.ticket_id) == ("checked_in", issued.id)
    assert issued.appointment_slot_start == _at(11, 0)


def test_a_late_arrival_may_take_a_walk_in_ticket(hall: HallFixture) -> None:
    booking = hall.services.book_appointment(hall.code, "A", _at(10, 30), _at(11, 0))
    hall.clock.set(_at(11, 16))  # 15 min after the slot's end
    with pytest.raises(HallqError) as late:
        _checkin(hall, code=booking.code)
    assert late.value.code is ErrorCode.TOO_LATE and late.value.detail["may_walk_in"] is True
    walk_in = _checkin(hall, code=booking.code, walk_in_if_late=True)
    status = hall.services.ticket_status(hall.code, walk_in.ticket_id)
    assert status.state is TicketState.WAITING
    with Session(hall.engine) as s:
        row = s.exec(select(Appointment).where(Appointment.hall_id == hall.hall_id)).one()
        issued = s.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id)).one()
    assert row.state == "walked_in" and issued.appointment_slot_start is None
    with pytest.raises(NotFoundError):
        _checkin(hall, code="00000000")
