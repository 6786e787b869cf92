"""Working days of a hall: Chinese statutory holidays, make-up working days (调休) and the hall's own days.

The national arrangement of a year comes from the first source that has it:

- ``official``: `chinese_calendar`, which carries the State Council's notice for each year it was
  released with (holidays and make-up working days; 1.11 knows up to 2026);
- ``provisional``: the `holidays` package's China calendar, computed from the statutory rules (the
  festivals and their legal extra days, 2027 included) but without the make-up working days, which
  only the State Council's notice fixes;
- ``weekdays``: Monday to Friday, when neither knows the year.

A hall enters what the notice adds (``extra_workdays``, ``extra_holidays``) in its hall file and lists
the year in ``confirmed_years``; until a year is official or confirmed, ``years_to_confirm`` names it
from ``CONFIRM_AHEAD_DAYS`` before it begins, so the managers are told in time (the server's log and
supervision, ``hallq hall validate``). ``hallq hall calendar --year YYYY`` prints what the hall uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)
# How long before a year begins the hall is told that its arrangement is not known yet.
CONFIRM_AHEAD_DAYS = 60


class YearSource(StrEnum):
    OFFICIAL = "official"
    PROVISIONAL = "provisional"
    WEEKDAYS = "weekdays"


@lru_cache(maxsize=64)
def knows_year(year: int) -> bool:
    """Whether `chinese_calendar` has the official holiday arrangement for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def _statutory(year: int) -> dict[date, str]:
    """The `holidays` package's statutory days off of `year` with their Chinese names (may be empty).

    Imported here, for the first year `chinese_calendar` does not know: it holds ~4 MB of resident
    memory at import and ~8 MB more for China's calendar, which a process asking only about known
    years (the statistics worker; any process from January to the two months before the next year)
    does not pay."""
    from holidays import country_holidays

    return {day: str(name) for day, name in country_holidays("CN", years=year, language="zh_CN").items()}


def national_source(year: int) -> YearSource:
    """Where the national arrangement of `year` comes from (see the module doc)."""
    if knows_year(year):
        return YearSource.OFFICIAL
    if _statutory(year):
        return YearSource.PROVISIONAL
    return YearSource.WEEKDAYS


@lru_cache(maxsize=1024)
def _nationally_working(d: date) -> bool:
    """The national arrangement for `d` (see the module doc for the sources in order).

    Cached: every ticket asks about today, and the package's lookup validates the date each time.
    """
    if knows_year(d.year):
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < 5 and d not in _statutory(d.year)


@dataclass(frozen=True, slots=True)
class HallCalendar:
    """Which days a hall works. The hall's own lists override the national arrangement."""

    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    # Years whose State Council notice the hall has entered by hand (its extra days are complete).
    confirmed_years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        both = self.extra_holidays & self.extra_workdays
        if both:
            days = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"days listed both as holiday and as working day: {days}")

    def knows_year(self, year: int) -> bool:
        """Whether the arrangement of `year` is complete: official, or confirmed by the hall."""
        return year in self.confirmed_years or knows_year(year)

    def years_to_confirm(self, today: date, ahead_days: int = CONFIRM_AHEAD_DAYS) -> list[int]:
        """The years from `today` to `ahead_days` later whose arrangement is not complete yet."""
        years = range(today.year, (today + timedelta(days=ahead_days)).year + 1)
        return [year for year in years if not self.knows_year(year)]

    def year_days(self, year: int) -> tuple[list[date], list[date]]:
        """(days off falling on weekdays, working days falling on weekends) of `year`, as used."""
        day, end = date(year, 1, 1), date(year + 1, 1, 1)
        off: list[date] = []
        working: list[date] = []
        while day < end:
            works = self.is_working_day(day)
            if day.weekday() < 5 and not works:
                off.append(day)
            elif day.weekday() >= 5 and works:
                working.append(day)
            day += _ONE_DAY
        return off, working

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
        if d in self.extra_workdays:
            return False
        if not knows_year(d.year):
            return d in _statutory(d.year)
        on_holiday, name = chinese_calendar.get_holiday_detail(d)
        return bool(on_holiday) and name is not None

    def holiday_name_zh(self, d: date) -> str | None:
        """The holiday's Chinese name ("国庆节") when `d` is a statutory holiday, for screens and notices."""
        if not self.is_statutory_holiday(d) or d in self.extra_holidays:
            return None
        if not knows_year(d.year):
            return _statutory(d.year)[d]
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


def calendar_warnings(calendar: HallCalendar, today: date) -> list[str]:
    """What to tell the hall's managers about the coming years' arrangement (empty: nothing)."""
    warnings = []
    for year in calendar.years_to_confirm(today):
        if national_source(year) is YearSource.PROVISIONAL:
            known = "statutory holidays from the holidays package, make-up working days unknown"
        else:
            known = "Monday to Friday only"
        warnings.append(
            f"the national holiday arrangement for {year} is not known officially ({known}): enter the "
            f"State Council notice's days as hours.extra_holidays / hours.extra_workdays and add {year} "
            "to hours.confirmed_years, or upgrade chinese-calendar"
        )
    return warnings
