"""Opening hours: sessions, lunch break, issue cut-off, extended hours and rest-day (weekend) service.

All functions take the hall-local time as an aware datetime (`now_local`); returned datetimes carry the
same `tzinfo`. A working day uses the `weekday` table (0 = Monday); a rest day (weekend or holiday) uses
`rest_day`, or is closed when that is None. A make-up working day (调休) that falls on a weekend has no
entry of its own in `weekday`, so it borrows the hours of the first weekday in the table (normally
Monday): the State Council arrangement makes it an ordinary working day.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Protocol

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.refusals import RefusalCode

# How far ahead `next_open` looks: a hall closed for longer than a year has no next opening.
_LOOKAHEAD_DAYS = 400
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Session:
    """One stretch of opening hours, hall-local wall-clock times, `start` inclusive, `end` exclusive."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("session times are hall-local wall-clock times without tzinfo")
        if not self.start < self.end:
            raise ValueError(f"session must start before it ends: {self.start}-{self.end}")


@dataclass(frozen=True, slots=True)
class DaySchedule:
    """The sessions of one day in order (typically morning and afternoon); the gaps are lunch breaks."""

    sessions: tuple[Session, ...]

    def __post_init__(self) -> None:
        for before, after in zip(self.sessions, self.sessions[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"sessions overlap or are out of order: {before} then {after}")

    @property
    def opens(self) -> time | None:
        """The day's first opening time."""
        return self.sessions[0].start if self.sessions else None

    @property
    def closes(self) -> time | None:
        """The day's last closing time."""
        return self.sessions[-1].end if self.sessions else None


class _Hours(Protocol):
    """What `HallSchedule` and `ServiceSchedule` share."""

    @property
    def weekday(self) -> Mapping[int, DaySchedule]: ...

    @property
    def rest_day(self) -> DaySchedule | None: ...


@dataclass(frozen=True, slots=True)
class HallSchedule:
    """When the hall itself is open.

    `weekday` (0 = Monday) holds working-day hours; a weekday absent = closed that day. Weekend and
    holiday hours go in `rest_day`: keys 5 and 6 of `weekday` are used only when a Saturday or Sunday
    is a make-up working day.
    """

    weekday: Mapping[int, DaySchedule]
    rest_day: DaySchedule | None = None


@dataclass(frozen=True, slots=True)
class ServiceSchedule:
    """When a service (queue) is served and tickets may be taken; `weekday` and `rest_day` as in
    `HallSchedule` (`rest_day` None: the service is not one of the designated weekend services).

    `cutoff`: tickets stop this long before the day's last closing. `extended`: windows of this service
    stay open after closing until every ticket taken before the cut-off has been served (延时服务).
    """

    weekday: Mapping[int, DaySchedule]
    rest_day: DaySchedule | None = None
    cutoff: timedelta = timedelta(0)
    extended: bool = False

    def __post_init__(self) -> None:
        if self.cutoff < timedelta(0):
            raise ValueError("cutoff must not be negative")


class HallMode(StrEnum):
    """What the hall display says about the hall right now."""

    OPEN = "open"
    EXTENDED = "extended"
    CLOSED = "closed"
    WEEKEND_SERVICE = "weekend_service"
    LUNCH_BREAK = "lunch_break"

    @property
    def label_zh(self) -> str:
        """The words for the hall display."""
        return _MODE_LABELS_ZH[self]


_MODE_LABELS_ZH: dict[HallMode, str] = {
    HallMode.OPEN: "正常办公",
    HallMode.EXTENDED: "延时服务",
    HallMode.CLOSED: "休息",
    HallMode.WEEKEND_SERVICE: "双休日服务",
    HallMode.LUNCH_BREAK: "午间休息",
}


@dataclass(frozen=True, slots=True)
class HallStatus:
    """The hall's mode; `next_open` when it is not serving now, `closes_at` when it is."""

    mode: HallMode
    next_open: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IssueVerdict:
    """Whether a kiosk may issue a ticket of a service now; if not, why and when it opens again."""

    ok: bool
    code: RefusalCode | None = None
    next_open: datetime | None = None


ISSUE_OK = IssueVerdict(ok=True)


def day_schedule(schedule: _Hours, calendar: HallCalendar, day: date) -> DaySchedule | None:
    """The hours that apply on `day`, or None when closed all day."""
    if calendar.is_working_day(day):
        hours = schedule.weekday.get(day.weekday())
        if hours is None and day.weekday() >= 5 and schedule.weekday:
            # A weekend make-up working day (调休) runs as an ordinary working day.
            hours = schedule.weekday[min(schedule.weekday)]
    else:
        hours = schedule.rest_day
    if hours is None or not hours.sessions:
        return None
    return hours


def _at(day: date, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz)


def _require_aware(now_local: datetime) -> tzinfo:
    tz = now_local.tzinfo
    if tz is None or now_local.utcoffset() is None:
        raise ValueError("now_local must be a timezone-aware hall-local datetime")
    return tz


def _sessions_from(schedule: _Hours, calendar: HallCalendar, now_local: datetime) -> Iterator[datetime]:
    """Session starts at or after `now_local`, in order, up to `_LOOKAHEAD_DAYS` ahead."""
    tz = _require_aware(now_local)
    today = now_local.date()
    for offset in range(_LOOKAHEAD_DAYS):
        day = today + offset * _ONE_DAY
        hours = day_schedule(schedule, calendar, day)
        if hours is None:
            continue
        for session in hours.sessions:
            start = _at(day, session.start, tz)
            if start >= now_local:
                yield start


def next_opening(schedule: _Hours, calendar: HallCalendar, now_local: datetime) -> datetime | None:
    """The first session start strictly after `now_local` (None if nothing within about a year)."""
    for start in _sessions_from(schedule, calendar, now_local):
        if start > now_local:
            return start
    return None


def last_closing(schedule: _Hours, calendar: HallCalendar, day: date, tz: tzinfo) -> datetime | None:
    """When the last session of `day` ends (the reference for cut-off and extended minutes)."""
    hours = day_schedule(schedule, calendar, day)
    if hours is None or hours.closes is None:
        return None
    return _at(day, hours.closes, tz)


def cutoff_time(schedule: ServiceSchedule, calendar: HallCalendar, day: date, tz: tzinfo) -> datetime | None:
    """The moment ticket issuing for the service stops on `day`."""
    closing = last_closing(schedule, calendar, day, tz)
    return None if closing is None else closing - schedule.cutoff


def _current_session(hours: DaySchedule, now_local: datetime) -> Session | None:
    t = now_local.time()
    for session in hours.sessions:
        if session.start <= t < session.end:
            return session
    return None


def hall_status(
    schedule: HallSchedule, calendar: HallCalendar, now_local: datetime, *, pending_tickets: int = 0
) -> HallStatus:
    """The hall's mode at `now_local`.

    OPEN / WEEKEND_SERVICE inside a session of a working / rest day; LUNCH_BREAK between two sessions;
    EXTENDED after the day's last closing while `pending_tickets` (taken before the cut-off, not yet
    finished) remain; CLOSED otherwise.
    """
    tz = _require_aware(now_local)
    day = now_local.date()
    hours = day_schedule(schedule, calendar, day)
    following = next_opening(schedule, calendar, now_local)
    if hours is None:
        return HallStatus(HallMode.CLOSED, next_open=following)
    session = _current_session(hours, now_local)
    if session is not None:
        mode = HallMode.OPEN if calendar.is_working_day(day) else HallMode.WEEKEND_SERVICE
        return HallStatus(mode, closes_at=_at(day, session.end, tz))
    opens = _at(day, hours.sessions[0].start, tz)
    closes = _at(day, hours.sessions[-1].end, tz)
    if opens < now_local < closes:
        return HallStatus(HallMode.LUNCH_BREAK, next_open=following)
    if now_local >= closes and pending_tickets > 0:
        return HallStatus(HallMode.EXTENDED, next_open=following)
    return HallStatus(HallMode.CLOSED, next_open=following)


def issue_verdict(schedule: ServiceSchedule, calendar: HallCalendar, now_local: datetime) -> IssueVerdict:
    """Whether a ticket of this service may be issued at `now_local`.

    Issuing is allowed from the day's first opening until the cut-off before its last closing, lunch
    break included (the ticket is served in the afternoon). Between the cut-off and the closing the
    refusal is "cutoff_passed"; at any other time "service_closed". `next_open` is the next session
    start, so the kiosk can say when to come back.
    """
    tz = _require_aware(now_local)
    day = now_local.date()
    hours = day_schedule(schedule, calendar, day)
    if hours is not None:
        opens = _at(day, hours.sessions[0].start, tz)
        closes = _at(day, hours.sessions[-1].end, tz)
        cutoff = closes - schedule.cutoff
        if opens <= now_local < cutoff:
            return ISSUE_OK
        if opens <= now_local and cutoff <= now_local < closes:
            return IssueVerdict(False, RefusalCode.CUTOFF_PASSED, next_opening(schedule, calendar, closes))
    return IssueVerdict(False, RefusalCode.SERVICE_CLOSED, next_opening(schedule, calendar, now_local))


def is_extended_period(
    schedule: ServiceSchedule, calendar: HallCalendar, now_local: datetime, pending_tickets: int
) -> bool:
    """Whether the service is in extended hours: marked extended, past today's last closing, and still
    holding `pending_tickets` taken before the cut-off. Those windows stay open until the queue is empty.
    """
    tz = _require_aware(now_local)
    if not schedule.extended or pending_tickets <= 0:
        return False
    closing = last_closing(schedule, calendar, now_local.date(), tz)
    return closing is not None and now_local >= closing


def may_call(schedule: _Hours, calendar: HallCalendar, now_local: datetime, *, extended_window: bool) -> bool:
    """Whether a window may call a ticket at `now_local`: any window until the day's last closing;
    after it only a window of the extended-hours service (延时服务), which serves the tickets taken
    before the cut-off (a day without hours: any window the hall let open, i.e. a weekend window)."""
    closing = last_closing(schedule, calendar, now_local.date(), _require_aware(now_local))
    return closing is None or now_local < closing or extended_window


def extended_minutes(closing: datetime, last_finish: datetime) -> int:
    """Minutes worked past closing, rounded up to whole minutes (a started minute counts); 0 if none."""
    overtime = last_finish - closing
    if overtime <= timedelta(0):
        return 0
    return math.ceil(overtime / timedelta(minutes=1))
