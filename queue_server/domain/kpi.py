"""KPI formulas for statistics and the hall display. Empty input gives None, never a made-up number.

The functions accept plain numbers or `timedelta`s (waits and handling times) alike.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol, TypeVar, overload

# `estimate_wait` trusts recent handling times only once it has this many.
MIN_SAMPLES = 3
# Handling samples outside these bounds are typing slips or abandoned tickets, not service times.
MIN_HANDLING = timedelta(seconds=30)
MAX_HANDLING = timedelta(hours=2)
# An estimate above this is shown as "long" anyway; it also bounds a runaway multiplication.
MAX_ESTIMATE = timedelta(hours=8)


class _Comparable(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...

    def __le__(self, other: Any, /) -> bool: ...


C = TypeVar("C", bound=_Comparable)


@overload
def mean(values: Sequence[timedelta]) -> timedelta | None: ...
@overload
def mean(values: Sequence[float]) -> float | None: ...
def mean(values: Sequence[float] | Sequence[timedelta]) -> float | timedelta | None:
    """Arithmetic mean; None for no values."""
    if not values:
        return None
    if isinstance(values[0], timedelta):
        durations = [v for v in values if isinstance(v, timedelta)]
        return sum(durations, timedelta(0)) / len(durations)
    numbers = [float(v) for v in values if not isinstance(v, timedelta)]
    return math.fsum(numbers) / len(numbers)


def percentile(values: Sequence[C], p: float) -> C | None:
    """The nearest-rank percentile: the smallest value with at least `p` % of the values at or below it.

    Rank = ceil(p / 100 * n) (at least 1) in the sorted values, so the result is always one of the
    values (no interpolation: "90 % of citizens waited at most this long" stays literally true).
    ``p`` is in [0, 100]; p = 0 gives the minimum, p = 100 the maximum; None for no values.
    """
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def share_within(values: Sequence[C], target: C) -> float | None:
    """The fraction (0..1) of values at or below `target`; None for no values."""
    if not values:
        return None
    return sum(1 for v in values if v <= target) / len(values)


def median_handling(recent_handling: Sequence[timedelta], default_handling: timedelta) -> timedelta:
    """The handling time to plan with: the median of the plausible recent samples (each within
    MIN_HANDLING..MAX_HANDLING), or `default_handling` when fewer than MIN_SAMPLES remain."""
    plausible = [d for d in recent_handling if MIN_HANDLING <= d <= MAX_HANDLING]
    if len(plausible) < MIN_SAMPLES:
        return default_handling
    return statistics.median_low(sorted(plausible))


def estimate_wait(
    people_ahead: int,
    recent_handling: Sequence[timedelta],
    serving_windows: int,
    default_handling: timedelta,
) -> timedelta | None:
    """Expected wait for a ticket with `people_ahead` tickets before it.

    handling = `median_handling` (the median resists one long case skewing the estimate); the windows
    serve in parallel, so wait = people_ahead × handling / serving_windows, rounded up to a whole minute
    and capped at MAX_ESTIMATE. Nobody ahead: zero. No window serving the service: None (the screen
    shows "暂无预计" rather than a number nobody can promise).
    """
    if serving_windows <= 0:
        return None
    if people_ahead <= 0:
        return timedelta(0)
    handling = median_handling(recent_handling, default_handling)
    seconds = people_ahead * handling.total_seconds() / serving_windows
    minutes = math.ceil(seconds / 60)
    return min(timedelta(minutes=minutes), MAX_ESTIMATE)
