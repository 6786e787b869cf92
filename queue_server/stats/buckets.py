"""Fixed-bucket histograms of durations (waits, handling times) and percentiles read from them.

A duration in whole milliseconds falls in the first bucket whose upper bound it does not exceed:
bucket 0 holds exactly 0 (a ticket called the instant it was issued), then the bounds below (upper
bounds inclusive), then one overflow bucket for anything above 4 hours. Resolution, i.e. the widest
error a percentile read from the histogram can have:

| range | bucket width |
|---|---|
| 0 – 10 min | 1 min |
| 10 – 30 min | 2 min |
| 30 – 60 min | 5 min |
| 60 – 120 min | 10 min |
| 120 – 240 min | 30 min |
| above 240 min | reported as 240 min |

A percentile is the nearest-rank one of ``domain/kpi.py`` (the value at rank ceil(p/100 · n)) read as
the upper bound of the bucket holding that rank: "90 % waited at most this long" stays true, and it
exceeds the exact percentile by less than the width of that bucket (0 for whole minutes up to 10 min;
``tests/stats/test_buckets.py`` checks this against exact percentiles). Means come from exact sums,
not from the histogram.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

_MINUTE_MS = 60_000

# Upper bounds (inclusive) of buckets 1..N-1, in milliseconds; bucket 0 is exactly 0 and bucket N the
# overflow. (Calls within a service's target are counted exactly beside the histogram, not read from it.)
BOUNDS_MS: tuple[int, ...] = tuple(
    m * _MINUTE_MS
    for m in (
        *range(1, 11),  # 1-minute buckets to 10 min
        *range(12, 31, 2),  # 2-minute buckets to 30 min
        *range(35, 61, 5),  # 5-minute buckets to 60 min
        *range(70, 121, 10),  # 10-minute buckets to 2 h
        *range(150, 241, 30),  # 30-minute buckets to 4 h
    )
)
BUCKETS = len(BOUNDS_MS) + 2  # exactly zero, the bounded ones, the overflow
OVERFLOW = BUCKETS - 1


def bucket_of(ms: int) -> int:
    """The bucket of a duration in milliseconds (negative durations, clock slips, count as zero)."""
    if ms <= 0:
        return 0
    for i, bound in enumerate(BOUNDS_MS, start=1):
        if ms <= bound:
            return i
    return OVERFLOW


def bucket_range_ms(index: int) -> tuple[int, int]:
    """The lower (exclusive) and upper (inclusive) bound of a bucket; the overflow is pinned at its
    lower bound (nothing is known of how far past 4 hours it went)."""
    if index == 0:
        return 0, 0
    if index == OVERFLOW:
        return BOUNDS_MS[-1], BOUNDS_MS[-1]
    lower = 0 if index == 1 else BOUNDS_MS[index - 2]
    return lower, BOUNDS_MS[index - 1]


def histogram(durations_ms: Sequence[int]) -> list[int]:
    """Counts per bucket of some durations (what the rollups keep, for tests and pure callers)."""
    counts = [0] * BUCKETS
    for ms in durations_ms:
        counts[bucket_of(ms)] += 1
    return counts


def percentile_ms(counts: Sequence[int], p: float) -> float | None:
    """The nearest-rank ``p`` percentile (0 < p ≤ 100) of a histogram: the upper bound of the bucket
    holding that rank; None for an empty histogram."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be within (0, 100], got {p}")
    n = sum(counts)
    if n <= 0:
        return None
    rank = max(1, math.ceil(p / 100 * n))
    seen = 0
    for index, count in enumerate(counts):
        seen += max(count, 0)
        if seen >= rank:
            return float(bucket_range_ms(index)[1])
    raise AssertionError("unreachable: rank is at most the total count")


def percentiles_ms(counts: Sequence[int], ps: Sequence[float]) -> list[float | None]:
    """``percentile_ms`` of each of ``ps``, from one running sum of the histogram (``accumulate`` and
    ``bisect``, in C): a report reads six per row, and a year grouped by day has ~300 rows."""
    if not all(0 < p <= 100 for p in ps):
        raise ValueError(f"percentiles must be within (0, 100], got {ps}")
    n = sum(counts)
    if n <= 0:
        return [None] * len(ps)
    # ``percentile_ms`` counts a negative bucket (never written by the rollups) as empty.
    seen = list(accumulate(counts if min(counts) >= 0 else (max(c, 0) for c in counts)))
    out: list[float | None] = []
    for p in ps:
        index = bisect_left(seen, max(1, math.ceil(p / 100 * n)))  # the first bucket reaching the rank
        if index == len(seen):
            raise AssertionError("unreachable: rank is at most the total count")
        out.append(_UPPER_MS[index])
    return out


_UPPER_MS = tuple(float(bucket_range_ms(index)[1]) for index in range(BUCKETS))
