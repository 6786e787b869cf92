"""The histogram's buckets and its percentiles against exact nearest-rank percentiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain import kpi
from queue_server.stats.buckets import (
    BOUNDS_MS,
    BUCKETS,
    OVERFLOW,
    bucket_of,
    bucket_range_ms,
    histogram,
    percentile_ms,
    percentiles_ms,
)

MINUTE = 60_000


def test_bucket_bounds_are_the_documented_resolution() -> None:
    widths = {BOUNDS_MS[i] - BOUNDS_MS[i - 1] for i in range(1, 10)}
    assert widths == {MINUTE}
    assert BOUNDS_MS[9] == 10 * MINUTE and BOUNDS_MS[10] - BOUNDS_MS[9] == 2 * MINUTE
    assert BOUNDS_MS[-1] == 240 * MINUTE and len(BOUNDS_MS) + 2 == BUCKETS


@pytest.mark.parametrize(
    ("ms", "bucket"),
    [(-5, 0), (0, 0), (1, 1), (MINUTE, 1), (MINUTE + 1, 2), (10 * MINUTE, 10), (10 * MINUTE + 1, 11)],
)
def test_bucket_of_takes_upper_bounds_inclusive(ms: int, bucket: int) -> None:
    assert bucket_of(ms) == bucket


def test_overflow_and_ranges() -> None:
    assert bucket_of(241 * MINUTE) == OVERFLOW
    assert bucket_range_ms(OVERFLOW) == (240 * MINUTE, 240 * MINUTE)
    assert bucket_range_ms(1) == (0, MINUTE)
    assert bucket_range_ms(0) == (0, 0)


def test_percentile_of_nothing_is_none_and_p_is_checked() -> None:
    assert percentile_ms([0] * BUCKETS, 50) is None
    with pytest.raises(ValueError, match="percentile"):
        percentile_ms([1] * BUCKETS, 0)


def test_whole_minutes_to_ten_are_exact() -> None:
    waits = [5 * MINUTE, 5 * MINUTE, 7 * MINUTE, 10 * MINUTE]
    assert percentile_ms(histogram(waits), 50) == 5 * MINUTE
    assert percentile_ms(histogram(waits), 90) == 10 * MINUTE


@given(
    st.lists(st.integers(min_value=0, max_value=300 * MINUTE), min_size=1, max_size=200),
    st.sampled_from([50, 90, 95]),
)
def test_percentile_is_at_most_one_bucket_above_the_exact_one(durations: list[int], p: int) -> None:
    exact = kpi.percentile(durations, p)
    assert exact is not None
    estimate = percentile_ms(histogram(durations), p)
    assert estimate is not None
    lower, upper = bucket_range_ms(bucket_of(exact))
    if exact > BOUNDS_MS[-1]:
        assert estimate == BOUNDS_MS[-1]  # beyond 4 h: reported as 4 h
    else:
        assert exact <= estimate == upper
        assert estimate - exact < max(upper - lower, 1)


@given(st.lists(st.integers(min_value=0, max_value=300 * MINUTE), min_size=1, max_size=50))
def test_histogram_counts_every_duration_once(durations: list[int]) -> None:
    counts = histogram(durations)
    assert sum(counts) == len(durations)
    assert kpi.mean([timedelta(milliseconds=d) for d in durations]) is not None


@given(
    st.lists(st.integers(min_value=-2, max_value=50), min_size=BUCKETS, max_size=BUCKETS),
    st.lists(st.sampled_from([1, 25, 50, 90, 95, 99.5, 100]), min_size=1, max_size=4),
)
def test_percentiles_in_one_pass_are_each_percentile(counts: list[int], ps: list[float]) -> None:
    """The reports read median, p90 and p95 at once (``percentiles_ms``): the same as one at a time,
    also for empty histograms, in any order of ``ps``, and with a negative bucket (counted as empty)."""
    assert percentiles_ms(counts, ps) == [percentile_ms(counts, p) for p in ps]


def test_percentiles_refuse_what_percentile_refuses() -> None:
    with pytest.raises(ValueError, match="within"):
        percentiles_ms([1] * BUCKETS, [50, 0])
