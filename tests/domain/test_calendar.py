"""Working days: statutory holidays, make-up working days (调休), hall overrides, unknown years, deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.calendar import HallCalendar, YearSource, calendar_warnings, national_source

CAL = HallCalendar()
# Dates checked against chinese_calendar 1.11 (State Council arrangement for 2026):
NATIONAL_DAY = date(2026, 10, 1)  # Thursday, 国庆节 1-7 October
MAKEUP_SAT = date(2026, 10, 10)  # Saturday worked for National Day
MAKEUP_SUN = date(2026, 9, 20)  # Sunday worked for 中秋节 (25-27 September)
MID_AUTUMN_SUN = date(2026, 9, 27)  # a Sunday inside the Mid-autumn break: not a make-up day


def test_statutory_holiday_is_not_a_working_day() -> None:
    assert not CAL.is_working_day(NATIONAL_DAY)
    assert CAL.is_holiday(NATIONAL_DAY)
    assert CAL.is_statutory_holiday(NATIONAL_DAY)
    assert CAL.holiday_name_zh(NATIONAL_DAY) == "国庆节"


@pytest.mark.parametrize("makeup", [MAKEUP_SAT, MAKEUP_SUN])
def test_make_up_day_on_a_weekend_is_a_working_day(makeup: date) -> None:
    assert makeup.weekday() >= 5
    assert CAL.is_working_day(makeup)
    assert not CAL.is_holiday(makeup)
    assert not CAL.is_statutory_holiday(makeup)


def test_ordinary_weekend_is_a_rest_day_but_not_a_statutory_holiday() -> None:
    saturday = date(2026, 11, 28)
    assert CAL.is_holiday(saturday)
    assert not CAL.is_statutory_holiday(saturday)
    assert CAL.holiday_name_zh(saturday) is None
    assert CAL.is_statutory_holiday(MID_AUTUMN_SUN)
    assert CAL.is_working_day(date(2026, 11, 25))


def test_hall_lists_override_the_national_arrangement() -> None:
    cal = HallCalendar(
        extra_holidays=frozenset({date(2026, 11, 25)}), extra_workdays=frozenset({NATIONAL_DAY})
    )
    assert not cal.is_working_day(date(2026, 11, 25))
    assert cal.is_statutory_holiday(date(2026, 11, 25))
    assert cal.is_working_day(NATIONAL_DAY)
    assert not cal.is_statutory_holiday(NATIONAL_DAY)


def test_a_day_cannot_be_both_hall_holiday_and_hall_workday() -> None:
    with pytest.raises(ValueError, match="2026-11-25"):
        HallCalendar(frozenset({date(2026, 11, 25)}), frozenset({date(2026, 11, 25)}))


def test_a_year_chinese_calendar_lacks_uses_the_statutory_rules_and_hall_lists() -> None:
    assert national_source(2026) is YearSource.OFFICIAL
    assert national_source(2027) is YearSource.PROVISIONAL  # chinese-calendar 1.11 stops at 2026
    assert not CAL.knows_year(2027)
    # 2027-01-01 (Friday), the Spring Festival (Monday 8 February) and National Day (Friday 1 October)
    # are days off although chinese-calendar has no 2027 arrangement.
    for day in (date(2027, 1, 1), date(2027, 2, 8), date(2027, 10, 1)):
        assert not CAL.is_working_day(day)
        assert CAL.is_statutory_holiday(day)
    assert CAL.holiday_name_zh(date(2027, 2, 8)) == "春节"
    assert CAL.is_working_day(date(2027, 1, 4))  # an ordinary Monday
    # The make-up working days are the State Council notice's: the hall enters them.
    makeup = date(2027, 2, 20)  # a Saturday
    assert not CAL.is_working_day(makeup)
    cal = HallCalendar(extra_workdays=frozenset({makeup}), confirmed_years=frozenset({2027}))
    assert cal.is_working_day(makeup)
    assert cal.knows_year(2027)


def test_a_deadline_across_the_2027_spring_festival() -> None:
    # Accepted Thursday 4 February 2027: Fri 5 (除夕) to Wed 10 are days off, so one working day later
    # is Thursday 11; Monday-to-Friday alone would have said Friday 5.
    assert CAL.add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 11)
    # Across the new year: Wed 30 December 2026 + 2 working days = Thu 31, then Mon 4 January 2027.
    assert CAL.add_working_days(date(2026, 12, 30), 2) == date(2027, 1, 4)
    assert CAL.working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2


def test_years_to_confirm_from_sixty_days_before_and_not_once_confirmed() -> None:
    assert CAL.years_to_confirm(date(2026, 11, 1)) == []  # 61 days before 2027
    assert CAL.years_to_confirm(date(2026, 11, 2)) == [2027]
    assert CAL.years_to_confirm(date(2027, 3, 1)) == [2027]
    assert HallCalendar(confirmed_years=frozenset({2027})).years_to_confirm(date(2026, 12, 7)) == []
    (warning,) = calendar_warnings(CAL, date(2026, 12, 7))
    assert "2027" in warning and "confirmed_years" in warning
    assert calendar_warnings(CAL, date(2026, 6, 1)) == []


def test_year_days_lists_weekday_days_off_and_weekend_working_days() -> None:
    off, working = CAL.year_days(2026)
    assert date(2026, 10, 1) in off and date(2026, 2, 17) in off
    assert all(d.weekday() < 5 for d in off)
    assert date(2026, 2, 14) in working and date(2026, 9, 20) in working  # official make-up Saturdays
    assert all(d.weekday() >= 5 for d in working)
    cal = HallCalendar(extra_workdays=frozenset({date(2027, 2, 20)}))
    assert cal.year_days(2027)[1] == [date(2027, 2, 20)]


def test_deadline_skips_the_holiday_and_counts_the_make_up_day() -> None:
    # Accepted Wednesday 30 September: 1-7 October off, Thu 8, Fri 9, Sat 10 (make-up) are working days.
    accepted = date(2026, 9, 30)
    assert CAL.add_working_days(accepted, 1) == date(2026, 10, 8)
    assert CAL.add_working_days(accepted, 3) == MAKEUP_SAT
    assert CAL.add_working_days(accepted, 4) == date(2026, 10, 12)


def test_deadline_lands_on_a_sunday_make_up_day() -> None:
    assert CAL.add_working_days(date(2026, 9, 18), 1) == MAKEUP_SUN


def test_zero_days_is_the_start_and_negative_is_refused() -> None:
    assert CAL.add_working_days(NATIONAL_DAY, 0) == NATIONAL_DAY
    with pytest.raises(ValueError):
        CAL.add_working_days(NATIONAL_DAY, -1)


def test_start_day_is_not_counted_even_when_it_is_a_holiday() -> None:
    assert CAL.add_working_days(date(2026, 10, 7), 1) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 11, 27)) == date(2026, 11, 30)


def test_working_days_between_counts_the_half_open_interval() -> None:
    assert CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert CAL.working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == -3
    assert CAL.working_days_between(NATIONAL_DAY, NATIONAL_DAY) == 0


days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=100)
@given(days, st.integers(0, 30), st.integers(0, 30))
def test_add_working_days_is_monotonic_in_n(start: date, n: int, m: int) -> None:
    lo, hi = sorted((n, m))
    assert CAL.add_working_days(start, lo) <= CAL.add_working_days(start, hi)


@settings(max_examples=100)
@given(days, st.integers(0, 40), st.integers(1, 20))
def test_add_working_days_is_monotonic_in_start(start: date, later_by: int, n: int) -> None:
    later = start + timedelta(days=later_by)
    assert CAL.add_working_days(start, n) <= CAL.add_working_days(later, n)


@settings(max_examples=100)
@given(days, st.integers(1, 40))
def test_add_working_days_lands_on_a_working_day_after_exactly_n(start: date, n: int) -> None:
    due = CAL.add_working_days(start, n)
    assert due > start
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(start, due) == n
