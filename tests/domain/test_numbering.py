"""Ticket number format, parse and the service day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.numbering import HALL_TZ, format_number, parse_number, service_day


@pytest.mark.parametrize(
    ("prefix", "n", "text"),
    [("A", 1, "A001"), ("A", 12, "A012"), ("B", 999, "B999"), ("A", 1000, "A1000"), ("VIP", 7, "VIP007")],
)
def test_format_three_digits_minimum_growing_past_999(prefix: str, n: int, text: str) -> None:
    assert format_number(prefix, n) == text
    assert parse_number(text) == (prefix, n)


@pytest.mark.parametrize(("prefix", "n"), [("a", 1), ("", 1), ("A1", 1), ("ABCD", 1), ("A", 0), ("A", -3)])
def test_format_rejects_bad_prefix_or_sequence(prefix: str, n: int) -> None:
    with pytest.raises(ValueError):
        format_number(prefix, n)


@pytest.mark.parametrize("text", ["A12", "A0012", "A000", "a012", "012", "A-12", "A012 ", "Ａ012", "A٠١٢"])
def test_parse_accepts_only_the_canonical_spelling(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


@settings(max_examples=100)
@given(st.from_regex(r"[A-Z]{1,3}", fullmatch=True), st.integers(1, 10**7))
def test_parse_inverts_format(prefix: str, n: int) -> None:
    text = format_number(prefix, n)
    assert parse_number(text) == (prefix, n)
    assert len(text) == len(prefix) + max(3, len(str(n)))


@settings(max_examples=100)
@given(st.text(alphabet="AB0123456789", max_size=7))
def test_format_inverts_parse(text: str) -> None:
    try:
        prefix, n = parse_number(text)
    except ValueError:
        return
    assert format_number(prefix, n) == text


def test_service_day_is_the_hall_local_day() -> None:
    # 16:30 UTC is 00:30 the next day in Shanghai: the ticket joins the next day's series.
    late_utc = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)
    assert service_day(late_utc, HALL_TZ) == date(2026, 11, 26)
    assert service_day(late_utc - timedelta(hours=1), HALL_TZ) == date(2026, 11, 25)
    assert service_day(late_utc, timezone(timedelta(hours=-5))) == date(2026, 11, 25)


def test_service_day_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        service_day(datetime(2026, 11, 25, 10, 0), HALL_TZ)  # noqa: DTZ001 - the naive value is the point
