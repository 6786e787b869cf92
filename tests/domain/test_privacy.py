"""The retention and masking rules of domain/privacy.py, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain.privacy import opaque_staff_id, retention_cutoff, token_expired

ISSUED = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


def test_a_token_works_until_its_days_are_over() -> None:
    assert not token_expired(ISSUED, ISSUED + timedelta(days=60) - timedelta(seconds=1), 60)
    assert token_expired(ISSUED, ISSUED + timedelta(days=60), 60)
    assert retention_cutoff(ISSUED, 30) == ISSUED - timedelta(days=30)


@given(st.integers(min_value=1, max_value=10**9))
def test_a_staff_number_is_eight_digits_stable_and_keyed(staff_id: int) -> None:
    number = opaque_staff_id(b"k" * 32, staff_id)
    assert len(number) == 8 and number.isdigit()
    assert opaque_staff_id(b"k" * 32, staff_id) == number


def test_the_key_decides_the_numbers() -> None:
    ours = [opaque_staff_id(b"a" * 32, i) for i in range(1, 200)]
    theirs = [opaque_staff_id(b"b" * 32, i) for i in range(1, 200)]
    assert len(set(ours)) == len(ours) and sum(a == b for a, b in zip(ours, theirs, strict=True)) < 3
