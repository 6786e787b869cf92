"""Resident ID numbers: check character and birth date."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.idcard import birth_date_from_id, check_character, is_valid_id

# The worked example of GB 11643-1999.
SAMPLE = "11010519491231002X"


def test_standard_example() -> None:
    assert check_character(SAMPLE[:17]) == "X"
    assert birth_date_from_id(SAMPLE) == date(1949, 12, 31)
    assert birth_date_from_id(" 11010519491231002x ") == date(1949, 12, 31)
    assert is_valid_id(SAMPLE)


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # 17 characters
        "1101051949123100X2",  # X not at the end
        "",
    ],
)
def test_invalid_numbers_give_no_birth_date(number: str) -> None:
    assert birth_date_from_id(number) is None
    assert not is_valid_id(number)


def test_impossible_birth_date_with_a_correct_check_character() -> None:
    first17 = "11010519490230002"  # 30 February
    assert birth_date_from_id(first17 + check_character(first17)) is None


def test_check_character_needs_17_digits() -> None:
    with pytest.raises(ValueError):
        check_character("1234")


@settings(max_examples=100)
@given(
    st.from_regex(r"[1-9][0-9]{5}", fullmatch=True),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31)),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
)
def test_generated_numbers_round_trip_and_one_wrong_check_fails(region: str, birth: date, seq: str) -> None:
    first17 = f"{region}{birth:%Y%m%d}{seq}"
    check = check_character(first17)
    assert birth_date_from_id(first17 + check) == birth
    wrong = "0" if check != "0" else "1"
    assert birth_date_from_id(first17 + wrong) is None
