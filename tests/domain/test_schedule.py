"""Opening hours, lunch break, cut-off, extended hours, weekend service, holidays and make-up days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.refusals import RefusalCode
from queue_server.domain.schedule import (
    DaySchedule,
    HallMode,
    HallSchedule,
    ServiceSchedule,
    Session,
    cutoff_time,
    day_schedule,
    extended_minutes,
    hall_status,
    is_extended_period,
    issue_verdict,
    last_closing,
    next_opening,
)

from .factories import SH

CAL = HallCalendar()
MORNING = Session(time(9, 0), time(12, 0))
FULL_DAY = DaySchedule((MORNING, Session(time(13, 30), time(17, 0))))
# Friday afternoon is used for study sessions in many halls: it closes at 16:00.
FRIDAY = DaySchedule((MORNING, Session(time(13, 30), time(16, 0))))
WEEKEND = DaySchedule((Session(time(9, 30), time(12, 30)),))
WEEKDAYS = {0: FULL_DAY, 1: FULL_DAY, 2: FULL_DAY, 3: FULL_DAY, 4: FRIDAY}

HALL = HallSchedule(weekday=WEEKDAYS, rest_day=WEEKEND)
HALL_WEEKDAYS_ONLY = HallSchedule(weekday=WEEKDAYS)
# A normal service: working days only, tickets stop 30 minutes before closing.
NORMAL = ServiceSchedule(weekday=WEEKDAYS, cutoff=timedelta(minutes=30))
# A designated weekend service (双休日服务), also extended-hours (延时服务).
WEEKEND_SERVICE = ServiceSchedule(
    weekday=WEEKDAYS, rest_day=WEEKEND, cutoff=timedelta(minutes=30), extended=True
)

WED = date(2026, 11, 25)
FRI = date(2026, 11, 27)
SAT = date(2026, 11, 28)
MON = date(2026, 11, 30)
NATIONAL_DAY = date(2026, 10, 1)  # Thursday, statutory holiday
MAKEUP_SAT = date(2026, 10, 10)  # Saturday worked for National Day


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SH)


# Values ---------------------------------------------------------------------------------------------


def test_session_must_start_before_it_ends() -> None:
    with pytest.raises(ValueError):
        Session(time(12, 0), time(9, 0))
    with pytest.raises(ValueError, match="wall-clock"):
        Session(time(9, 0, tzinfo=SH), time(12, 0))


def test_day_sessions_must_not_overlap() -> None:
    with pytest.raises(ValueError, match="overlap"):
        DaySchedule((Session(time(9, 0), time(12, 0)), Session(time(11, 0), time(17, 0))))
    assert FULL_DAY.opens == time(9, 0)
    assert FULL_DAY.closes == time(17, 0)
    assert DaySchedule(()).opens is None


def test_negative_cutoff_is_refused() -> None:
    with pytest.raises(ValueError):
        ServiceSchedule(weekday=WEEKDAYS, cutoff=timedelta(minutes=-1))


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        hall_status(HALL, CAL, datetime(2026, 11, 25, 10, 0))  # noqa: DTZ001 - the naive value is the point


# Opening hours per weekday, morning and afternoon, lunch break ---------------------------------------


def test_opening_hours_differ_per_weekday() -> None:
    assert hall_status(HALL, CAL, at(WED, 16, 30)).mode is HallMode.OPEN
    friday = hall_status(HALL, CAL, at(FRI, 16, 30))
    assert friday.mode is HallMode.CLOSED
    assert friday.next_open == at(SAT, 9, 30)


def test_morning_opens_inclusive_and_reports_closing() -> None:
    before = hall_status(HALL, CAL, at(WED, 8, 59))
    assert before.mode is HallMode.CLOSED
    assert before.next_open == at(WED, 9, 0)
    opened = hall_status(HALL, CAL, at(WED, 9, 0))
    assert opened.mode is HallMode.OPEN
    assert opened.closes_at == at(WED, 12, 0)
    assert opened.next_open is None


def test_lunch_break_between_sessions() -> None:
    for hh, mm in ((12, 0), (13, 29)):
        status = hall_status(HALL, CAL, at(WED, hh, mm))
        assert status.mode is HallMode.LUNCH_BREAK
        assert status.next_open == at(WED, 13, 30)
    afternoon = hall_status(HALL, CAL, at(WED, 13, 30))
    assert afternoon.mode is HallMode.OPEN
    assert afternoon.closes_at == at(WED, 17, 0)


def test_after_closing_next_open_is_the_next_day() -> None:
    status = hall_status(HALL, CAL, at(WED, 17, 0))
    assert status.mode is HallMode.CLOSED
    assert status.next_open == at(date(2026, 11, 26), 9, 0)


def test_mode_labels_are_chinese() -> None:
    assert HallMode.LUNCH_BREAK.label_zh == "午间休息"
    assert HallMode.WEEKEND_SERVICE.label_zh == "双休日服务"


# Weekend service --------------------------------------------------------------------------------------


def test_weekend_service_hours() -> None:
    status = hall_status(HALL, CAL, at(SAT, 10, 0))
    assert status.mode is HallMode.WEEKEND_SERVICE
    assert status.closes_at == at(SAT, 12, 30)
    assert hall_status(HALL, CAL, at(SAT, 14, 0)).next_open == at(date(2026, 11, 29), 9, 30)


def test_hall_without_weekend_service_is_closed_until_monday() -> None:
    status = hall_status(HALL_WEEKDAYS_ONLY, CAL, at(SAT, 10, 0))
    assert status.mode is HallMode.CLOSED
    assert status.next_open == at(MON, 9, 0)


def test_only_designated_services_issue_on_weekends() -> None:
    closed = issue_verdict(NORMAL, CAL, at(SAT, 10, 0))
    assert closed.code is RefusalCode.SERVICE_CLOSED
    assert closed.next_open == at(MON, 9, 0)
    assert issue_verdict(WEEKEND_SERVICE, CAL, at(SAT, 10, 0)).ok


# Statutory holiday and make-up working day ------------------------------------------------------------


def test_statutory_holiday_closes_normal_services_but_not_the_rest_day_service() -> None:
    now = at(NATIONAL_DAY, 10, 0)
    refused = issue_verdict(NORMAL, CAL, now)
    assert not refused.ok
    assert refused.code == "service_closed"
    assert refused.next_open == at(date(2026, 10, 8), 9, 0)
    assert issue_verdict(WEEKEND_SERVICE, CAL, now).ok
    assert hall_status(HALL, CAL, now).mode is HallMode.WEEKEND_SERVICE
    assert day_schedule(NORMAL, CAL, NATIONAL_DAY) is None


def test_make_up_saturday_is_an_ordinary_working_day() -> None:
    now = at(MAKEUP_SAT, 16, 0)  # after weekend hours, inside Monday's hours
    assert issue_verdict(NORMAL, CAL, now).ok
    assert hall_status(HALL, CAL, now).mode is HallMode.OPEN
    assert day_schedule(HALL, CAL, MAKEUP_SAT) == FULL_DAY
    assert hall_status(HALL_WEEKDAYS_ONLY, CAL, at(date(2026, 10, 7), 10, 0)).next_open == at(
        date(2026, 10, 8), 9, 0
    )


def test_unknown_year_uses_monday_to_friday() -> None:
    assert issue_verdict(NORMAL, CAL, at(date(2027, 1, 4), 10, 0)).ok
    assert not issue_verdict(NORMAL, CAL, at(date(2027, 1, 2), 10, 0)).ok


# Cut-off ---------------------------------------------------------------------------------------------


def test_issue_open_from_first_opening_until_cutoff_lunch_included() -> None:
    assert issue_verdict(NORMAL, CAL, at(WED, 9, 0)).ok
    assert issue_verdict(NORMAL, CAL, at(WED, 12, 30)).ok
    assert issue_verdict(NORMAL, CAL, at(WED, 16, 29)).ok


def test_cutoff_passed_before_closing_then_closed_after() -> None:
    cut = issue_verdict(NORMAL, CAL, at(WED, 16, 30))
    assert cut.code is RefusalCode.CUTOFF_PASSED
    assert cut.next_open == at(date(2026, 11, 26), 9, 0)
    friday_cut = issue_verdict(NORMAL, CAL, at(FRI, 15, 45))
    assert friday_cut.code is RefusalCode.CUTOFF_PASSED
    assert friday_cut.next_open == at(MON, 9, 0)
    assert issue_verdict(NORMAL, CAL, at(WED, 17, 5)).code is RefusalCode.SERVICE_CLOSED


def test_before_opening_is_closed_with_todays_opening() -> None:
    early = issue_verdict(NORMAL, CAL, at(WED, 7, 45))
    assert early.code is RefusalCode.SERVICE_CLOSED
    assert early.next_open == at(WED, 9, 0)


def test_cutoff_time_and_last_closing() -> None:
    assert last_closing(NORMAL, CAL, FRI, SH) == at(FRI, 16, 0)
    assert cutoff_time(NORMAL, CAL, FRI, SH) == at(FRI, 15, 30)
    assert cutoff_time(NORMAL, CAL, SAT, SH) is None


# Extended hours ---------------------------------------------------------------------------------------


def test_extended_period_after_closing_while_tickets_remain() -> None:
    after = at(WED, 17, 20)
    assert is_extended_period(WEEKEND_SERVICE, CAL, after, pending_tickets=3)
    assert not is_extended_period(WEEKEND_SERVICE, CAL, after, pending_tickets=0)
    assert not is_extended_period(NORMAL, CAL, after, pending_tickets=3)
    assert not is_extended_period(WEEKEND_SERVICE, CAL, at(WED, 16, 50), pending_tickets=3)
    assert not is_extended_period(NORMAL, CAL, at(SAT, 13, 0), pending_tickets=3)


def test_hall_shows_extended_mode_while_tickets_remain() -> None:
    assert hall_status(HALL, CAL, at(WED, 17, 20), pending_tickets=2).mode is HallMode.EXTENDED
    assert hall_status(HALL, CAL, at(WED, 17, 20)).mode is HallMode.CLOSED
    assert hall_status(HALL, CAL, at(WED, 12, 20), pending_tickets=2).mode is HallMode.LUNCH_BREAK


def test_extended_minutes_round_a_started_minute_up() -> None:
    closing = at(WED, 17, 0)
    assert extended_minutes(closing, closing - timedelta(minutes=5)) == 0
    assert extended_minutes(closing, closing) == 0
    assert extended_minutes(closing, closing + timedelta(seconds=30)) == 1
    assert extended_minutes(closing, closing + timedelta(minutes=24, seconds=10)) == 25
    assert extended_minutes(closing, closing + timedelta(minutes=40)) == 40


def test_never_opening_schedule_has_no_next_open() -> None:
    never = HallSchedule(weekday={})
    assert next_opening(never, CAL, at(WED, 10, 0)) is None
    assert hall_status(never, CAL, at(WED, 10, 0)) == hall_status(never, CAL, at(SAT, 10, 0))
