"""Cases (办件): the seven case types a window records when it closes a visit, deadlines and numbers.

The outcome a window sends with `finish` is the case type code itself (`Outcome` is `CaseType`).
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from queue_server.domain.calendar import HallCalendar

_HALL_CODE = re.compile(r"[A-Z0-9]{1,16}")
_CASE_NUMBER = re.compile(r"(?P<hall>[A-Z0-9]{1,16})-(?P<day>[0-9]{8})-(?P<seq>[0-9]{4,})")
CASE_SEQ_DIGITS = 4


class DocumentKind(StrEnum):
    """The written documents a case can require (printed on the thermal printer or as A4)."""

    ACCEPTANCE_RECEIPT = "acceptance_receipt"
    ONE_TIME_NOTICE = "one_time_notice"
    REJECTION_NOTICE = "rejection_notice"

    @property
    def label_zh(self) -> str:
        """The document's title."""
        return _DOCUMENT_LABELS_ZH[self]


_DOCUMENT_LABELS_ZH: dict[DocumentKind, str] = {
    DocumentKind.ACCEPTANCE_RECEIPT: "受理凭证",
    DocumentKind.ONE_TIME_NOTICE: "一次性告知书",
    DocumentKind.REJECTION_NOTICE: "不予受理通知书",
}


class CaseType(StrEnum):
    """七件管理制: the seven case types. Codes are stored and sent on the wire; never rename one."""

    IMMEDIATE = "immediate"
    PROMISED = "promised"
    JOINT = "joint"
    APPROVAL = "approval"
    RETURNED = "returned"
    SUPPLEMENT = "supplement"
    SPECIAL = "special"

    @property
    def label_zh(self) -> str:
        """The case type's name (即办件 …)."""
        return _LABELS_ZH[self]

    @property
    def accepted(self) -> bool:
        """Whether the application was accepted (受理); returned and supplement cases were not (yet)."""
        return self not in (CaseType.RETURNED, CaseType.SUPPLEMENT)

    @property
    def has_deadline(self) -> bool:
        """Whether the case runs against a promised time limit (承诺期限)."""
        return self in _TIMED

    @property
    def documents(self) -> tuple[DocumentKind, ...]:
        """The documents the window must hand over when closing a visit with this type."""
        return _DOCUMENTS[self]


_LABELS_ZH: dict[CaseType, str] = {
    CaseType.IMMEDIATE: "即办件",
    CaseType.PROMISED: "承诺件",
    CaseType.JOINT: "联办件",
    CaseType.APPROVAL: "报批件",
    CaseType.RETURNED: "退回件",
    CaseType.SUPPLEMENT: "补办件",
    CaseType.SPECIAL: "特办件",
}

# Accepted cases that are not finished on the spot run against the promised working days.
_TIMED = frozenset({CaseType.PROMISED, CaseType.JOINT, CaseType.APPROVAL, CaseType.SPECIAL})

_DOCUMENTS: dict[CaseType, tuple[DocumentKind, ...]] = {
    CaseType.IMMEDIATE: (),
    CaseType.PROMISED: (DocumentKind.ACCEPTANCE_RECEIPT,),
    CaseType.JOINT: (DocumentKind.ACCEPTANCE_RECEIPT,),
    CaseType.APPROVAL: (DocumentKind.ACCEPTANCE_RECEIPT,),
    CaseType.RETURNED: (DocumentKind.REJECTION_NOTICE,),
    CaseType.SUPPLEMENT: (DocumentKind.ONE_TIME_NOTICE,),
    CaseType.SPECIAL: (DocumentKind.ACCEPTANCE_RECEIPT,),
}

# The `outcome` of window.finish is a case type code.
Outcome = CaseType


def outcome_from_code(code: str) -> CaseType:
    """The case type for a finish outcome code; ValueError naming the valid codes otherwise."""
    try:
        return CaseType(code)
    except ValueError:
        valid = ", ".join(member.value for member in CaseType)
        raise ValueError(f"unknown outcome {code!r}; expected one of: {valid}") from None


def deadline_for(
    case_type: CaseType, accepted_on: date, promised_working_days: int, calendar: HallCalendar
) -> date | None:
    """The day a case must be finished.

    Immediate cases are due the day they are accepted (finished on the spot). Promised, joint, approval
    and special cases are due `promised_working_days` working days after acceptance (holidays skipped,
    make-up days counted). Returned and supplement cases have no deadline: nothing was accepted; a
    supplement's clock starts with the return visit's new case.
    """
    if promised_working_days < 0:
        raise ValueError("promised working days must not be negative")
    if case_type is CaseType.IMMEDIATE:
        return accepted_on
    if case_type in _TIMED:
        return calendar.add_working_days(accepted_on, promised_working_days)
    return None


def format_case_number(hall_code: str, day: date, seq: int) -> str:
    """A case number: ``("gy", 2026-11-25, 7) -> "GY-20261125-0007"`` (4 digits minimum, grows past 9999)."""
    code = hall_code.strip().upper()
    if not _HALL_CODE.fullmatch(code):
        raise ValueError(f"hall code must be 1-16 letters or digits, got {hall_code!r}")
    if seq < 1:
        raise ValueError(f"case sequence starts at 1, got {seq}")
    return f"{code}-{day:%Y%m%d}-{seq:0{CASE_SEQ_DIGITS}d}"


def parse_case_number(number: str) -> tuple[str, date, int]:
    """Split a case number into hall code, day and sequence; the inverse of `format_case_number`."""
    match = _CASE_NUMBER.fullmatch(number)
    if match is None:
        raise ValueError(f"not a case number: {number!r}")
    digits = match["seq"]
    seq = int(digits)
    if seq < 1 or (len(digits) > CASE_SEQ_DIGITS and digits[0] == "0"):
        raise ValueError(f"not a canonical case number: {number!r}")
    raw_day = match["day"]
    try:
        day = date(int(raw_day[:4]), int(raw_day[4:6]), int(raw_day[6:]))
    except ValueError:
        raise ValueError(f"bad date in case number: {number!r}") from None
    return match["hall"], day, seq
