"""Appointment check-in window, slot capacity and slot generation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from queue_server.domain.appointments import (
    BookingPolicy,
    CheckinStatus,
    CheckinVerdict,
    SessionCapacity,
    checkin_verdict,
    day_slots,
    id_limit_refusal,
    no_show_ban_until,
    offered_slots,
    slot_has_capacity,
    slot_refusal,
)
from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import DaySchedule, Session

from .factories import SH

START = datetime(2026, 11, 25, 9, 30, tzinfo=SH)
END = START + timedelta(minutes=30)
EARLY = timedelta(minutes=30)
LATE = timedelta(minutes=15)


def verdict(now: datetime) -> CheckinVerdict:
    return checkin_verdict(START, END, now, EARLY, LATE)


def test_check_in_opens_early_before_the_slot() -> None:
    too_early = verdict(START - EARLY - timedelta(seconds=1))
    assert too_early.status is CheckinStatus.TOO_EARLY
    assert too_early.opens_at == START - EARLY
    assert too_early.refusal is RefusalCode.CHECKIN_TOO_EARLY
    assert not too_early.may_walk_in
    assert verdict(START - EARLY).ok


def test_check_in_closes_late_after_the_slot_ends_and_offers_walk_in() -> None:
    assert verdict(END + LATE).ok
    late = verdict(END + LATE + timedelta(seconds=1))
    assert late.status is CheckinStatus.TOO_LATE
    assert late.may_walk_in
    assert late.refusal is RefusalCode.CHECKIN_TOO_LATE
    assert verdict(START + timedelta(minutes=10)).refusal is None


def test_bad_slots_and_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        checkin_verdict(END, START, START, EARLY, LATE)
    with pytest.raises(ValueError):
        checkin_verdict(START, END, START, -EARLY, LATE)


def test_slot_capacity() -> None:
    assert slot_has_capacity(0, 1)
    assert slot_has_capacity(9, 10)
    assert not slot_has_capacity(10, 10)
    assert not slot_has_capacity(0, 0)


SESSIONS = (Session(time(9, 0), time(12, 0)), Session(time(13, 30), time(17, 0)))
DAY = date(2026, 11, 25)


def test_half_day_slots() -> None:
    slots = day_slots(DAY, SESSIONS, None, SH)
    assert slots == [
        (datetime(2026, 11, 25, 9, 0, tzinfo=SH), datetime(2026, 11, 25, 12, 0, tzinfo=SH)),
        (datetime(2026, 11, 25, 13, 30, tzinfo=SH), datetime(2026, 11, 25, 17, 0, tzinfo=SH)),
    ]


def test_fixed_length_slots_fit_inside_sessions() -> None:
    slots = day_slots(DAY, SESSIONS, 60, SH)
    assert [s.strftime("%H:%M") for s, _ in slots] == ["09:00", "10:00", "11:00", "13:30", "14:30", "15:30"]
    assert all(end - start == timedelta(minutes=60) for start, end in slots)
    assert slots[-1][1] <= datetime(2026, 11, 25, 17, 0, tzinfo=SH)
    assert len(day_slots(DAY, SESSIONS, 30, SH)) == 6 + 7
    with pytest.raises(ValueError):
        day_slots(DAY, SESSIONS, 0, SH)


# --- booking -------------------------------------------------------------------------------------

HOURS = DaySchedule((Session(time(9), time(12)), Session(time(13, 30), time(17))))
POLICY = BookingPolicy()
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SH)
D = date(2026, 11, 25)


def _at(hour: int, minute: int = 0, day: date = D) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SH)


def test_offered_slots_cut_sessions_and_spread_their_capacity() -> None:
    slots = offered_slots(D, HOURS, rest_day=False, capacity=SessionCapacity(7, 0, 3), policy=POLICY, tz=SH)
    assert [s.start.time() for s in slots] == [time(9 + m // 60, m % 60) for m in range(0, 180, 30)]
    assert {(s.half, s.capacity, s.session_capacity) for s in slots} == {("am", 2, 7)}  # 7 over 6: 2 each
    rest = offered_slots(D, HOURS, rest_day=True, capacity=SessionCapacity(7, 0, 3), policy=POLICY, tz=SH)
    assert len(rest) == 6 + 7 and {s.session_capacity for s in rest} == {3}
    half_days = offered_slots(
        D, HOURS, rest_day=False, capacity=SessionCapacity(4, 4), policy=BookingPolicy(slot_minutes=0), tz=SH
    )
    assert [(s.start, s.end) for s in half_days] == [(_at(9), _at(12)), (_at(13, 30), _at(17))]
    assert (
        offered_slots(D, None, rest_day=True, capacity=SessionCapacity(4, 4, 4), policy=POLICY, tz=SH) == []
    )


def test_slot_refusal() -> None:
    offered = offered_slots(D, HOURS, rest_day=False, capacity=SessionCapacity(4, 4), policy=POLICY, tz=SH)
    assert slot_refusal(_at(9), _at(9, 30), offered, POLICY, NOW) is None
    assert slot_refusal(_at(3), _at(3, 30), offered, POLICY, NOW) == "slot_closed"
    assert slot_refusal(_at(12), _at(12, 30), offered, POLICY, NOW) == "slot_closed"  # lunch
    assert slot_refusal(_at(9), _at(9) + timedelta(days=365), offered, POLICY, NOW) == "slot_closed"
    assert slot_refusal(_at(9), _at(9, 30), [], POLICY, NOW) == "slot_closed"  # a closed day
    assert slot_refusal(NOW, NOW + timedelta(minutes=30), offered, POLICY, NOW) == "slot_past"
    far = _at(9, day=D + timedelta(days=14))
    assert slot_refusal(far, far + timedelta(minutes=30), None, POLICY, NOW) == "slot_too_far"
    # Always open (no hours): any slot of the hall's length.
    assert slot_refusal(_at(3, 10), _at(3, 40), None, POLICY, NOW) is None
    assert slot_refusal(_at(3, 10), _at(3, 50), None, POLICY, NOW) == "slot_closed"


def test_id_limits() -> None:
    assert id_limit_refusal(2, 0, POLICY) is None
    assert id_limit_refusal(3, 0, POLICY) == "id_open_limit"
    assert id_limit_refusal(1, 1, POLICY) == "id_day_limit"


def test_no_show_ban() -> None:
    misses = [NOW - timedelta(days=d) for d in (20, 10, 1)]
    assert no_show_ban_until(misses[1:], NOW, POLICY) is None  # two misses
    assert no_show_ban_until(misses, NOW, POLICY) == misses[-1] + timedelta(days=30)
    spread = [NOW - timedelta(days=d) for d in (45, 10, 1)]  # not three within 30 days
    assert no_show_ban_until(spread, NOW, POLICY) is None
    assert no_show_ban_until(misses, misses[-1] + timedelta(days=30, seconds=1), POLICY) is None
    assert no_show_ban_until(misses, NOW, BookingPolicy(no_show_limit=0)) is None
