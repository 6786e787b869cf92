"""Stored hall and service settings turned into the domain's value objects (schedules, calendar).

Schedule JSON, as the hall file and the tables hold it::

    schedule          = {"0": [["09:00", "12:00"], ["13:30", "17:00"]], "1": …}   # weekday -> sessions
    rest_day_schedule = [["09:00", "12:00"]]                                       # weekends/holidays

A service without its own schedule uses the hall's; a hall without a schedule is always open (handy
for tests and for 24-hour self-service halls).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.cases import CaseType
from queue_server.domain.policies import Decision, Grant, LunchDuty, granted_classes, with_lunch
from queue_server.domain.priority import PriorityClass
from queue_server.domain.schedule import DaySchedule, HallSchedule, ServiceSchedule, Session
from queue_server.store.tables import Hall, Service

if TYPE_CHECKING:
    from queue_server.services.engine.tx import Tx


def parse_day(raw: Any) -> DaySchedule:
    """``[["09:00", "12:00"], …]`` -> DaySchedule; ValueError naming the bad entry."""
    if not isinstance(raw, list):
        raise ValueError(f"sessions must be a list of [start, end] pairs, got {raw!r}")
    sessions = []
    for pair in raw:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise ValueError(f"session must be [start, end], got {pair!r}")
        sessions.append(Session(time.fromisoformat(str(pair[0])), time.fromisoformat(str(pair[1]))))
    return DaySchedule(tuple(sessions))


def parse_week(raw: dict[str, Any]) -> dict[int, DaySchedule]:
    week: dict[int, DaySchedule] = {}
    for key, sessions in raw.items():
        weekday = int(key)
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {key!r}")
        week[weekday] = parse_day(sessions)
    return week


def hall_calendar(hall: Hall) -> HallCalendar:
    return HallCalendar(
        extra_holidays=frozenset(date.fromisoformat(d) for d in hall.extra_holidays),
        extra_workdays=frozenset(date.fromisoformat(d) for d in hall.extra_workdays),
        confirmed_years=frozenset(hall.confirmed_years),
    )


def hall_schedule(hall: Hall) -> HallSchedule | None:
    if hall.schedule is None:
        return None
    rest = None if hall.rest_day_schedule is None else parse_day(hall.rest_day_schedule)
    return HallSchedule(weekday=parse_week(hall.schedule), rest_day=rest)


def service_schedule(service: Service, hall: Hall) -> ServiceSchedule | None:
    """The service's hours (its own, else the hall's) with its cut-off; None = always open."""
    if service.schedule is not None:
        week, rest_raw = service.schedule, service.rest_day_schedule
    elif hall.schedule is not None:
        week, rest_raw = hall.schedule, hall.rest_day_schedule
    else:
        return None
    weekday = parse_week(week)
    rest = None if rest_raw is None else parse_day(rest_raw)
    if service.code in hall.lunch_services:  # 午间不休: served through the lunch break
        weekday = {day: with_lunch(hours) for day, hours in weekday.items()}
        rest = None if rest is None else with_lunch(rest)
    return ServiceSchedule(
        weekday=weekday,
        rest_day=rest,
        cutoff=timedelta(minutes=service.cutoff_min),
        extended=service.extended_hours,
    )


@dataclass(frozen=True, slots=True)
class HallPolicy:
    """The hall's ``[policies]`` that are lists on its row, as the domain's values (the numbers are
    read from the row's columns directly: ``priority_age``, ``id_daily_limit``, ``no_show_*``,
    ``checkin_*``)."""

    priority_classes: frozenset[PriorityClass]
    lunch: LunchDuty
    grants: tuple[Grant, ...]


def parse_policy(hall: Hall) -> HallPolicy:
    grants = tuple(
        Grant(
            case_types=frozenset(CaseType(c) for c in raw.get("case_types", [])),
            decisions=frozenset(Decision(d) for d in raw.get("decisions", [])),
            login=raw.get("login"),
            role=raw.get("role"),
            window=raw.get("window"),
        )
        for raw in hall.delegations
    )
    return HallPolicy(
        priority_classes=granted_classes(hall.priority_classes),
        lunch=LunchDuty(frozenset(hall.lunch_windows), frozenset(hall.lunch_services)),
        grants=grants,
    )


def hall_policy(tx: Tx) -> HallPolicy:
    """The hall's policies, parsed once per transaction's memo (the row is read by every transaction,
    so a change over the API holds from the next one)."""
    hall = tx.hall
    return tx.remember(("hall_policy", tx.hall_id), lambda: parse_policy(hall))
