"""``measures.total``, the column-wise sum the reports use, against ``measures.add`` row by row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from queue_server.stats import measures

NAMES = st.sampled_from(["issued", "visits", "wait_ms", "w00", "live_late"])
# Every rollup measure is an integer (SQLite; PostgreSQL: int, or an integral Decimal for a BIGINT sum).
NUMBERS = st.one_of(
    st.none(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=0, max_value=10**15).map(Decimal),
)
NESTED = st.dictionaries(st.sampled_from(["休息", "会议", "s1"]), st.integers(0, 1000), max_size=3)
ROWS = st.lists(
    st.one_of(
        st.dictionaries(NAMES, NUMBERS, max_size=5),  # ticket sums: some rows with extra figures
        st.dictionaries(st.sampled_from(["by_reason", "by_type"]), NESTED, max_size=2),
    ),
    max_size=12,
)


def _added(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in rows:
        measures.add(out, row)
    return out


@given(ROWS)
def test_total_is_add_row_by_row(rows: list[dict[str, Any]]) -> None:
    """Same sums, None skipped, nested dicts summed key by key."""
    assert measures.total(rows) == _added(rows)


def test_total_of_rows_of_one_shape_and_of_several() -> None:
    one_shape: list[dict[str, Any]] = [
        {"issued": 1, "wait_ms": 10},
        {"issued": 2, "wait_ms": None},
        {"issued": 3, "wait_ms": 5},
    ]
    assert measures.total(one_shape) == {"issued": 6, "wait_ms": 15}
    mixed: list[dict[str, Any]] = [
        {"pause": {"休息": 1}},
        {"issued": 1},
        {"pause": {"休息": 2, "会议": 1}, "issued": 4},
    ]
    assert measures.total(mixed) == {"pause": {"休息": 3, "会议": 1}, "issued": 5}
    assert measures.total([]) == {}
    assert measures.total([{"issued": None}]) == {}
