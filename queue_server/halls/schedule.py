"""The hall file's hours as the domain's schedule values (``queue_server.domain``)."""

from __future__ import annotations

from datetime import timedelta

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.schedule import DaySchedule, HallSchedule, ServiceSchedule, Session

from .schema import WEEKDAYS, HallFile, Hours
from .values import TimeRange


def _day(sessions: list[TimeRange]) -> DaySchedule:
    return DaySchedule(tuple(Session(s.start, s.end) for s in sessions))


def _weekdays(hours: Hours) -> dict[int, DaySchedule]:
    return {i: _day(hours.sessions(day)) for i, day in enumerate(WEEKDAYS) if hours.sessions(day)}


def hall_calendar(hall: HallFile) -> HallCalendar:
    """Working days: the national calendar plus the hall's own holidays and make-up days."""
    hours = hall.hours
    return HallCalendar(
        frozenset(hours.extra_holidays), frozenset(hours.extra_workdays), frozenset(hours.confirmed_years)
    )


def hall_schedule(hall: HallFile) -> HallSchedule:
    rest = _day(hall.hours.rest_day) if hall.hours.rest_day else None
    return HallSchedule(weekday=_weekdays(hall.hours), rest_day=rest)


def service_schedule(hall: HallFile, code: str) -> ServiceSchedule:
    """A service follows the hall's hours; on rest days only if it is a weekend service.

    It is extended (延时服务) when one of the windows serving it stays open after closing.
    """
    service = hall.service(code)
    rest = _day(hall.hours.rest_day) if service.weekend and hall.hours.rest_day else None
    extended = any(w.extended_hours and code in (*w.primary, *w.secondary) for w in hall.windows)
    return ServiceSchedule(
        weekday=_weekdays(hall.hours),
        rest_day=rest,
        cutoff=timedelta(minutes=service.cutoff_min),
        extended=extended,
    )
