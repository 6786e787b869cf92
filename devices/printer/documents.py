"""What gets printed, as plain frozen data. Built by the kiosk or the window from server replies.

Datetimes must be timezone-aware; they are printed in the hall's ``time_zone``. Names are masked
when printed; ID numbers arrive already masked (``devices.privacy.mask_id``) and are refused otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

DEFAULT_TIME_ZONE = "Asia/Shanghai"

DEFAULT_TICKET_NOTICES: tuple[str, ...] = (
    "过号请重新取号。",
    "请留意叫号广播和显示屏，本号当日有效。",
)

DEFAULT_RETURN_INSTRUCTIONS = (
    "请补齐上述全部材料后再来办理：在大厅自助取号机扫描本告知书二维码取号，"
    "系统将关联原办件，无需重复排队说明情况。"
)

DEFAULT_REMEDY = (
    "如不服本决定，可自收到本通知书之日起六十日内依法申请行政复议，或者六个月内依法向人民法院提起行政诉讼。"
)


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _masked_id(value: str | None) -> None:
    if value is not None and "*" not in value:
        raise ValueError("applicant_id_masked must be masked (devices.privacy.mask_id)")


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One material of a matter; ``checked`` when the citizen ticked it at the kiosk."""

    name: str
    checked: bool = False
    required: bool = True
    note: str = ""


@dataclass(frozen=True, slots=True)
class TicketPrint:
    hall_name: str
    number: str
    service_name: str
    issued_at: datetime
    people_ahead: int
    estimated_wait_min: int | None = None
    matter_name: str | None = None
    priority: bool = False
    priority_label: str | None = None
    appointment: bool = False
    materials: tuple[ChecklistItem, ...] = ()
    citizen_url: str | None = None
    notices: tuple[str, ...] = DEFAULT_TICKET_NOTICES
    time_zone: str = DEFAULT_TIME_ZONE
    hall_short_name: str = ""  # the heading when the full name is too wide for double size
    hall_address: str = ""  # the footer: where the hall is and its public telephone
    hall_phone: str = ""

    def __post_init__(self) -> None:
        _aware(self.issued_at, "issued_at")
        if self.people_ahead < 0:
            raise ValueError("people_ahead cannot be negative")


@dataclass(frozen=True, slots=True)
class ReceiptPrint:
    """受理凭证: written proof that a window accepted a case."""

    hall_name: str
    case_no: str
    matter_name: str
    applicant_name: str
    accepted_at: datetime
    department: str
    case_type: str | None = None
    promised_days: int | None = None
    deadline: date | None = None
    window: str | None = None
    applicant_id_masked: str | None = None
    materials_received: tuple[str, ...] = ()
    contact_phone: str | None = None
    query_url: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    co_departments: tuple[str, ...] = ()  # a joint case's (联办件) other departments

    def __post_init__(self) -> None:
        _aware(self.accepted_at, "accepted_at")
        _masked_id(self.applicant_id_masked)


@dataclass(frozen=True, slots=True)
class MissingMaterial:
    name: str
    requirement: str = ""


@dataclass(frozen=True, slots=True)
class NoticePrint:
    """一次性告知书: every missing material, once, with how to come back."""

    hall_name: str
    case_no: str
    matter_name: str
    applicant_name: str
    issued_at: datetime
    department: str
    missing: tuple[MissingMaterial, ...]
    legal_basis: tuple[str, ...] = ()
    return_instructions: str = DEFAULT_RETURN_INSTRUCTIONS
    return_qr: str | None = field(default=None)
    window: str | None = None
    contact_phone: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE

    def __post_init__(self) -> None:
        _aware(self.issued_at, "issued_at")
        if not self.missing:
            raise ValueError("a one-time notice lists at least one missing material")


@dataclass(frozen=True, slots=True)
class RejectionPrint:
    """不予受理通知书: the refusal, its reasons and date, and the citizen's remedies."""

    hall_name: str
    case_no: str
    matter_name: str
    applicant_name: str
    rejected_at: datetime
    department: str
    reasons: tuple[str, ...]
    legal_basis: tuple[str, ...] = ()
    remedy: str = DEFAULT_REMEDY
    window: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE

    def __post_init__(self) -> None:
        _aware(self.rejected_at, "rejected_at")
        if not self.reasons:
            raise ValueError("a rejection notice gives at least one reason")
