"""Appointments (预约服务): slots with capacity, and the check-in window at the kiosk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import Session


class CheckinStatus(StrEnum):
    """Outcome of an appointment check-in."""

    OK = "ok"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"


@dataclass(frozen=True, slots=True)
class CheckinVerdict:
    """A check-in decision. TOO_EARLY says when check-in `opens_at`; TOO_LATE lets the citizen take a
    walk-in ticket instead (`may_walk_in`)."""

    status: CheckinStatus
    opens_at: datetime | None = None
    may_walk_in: bool = False

    @property
    def ok(self) -> bool:
        """Whether the appointment is checked in."""
        return self.status is CheckinStatus.OK

    @property
    def refusal(self) -> RefusalCode | None:
        """The refusal code for the kiosk, None when checked in."""
        if self.status is CheckinStatus.TOO_EARLY:
            return RefusalCode.CHECKIN_TOO_EARLY
        if self.status is CheckinStatus.TOO_LATE:
            return RefusalCode.CHECKIN_TOO_LATE
        return None


def checkin_verdict(
    slot_start: datetime, slot_end: datetime, now: datetime, early: timedelta, late: timedelta
) -> CheckinVerdict:
    """Decide a check-in at `now` for the slot [slot_start, slot_end).

    Check-in opens `early` before the slot starts and closes `late` after the slot ends (both edges
    included), so a half-day slot can be checked into throughout the half day.
    """
    if slot_end <= slot_start:
        raise ValueError("slot must end after it starts")
    if early < timedelta(0) or late < timedelta(0):
        raise ValueError("early and late limits must not be negative")
    opens_at = slot_start - early
    if now < opens_at:
        return CheckinVerdict(CheckinStatus.TOO_EARLY, opens_at=opens_at)
    if now > slot_end + late:
        return CheckinVerdict(CheckinStatus.TOO_LATE, may_walk_in=True)
    return CheckinVerdict(CheckinStatus.OK)


def slot_has_capacity(booked: int, capacity: int) -> bool:
    """Whether one more booking fits in a slot."""
    return booked < capacity


def day_slots(
    day: date, sessions: Iterable[Session], slot_minutes: int | None, tz: tzinfo
) -> list[tuple[datetime, datetime]]:
    """Bookable slots of `day`: each session cut into `slot_minutes` pieces (aware datetimes in `tz`).

    `slot_minutes=None` gives one slot per session: the half-day slots (上午 / 下午) many halls use.
    A remainder shorter than a slot at a session's end is not offered: a slot must fit in the session.
    """
    if slot_minutes is not None and slot_minutes <= 0:
        raise ValueError("slot_minutes must be positive")
    slots: list[tuple[datetime, datetime]] = []
    for session in sessions:
        start = datetime.combine(day, session.start, tzinfo=tz)
        end = datetime.combine(day, session.end, tzinfo=tz)
        if slot_minutes is None:
            slots.append((start, end))
            continue
        step = timedelta(minutes=slot_minutes)
        while start + step <= end:
            slots.append((start, start + step))
            start += step
    return slots
