"""The kiosk's clock, injected everywhere a flow needs the time (tests use :class:`ManualClock`)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

from queue_server.protocol.defaults import HALL_TZ as HALL_TZ


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (timeouts, idle)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to: idle timeouts and opening times are tested with it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._mono = 1000.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds


def local(moment: datetime | float) -> datetime:
    """A moment (aware datetime or epoch seconds) in the hall's time zone."""
    if isinstance(moment, int | float):
        return datetime.fromtimestamp(moment, HALL_TZ)
    return moment.astimezone(HALL_TZ)


_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def describe_opening(at: datetime | float, now: datetime) -> str:
    """When a closed service opens again, as a citizen reads it: 今天 14:00 / 明天 08:30 / 5月6日（周三）."""
    when = local(at)
    today = local(now).date()
    hhmm = when.strftime("%H:%M")
    if when.date() == today:
        return f"今天 {hhmm}"
    if when.date() == today + timedelta(days=1):
        return f"明天 {hhmm}"
    if when.date() == today + timedelta(days=2):
        return f"后天 {hhmm}"
    return f"{when.month}月{when.day}日（{_WEEKDAYS_ZH[when.weekday()]}）{hhmm}"
