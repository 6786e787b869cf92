"""Appointments (预约服务): slots with capacity, and the check-in window at the kiosk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import DaySchedule, Session


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


# --- booking (预约): the slots a hall offers and who may book them --------------------------------

# Why a booking is refused (the ``reason`` of the refusal; the page explains each in zh-CN).
SLOT_CLOSED = "slot_closed"  # not a slot of the hall: closed day or hour, lunch break, wrong length
SLOT_PAST = "slot_past"
SLOT_TOO_FAR = "slot_too_far"
SLOT_FULL = "slot_full"
ID_OPEN_LIMIT = "id_open_limit"
ID_DAY_LIMIT = "id_day_limit"
NO_SHOW_BAN = "no_show_ban"

REFUSAL_ZH = {
    SLOT_CLOSED: "该时段不开放预约（休息日、节假日、午休或非大厅规定的时段）。",
    SLOT_PAST: "只能预约未来的时段。",
    SLOT_TOO_FAR: "该日期尚未开放预约。",
    SLOT_FULL: "该预约时段已约满，请选择其他时段。",
    ID_OPEN_LIMIT: "您尚未办理的预约已达上限，请先办理或取消已有预约。",
    ID_DAY_LIMIT: "您当天的预约次数已达上限。",
    NO_SHOW_BAN: "您近期多次预约未到，暂停预约。",
}


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    """A hall's booking rules (the hall file's ``[booking]``; these defaults when it has none).

    ``slot_minutes`` 0 offers one slot per session (上午 / 下午). A missed appointment is one never
    checked in whose check-in window has closed; ``no_show_limit`` of them within
    ``no_show_window_days`` stop the ID from booking for ``no_show_ban_days`` after the last one.
    """

    slot_minutes: int = 30
    days_ahead: int = 14
    max_open_per_id: int = 3
    max_per_id_per_day: int = 1
    no_show_limit: int = 3
    no_show_window_days: int = 30
    no_show_ban_days: int = 30
    remind_before_min: int = 24 * 60


@dataclass(frozen=True, slots=True)
class SessionCapacity:
    """Bookings a service takes per session: a working day's morning and afternoon, a rest day's
    sessions (a service that opens on rest days: 双休日服务)."""

    morning: int = 0
    afternoon: int = 0
    rest_day: int = 0

    def of(self, session_start: time, *, rest_day: bool) -> int:
        if rest_day:
            return self.rest_day
        return self.morning if session_start.hour < 12 else self.afternoon


@dataclass(frozen=True, slots=True)
class Slot:
    """A bookable slot; ``half`` ("am"/"pm") names its session's counter, ``capacity`` is the slot's
    share of the session's capacity, ``session_capacity`` the session's own."""

    start: datetime
    end: datetime
    half: str
    capacity: int
    session_capacity: int


def half_of(local_start: time) -> str:
    """The session counter a slot counts against: the morning or the afternoon (hall-local)."""
    return "am" if local_start.hour < 12 else "pm"


def offered_slots(
    day: date,
    hours: DaySchedule | None,
    *,
    rest_day: bool,
    capacity: SessionCapacity,
    policy: BookingPolicy,
    tz: tzinfo,
) -> list[Slot]:
    """The slots of `day` for a service open in `hours` (None: closed), each session cut into the
    hall's slot length and its capacity spread over them (rounded up: the session's own capacity
    still caps the total). Sessions without capacity offer nothing; lunch breaks are never a slot."""
    if hours is None:
        return []
    offered: list[Slot] = []
    length = policy.slot_minutes or None
    for session in hours.sessions:
        session_cap = capacity.of(session.start, rest_day=rest_day)
        pieces = day_slots(day, (session,), length, tz)
        if session_cap <= 0 or not pieces:
            continue
        share = -(-session_cap // len(pieces))
        half = half_of(session.start)
        offered.extend(Slot(start, end, half, share, session_cap) for start, end in pieces)
    return offered


def slot_refusal(
    start: datetime, end: datetime, offered: list[Slot] | None, policy: BookingPolicy, now: datetime
) -> str | None:
    """Why the slot [start, end) cannot be booked at `now`, None when it can.

    `offered` is the day's offered slots (:func:`offered_slots`); None means the service keeps no
    hours (always open), where any slot of the hall's length fits (``slot_minutes`` 0: up to 12 h).
    """
    if start <= now:
        return SLOT_PAST
    if (start - now).days >= policy.days_ahead:
        return SLOT_TOO_FAR
    if offered is not None:
        return None if any(s.start == start and s.end == end for s in offered) else SLOT_CLOSED
    length = end - start
    fits = (
        length == timedelta(minutes=policy.slot_minutes)
        if policy.slot_minutes
        else timedelta(0) < length <= timedelta(hours=12)
    )
    return None if fits else SLOT_CLOSED


def id_limit_refusal(open_count: int, same_day_count: int, policy: BookingPolicy) -> str | None:
    """Per-ID limits: open bookings (booked, slot not over) and bookings on the slot's day."""
    if open_count >= policy.max_open_per_id:
        return ID_OPEN_LIMIT
    if same_day_count >= policy.max_per_id_per_day:
        return ID_DAY_LIMIT
    return None


def is_missed(state: str, slot_end: datetime, now: datetime, late: timedelta) -> bool:
    """A booking never checked in whose check-in window has closed (a no-show)."""
    return state == "booked" and now > slot_end + late


def no_show_ban_until(
    missed_ends: Iterable[datetime], now: datetime, policy: BookingPolicy
) -> datetime | None:
    """Until when an ID may not book: any `no_show_limit` misses within `no_show_window_days` of each
    other ban it for `no_show_ban_days` after the last of them. None when it may book.

    The caller passes the misses of the last ``no_show_window_days + no_show_ban_days`` days at least.
    """
    limit = policy.no_show_limit
    if limit <= 0:
        return None
    ends = sorted(missed_ends)
    window = timedelta(days=policy.no_show_window_days)
    until: datetime | None = None
    for last in range(limit - 1, len(ends)):
        if ends[last] - ends[last - limit + 1] <= window:
            candidate = ends[last] + timedelta(days=policy.no_show_ban_days)
            until = candidate if until is None else max(until, candidate)
    return until if until is not None and until > now else None
