"""Working days of a hall: Chinese statutory holidays, make-up working days (调休) and the hall's own days.

`chinese_calendar` knows the State Council's holiday arrangements only for the years it was released
with (it raises `NotImplementedError` for later years, 2027+ in version 1.11). For such a year the hall
falls back to Monday–Friday plus its own `extra_holidays` / `extra_workdays`; `knows_year` lets the
server warn the manager to upgrade the package or enter the year's arrangement by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def knows_year(year: int) -> bool:
    """Whether `chinese_calendar` has the official holiday arrangement for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=1024)
def _nationally_working(d: date) -> bool:
    """The national arrangement for `d` (Monday–Friday for a year the package does not know).

    Cached: every ticket asks about today, and the package's lookup validates the date each time.
    """
    if knows_year(d.year):
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < 5


@dataclass(frozen=True, slots=True)
class HallCalendar:
    """Which days a hall works. The hall's own lists override the national arrangement."""

    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.extra_holidays & self.extra_workdays
        if both:
            days = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"days listed both as holiday and as working day: {days}")

    def knows_year(self, year: int) -> bool:
        """Whether the national arrangement for `year` is known (else Monday–Friday is assumed)."""
        return knows_year(year)

    def is_working_day(self, d: date) -> bool:
        """A working day: a weekday that is not a statutory holiday, or a make-up working day (调休)."""
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        return _nationally_working(d)

    def is_holiday(self, d: date) -> bool:
        """A rest day: a weekend day that is not a make-up working day, or a holiday."""
        return not self.is_working_day(d)

    def is_statutory_holiday(self, d: date) -> bool:
        """A public holiday proper (国庆节, 春节 …) or a hall holiday, as opposed to an ordinary weekend."""
        if d in self.extra_holidays:
            return True
        if d in self.extra_workdays or not knows_year(d.year):
            return False
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
        return bool(on_holiday) and name is not None

    def holiday_name_zh(self, d: date) -> str | None:
        """The holiday's Chinese name ("国庆节") when `d` is a statutory holiday, for screens and notices."""
        if not self.is_statutory_holiday(d) or d in self.extra_holidays:
            return None
        _, name = chinese_calendar.get_holiday_detail(d)
        return str(chinese_calendar.Holiday(name).chinese)

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after `d`."""
        return self.add_working_days(d, 1)

    def add_working_days(self, start: date, n: int) -> date:
        """The day `n` working days after `start`, not counting `start` itself (a deadline).

        ``n == 0`` returns `start`. For ``n >= 1`` the result is always a working day.
        """
        if n < 0:
            raise ValueError(f"working days must be >= 0, got {n}")
        day = start
        remaining = n
        while remaining:
            day += _ONE_DAY
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in (start, end]; negative when `end` is before `start`."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count
