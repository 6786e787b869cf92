"""Case types, deadlines, case numbers and finish outcomes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.cases import (
    CaseType,
    DocumentKind,
    Outcome,
    deadline_for,
    format_case_number,
    outcome_from_code,
    parse_case_number,
)

CAL = HallCalendar()


def test_seven_case_types_with_codes_and_labels() -> None:
    assert {(c.value, c.label_zh) for c in CaseType} == {
        ("immediate", "即办件"),
        ("promised", "承诺件"),
        ("joint", "联办件"),
        ("approval", "报批件"),
        ("returned", "退回件"),
        ("supplement", "补办件"),
        ("special", "特办件"),
    }


def test_outcome_codes_are_case_type_codes() -> None:
    assert Outcome is CaseType
    assert outcome_from_code("promised") is CaseType.PROMISED
    with pytest.raises(ValueError, match="immediate, promised"):
        outcome_from_code("done")


def test_documents_per_case_type() -> None:
    assert CaseType.PROMISED.documents == (DocumentKind.ACCEPTANCE_RECEIPT,)
    assert CaseType.SUPPLEMENT.documents == (DocumentKind.ONE_TIME_NOTICE,)
    assert CaseType.RETURNED.documents == (DocumentKind.REJECTION_NOTICE,)
    assert CaseType.IMMEDIATE.documents == ()
    assert DocumentKind.ONE_TIME_NOTICE.label_zh == "一次性告知书"
    assert not CaseType.RETURNED.accepted
    assert not CaseType.SUPPLEMENT.accepted
    assert CaseType.JOINT.accepted


def test_promised_deadline_is_holiday_aware() -> None:
    # Accepted 30 Sep 2026; 1-7 Oct off; 8, 9, 10 (make-up Saturday), 12 Oct.
    assert deadline_for(CaseType.PROMISED, date(2026, 9, 30), 4, CAL) == date(2026, 10, 12)
    assert deadline_for(CaseType.JOINT, date(2026, 9, 30), 3, CAL) == date(2026, 10, 10)
    assert deadline_for(CaseType.APPROVAL, date(2026, 11, 25), 5, CAL) == date(2026, 12, 2)
    assert deadline_for(CaseType.SPECIAL, date(2026, 11, 25), 0, CAL) == date(2026, 11, 25)


def test_immediate_is_due_on_the_spot_and_unaccepted_cases_have_no_deadline() -> None:
    assert deadline_for(CaseType.IMMEDIATE, date(2026, 11, 25), 20, CAL) == date(2026, 11, 25)
    assert deadline_for(CaseType.RETURNED, date(2026, 11, 25), 20, CAL) is None
    assert deadline_for(CaseType.SUPPLEMENT, date(2026, 11, 25), 20, CAL) is None
    assert all(c.has_deadline == (c in {"promised", "joint", "approval", "special"}) for c in CaseType)
    with pytest.raises(ValueError):
        deadline_for(CaseType.PROMISED, date(2026, 11, 25), -1, CAL)


def test_case_number_format() -> None:
    assert format_case_number("gy", date(2026, 11, 25), 7) == "GY-20261125-0007"
    assert format_case_number("GY", date(2026, 11, 25), 12345) == "GY-20261125-12345"
    assert parse_case_number("GY-20261125-0007") == ("GY", date(2026, 11, 25), 7)
    for bad_code, seq in (("", 1), ("G-Y", 1), ("GY", 0)):
        with pytest.raises(ValueError):
            format_case_number(bad_code, date(2026, 11, 25), seq)
    for text in ("GY-20261125-007", "GY-20261125-00007", "GY-20260230-0001", "gy-20261125-0007"):
        with pytest.raises(ValueError):
            parse_case_number(text)


@settings(max_examples=100)
@given(
    st.from_regex(r"[A-Za-z0-9]{1,16}", fullmatch=True),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(1, 10**6),
)
def test_case_number_round_trip(code: str, day: date, seq: int) -> None:
    assert parse_case_number(format_case_number(code, day, seq)) == (code.upper(), day, seq)
