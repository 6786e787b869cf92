"""Priority classes, their basis, and age from a birth date."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.priority import (
    PriorityBasis,
    PriorityClass,
    PriorityGrant,
    age_on,
    auto_grant,
    auto_priority,
)


def test_labels_and_codes() -> None:
    assert PriorityClass.ELDERLY.label_zh == "老年人"
    assert PriorityClass.DISABLED.label_zh == "残疾人"
    assert PriorityClass.MILITARY.label_zh == "军人"
    assert PriorityClass.PREGNANT.label_zh == "孕妇"
    assert PriorityClass.WITH_INFANT.label_zh == "携带婴幼儿"
    assert PriorityClass("with_infant") is PriorityClass.WITH_INFANT
    assert all(cls.label_zh for cls in PriorityClass)
    assert PriorityBasis.DECLARED.label_zh == "本人申报"


def test_only_age_needs_no_confirmation() -> None:
    assert not PriorityClass.ELDERLY.confirmation_needed
    assert all(cls.confirmation_needed for cls in PriorityClass if cls is not PriorityClass.ELDERLY)


def test_grant_confirmation_depends_on_basis() -> None:
    assert not PriorityGrant(PriorityClass.ELDERLY, PriorityBasis.ID_BIRTH_DATE).needs_confirmation
    assert PriorityGrant(PriorityClass.ELDERLY, PriorityBasis.DECLARED).needs_confirmation
    assert PriorityGrant(PriorityClass.PREGNANT, PriorityBasis.DECLARED).needs_confirmation
    assert not PriorityGrant(PriorityClass.DISABLED, PriorityBasis.SUPERVISOR).needs_confirmation
    with pytest.raises(ValueError, match="birth date"):
        PriorityGrant(PriorityClass.MILITARY, PriorityBasis.ID_BIRTH_DATE)


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1966, 11, 25), date(2026, 11, 24), 59),
        (date(1966, 11, 25), date(2026, 11, 25), 60),
        (date(1966, 11, 25), date(2026, 11, 26), 60),
        (date(1966, 12, 31), date(2026, 1, 1), 59),
        (date(2026, 1, 1), date(2026, 1, 1), 0),
        # 29 February: a year older on 1 March in common years, on the day in leap years.
        (date(1964, 2, 29), date(2023, 2, 28), 58),
        (date(1964, 2, 29), date(2023, 3, 1), 59),
        (date(1964, 2, 29), date(2024, 2, 28), 59),
        (date(1964, 2, 29), date(2024, 2, 29), 60),
    ],
)
def test_age_around_birthdays(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError):
        age_on(date(2026, 1, 2), date(2026, 1, 1))


@settings(max_examples=100)
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 36500))
def test_age_never_decreases_and_steps_by_at_most_one_a_day(birth: date, days: int) -> None:
    day = birth + timedelta(days=days)
    if day.year > 9998:
        return
    today, tomorrow = age_on(birth, day), age_on(birth, day + timedelta(days=1))
    assert tomorrow - today in (0, 1)
    assert days // 366 <= today <= days // 365


def test_auto_priority_from_birth_date() -> None:
    day = date(2026, 11, 25)
    assert auto_priority(date(1966, 11, 25), day) is PriorityClass.ELDERLY
    assert auto_priority(date(1966, 11, 26), day) is None
    assert auto_priority(None, day) is None
    assert auto_priority(date(2030, 1, 1), day) is None
    assert auto_priority(date(1961, 11, 26), day, threshold=65) is None
    assert auto_priority(date(1961, 11, 25), day, threshold=65) is PriorityClass.ELDERLY


def test_auto_grant_records_the_id_basis() -> None:
    grant = auto_grant(date(1950, 1, 1), date(2026, 11, 25))
    assert grant == PriorityGrant(PriorityClass.ELDERLY, PriorityBasis.ID_BIRTH_DATE)
    assert auto_grant(date(2000, 1, 1), date(2026, 11, 25)) is None
