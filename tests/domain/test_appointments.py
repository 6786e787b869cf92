"""Appointment check-in window, slot capacity and slot generation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from queue_server.domain.appointments import (
    CheckinStatus,
    CheckinVerdict,
    checkin_verdict,
    day_slots,
    slot_has_capacity,
)
from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import Session

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
