"""Booking rules as the running hall applies them: hours, rest days, holidays, lunch, slot length,
capacity per session, per-ID limits, the no-show policy, cancel and reschedule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from harness.factories import HallFixture
from queue_server.errors import InvalidStateError, NotFoundError, RefusedError
from queue_server.protocol.messages import AppointmentCheckinArgs, ErrorCode
from queue_server.store.tables import Appointment, SlotCounter

from .booking_helpers import ID_A, ID_B, ID_C, at, book, refused, scheduled_hall

MakeHall = Callable[..., HallFixture]


def test_a_slot_on_sunday_at_three_in_the_morning_is_refused(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall)  # the clock: Wednesday 12 March 2025, 10:00
    assert refused(hall, at(16, 3)) == "slot_closed"  # Sunday 03:00
    assert refused(hall, at(16, 9)) == "slot_closed"  # Sunday in opening hours: A takes no rest-day bookings
    assert refused(hall, at(13, 3)) == "slot_closed"  # a working day, hall closed
    assert refused(hall, at(13, 12, 30)) == "slot_closed"  # lunch break
    assert refused(hall, at(13, 16, 45)) == "slot_closed"  # would end after closing
    assert refused(hall, at(12, 9)) == "slot_past"
    assert refused(hall, at(27, 9)) == "slot_too_far"  # 14 days ahead at most
    assert book(hall, at(13, 9)).state == "booked"


def test_holidays_and_make_up_working_days_follow_the_calendar(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall)
    hall.clock.set(at(1, 10, month=4))
    assert refused(hall, at(4, 9, month=4)) == "slot_closed"  # 清明节, a Friday
    hall.clock.set(at(20, 10, month=4))
    assert book(hall, at(27, 9, month=4)).state == "booked"  # a Sunday made a working day (调休)


def test_a_slot_one_year_long_or_off_the_halls_grid_is_refused(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall)
    year = int(timedelta(days=365).total_seconds() // 60)
    assert refused(hall, at(13, 9), year) == "slot_closed"
    assert refused(hall, at(13, 9), 45) == "slot_closed"  # the hall's slots are 30 minutes
    assert refused(hall, at(13, 9, 10)) == "slot_closed"  # slots start on the session's grid
    # A hall without hours (always open) still holds the slot length.
    open_hall = make_hall()
    with pytest.raises(RefusedError) as long:
        open_hall.services.book_appointment(open_hall.code, "A", at(13, 9), at(13, 9) + timedelta(days=365))
    assert long.value.detail["reason"] == "slot_closed"


def test_four_bookings_under_one_id_are_refused(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall)
    for day in (13, 14, 17):
        book(hall, at(day, 9))
    assert refused(hall, at(18, 9)) == "id_open_limit"
    assert book(hall, at(13, 14), id_hash=ID_B).state == "booked"  # another ID is not limited
    book(hall, at(13, 14, 30), id_hash=ID_C)
    assert refused(hall, at(13, 15), id_hash=ID_C) == "id_day_limit"  # one a day per ID
    with pytest.raises(RefusedError) as limit:
        book(hall, at(18, 9))
    assert limit.value.code is ErrorCode.ID_DAILY_LIMIT  # HTTP 429


def test_capacity_per_morning_afternoon_and_rest_day_session(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall, {"A": (2, 1, 1)})
    book(hall, at(13, 9), id_hash=ID_A)
    assert refused(hall, at(13, 9), id_hash=ID_B) == "slot_full"  # 2 over 6 morning slots: 1 each
    book(hall, at(13, 9, 30), id_hash=ID_B)
    assert refused(hall, at(13, 10), id_hash=ID_C) == "slot_full"  # the morning's 2 are taken
    book(hall, at(13, 14), id_hash=ID_C)
    assert refused(hall, at(13, 15), id_hash="d" * 64) == "slot_full"  # the afternoon's 1
    book(hall, at(16, 9), id_hash="d" * 64)  # Sunday: the rest-day capacity
    assert refused(hall, at(16, 10), id_hash="e" * 64) == "slot_full"
    days = {d.day.day: d for d in hall.services.booking_availability(hall.code, "A", None, 7).days}
    assert sum(s.left for s in days[13].slots) == 0
    assert [s.left for s in days[14].slots] == [1] * 6 + [1] * 7  # morning 6 slots, afternoon 7
    assert days[15].rest_day and [s.left for s in days[15].slots] == [1] * 6  # any one of them
    assert days[16].rest_day and sum(s.left for s in days[16].slots) == 0


def test_three_no_shows_in_thirty_days_stop_booking_for_thirty_days(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall, max_open_per_id=5)
    kept = book(hall, at(13, 9), id_hash=ID_A)
    for day in (14, 17, 18):
        book(hall, at(day, 9))
    hall.clock.set(at(13, 9, 5))
    checkin = AppointmentCheckinArgs(code=kept.code)
    hall.services.checkin_appointment(hall.code, checkin, request_id=hall.rid(), device_id="kiosk-1")
    hall.clock.set(at(18, 9, 44))  # the third miss's check-in window is still open
    book(hall, at(19, 9))
    hall.clock.set(at(19, 10))  # four misses now: the 14th, 17th, 18th and 19th
    with pytest.raises(RefusedError) as banned:
        book(hall, at(20, 9))
    detail = banned.value.detail
    assert detail["reason"] == "no_show_ban"
    assert detail["until"] == (at(19, 9, 30) + timedelta(days=30)).timestamp()
    assert book(hall, at(20, 9), id_hash=ID_B).state == "booked"  # others are not affected
    hall.clock.set(at(18, 9, 29, month=4))
    assert refused(hall, at(21, 9, month=4)) == "no_show_ban"
    hall.clock.set(at(18, 9, 31, month=4))
    assert book(hall, at(21, 9, month=4)).state == "booked"  # the ban is over


def test_cancel_and_reschedule_by_code_and_id(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall, {"A": (6, 1, 0)})
    first = book(hall, at(13, 14), id_hash=ID_A)
    assert refused(hall, at(13, 15), id_hash=ID_B) == "slot_full"
    s = hall.services
    with pytest.raises(NotFoundError):
        s.cancel_appointment(hall.code, first.code, ID_B)  # a code alone is not enough
    assert s.find_appointment(hall.code, "YY" + first.code, ID_A).code == first.code  # as the QR has it
    cancelled = s.cancel_appointment(hall.code, first.code, ID_A, request_id=hall.rid())
    assert cancelled.state == "cancelled"
    second = book(hall, at(13, 15), id_hash=ID_B)  # the place came back
    moved = s.reschedule_appointment(hall.code, second.code, ID_B, at(14, 10), at(14, 10, 30))
    assert (moved.code, moved.slot_start) == (second.code, at(14, 10).timestamp())
    book(hall, at(13, 16), id_hash=ID_C)  # the afternoon's place came back again
    assert refused(hall, at(13, 16, 30), id_hash=ID_A) == "slot_full"
    with pytest.raises(RefusedError) as closed:
        s.reschedule_appointment(hall.code, second.code, ID_B, at(15, 10), at(15, 10, 30))  # a Saturday
    assert closed.value.detail["reason"] == "slot_closed"
    hall.clock.set(at(14, 10, 1))
    with pytest.raises(InvalidStateError):
        s.cancel_appointment(hall.code, second.code, ID_B)
    with Session(hall.engine) as session:
        counters = {
            (c.day.day, c.half): c.value
            for c in session.exec(select(SlotCounter).where(SlotCounter.hall_id == hall.hall_id))
        }
        states = sorted(
            a.state for a in session.exec(select(Appointment).where(Appointment.hall_id == hall.hall_id))
        )
    assert counters == {(13, "pm"): 1, (14, "am"): 1}
    assert states == ["booked", "booked", "cancelled"]


def test_the_qr_code_checks_in_at_the_kiosk(make_hall: MakeHall) -> None:
    hall = scheduled_hall(make_hall)
    booked = book(hall, at(13, 9))
    hall.clock.set(at(13, 8, 45))
    scanned = AppointmentCheckinArgs(code="YY" + booked.code)  # what the kiosk's scanner reads
    ticket = hall.services.checkin_appointment(hall.code, scanned, request_id=hall.rid(), device_id="kiosk-1")
    assert ticket.number.startswith("A")
    assert hall.services.find_appointment(hall.code, booked.code, ID_A).state == "checked_in"


def test_a_move_within_a_full_session_is_allowed_and_a_refused_move_changes_nothing(
    make_hall: MakeHall,
) -> None:
    hall = scheduled_hall(make_hall, {"A": (1, 1, 0)})
    s = hall.services
    mine = book(hall, at(13, 14), id_hash=ID_A)
    book(hall, at(14, 9), id_hash=ID_B)  # the 14th's morning is full
    moved = s.reschedule_appointment(hall.code, mine.code, ID_A, at(13, 15), at(13, 15, 30))
    assert moved.slot_start == at(13, 15).timestamp()
    with pytest.raises(RefusedError) as full:
        s.reschedule_appointment(hall.code, mine.code, ID_A, at(14, 9, 30), at(14, 10))
    assert full.value.detail["reason"] == "slot_full"
    assert s.find_appointment(hall.code, mine.code, ID_A).slot_start == at(13, 15).timestamp()
    assert refused(hall, at(13, 16), id_hash=ID_C) == "slot_full"  # its place is still held
    with Session(hall.engine) as session:
        counters = {
            (c.day.day, c.half): c.value
            for c in session.exec(select(SlotCounter).where(SlotCounter.hall_id == hall.hall_id))
        }
    assert counters == {(13, "pm"): 1, (14, "am"): 1}
