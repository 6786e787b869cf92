"""KPI formulas and the wait estimate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.kpi import (
    MAX_ESTIMATE,
    estimate_wait,
    mean,
    median_handling,
    percentile,
    share_within,
)

M = timedelta(minutes=1)


def test_mean_of_numbers_and_durations() -> None:
    assert mean([1.0, 2.0, 6.0]) == 3.0
    assert mean([2 * M, 4 * M]) == 3 * M
    assert mean([]) is None


def test_nearest_rank_percentile() -> None:
    values = [15, 20, 35, 40, 50]
    assert percentile(values, 30) == 20  # rank ceil(1.5) = 2
    assert percentile(values, 40) == 20  # rank 2 exactly
    assert percentile(values, 50) == 35
    assert percentile(values, 90) == 50
    assert percentile(values, 100) == 50
    assert percentile(values, 0) == 15
    assert percentile([7 * M, 1 * M], 90) == 7 * M
    assert percentile([], 90) is None
    with pytest.raises(ValueError):
        percentile(values, 101)


@settings(max_examples=100)
@given(st.lists(st.integers(0, 1000), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_is_a_value_with_at_least_p_percent_at_or_below(values: list[int], p: float) -> None:
    result = percentile(values, p)
    assert result in values
    at_or_below = sum(1 for v in values if v <= result)
    assert at_or_below >= p / 100 * len(values)
    below = sum(1 for v in values if v < result)
    assert below < max(1, p / 100 * len(values))


def test_share_within_target() -> None:
    waits = [5 * M, 10 * M, 30 * M, 31 * M]
    assert share_within(waits, 30 * M) == 0.75
    assert share_within([], 30 * M) is None


def test_estimate_uses_median_of_recent_handling_over_parallel_windows() -> None:
    recent = [4 * M, 5 * M, 6 * M, 60 * M]  # one long case does not skew the median
    assert estimate_wait(6, recent, 2, 10 * M) == 15 * M  # 6 x 5 min / 2 windows
    assert estimate_wait(1, recent, 3, 10 * M) == 2 * M  # 100 s rounded up to 2 minutes


def test_estimate_falls_back_to_default_with_few_or_implausible_samples() -> None:
    assert estimate_wait(2, [3 * M, 4 * M], 1, 10 * M) == 20 * M
    implausible = [timedelta(seconds=2), timedelta(0), timedelta(hours=5), 4 * M]
    assert median_handling(implausible, 10 * M) == 10 * M


def test_estimate_edge_cases() -> None:
    assert estimate_wait(0, [], 1, 10 * M) == timedelta(0)
    assert estimate_wait(5, [], 0, 10 * M) is None
    assert estimate_wait(10_000, [], 1, 10 * M) == MAX_ESTIMATE


@settings(max_examples=100)
@given(
    st.integers(0, 300),
    st.lists(st.integers(0, 10_000).map(lambda s: timedelta(seconds=s)), max_size=20),
    st.integers(1, 12),
)
def test_estimate_grows_with_people_ahead_and_shrinks_with_windows(
    ahead: int, recent: list[timedelta], windows: int
) -> None:
    base = estimate_wait(ahead, recent, windows, 10 * M)
    more_people = estimate_wait(ahead + 1, recent, windows, 10 * M)
    more_windows = estimate_wait(ahead, recent, windows + 1, 10 * M)
    assert base is not None and more_people is not None and more_windows is not None
    assert timedelta(0) <= more_windows <= base <= more_people <= MAX_ESTIMATE
