"""What a scanned line is, as typed values (pure). ``classify`` never keeps an ID number in clear."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from devices.codes import CodeKind, is_appointment_code, parse_code
from devices.privacy import mask_id
from devices.scanner.resident_id import (
    SHAPE,
    InvalidReason,
    InvalidResidentIdError,
    ResidentId,
    parse_resident_id,
)


class ScanKind(StrEnum):
    RESIDENT_ID = "resident_id"
    INVALID_RESIDENT_ID = "invalid_resident_id"
    APPOINTMENT = "appointment"
    TICKET = "ticket"
    NOTICE = "notice"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ResidentIdScan:
    resident_id: ResidentId
    kind: ClassVar[ScanKind] = ScanKind.RESIDENT_ID


@dataclass(frozen=True, slots=True)
class InvalidResidentIdScan:
    """Looked like an ID number but failed validation (a misread or mistyped card); kept masked only."""

    masked: str
    reason: InvalidReason
    kind: ClassVar[ScanKind] = ScanKind.INVALID_RESIDENT_ID


@dataclass(frozen=True, slots=True)
class AppointmentScan:
    code: str
    kind: ClassVar[ScanKind] = ScanKind.APPOINTMENT


@dataclass(frozen=True, slots=True)
class TicketScan:
    token: str
    kind: ClassVar[ScanKind] = ScanKind.TICKET


@dataclass(frozen=True, slots=True)
class NoticeScan:
    """A one-time notice: the kiosk issues a return ticket linked to ``case_no``."""

    case_no: str
    kind: ClassVar[ScanKind] = ScanKind.NOTICE


@dataclass(frozen=True, slots=True)
class OtherScan:
    data: str
    kind: ClassVar[ScanKind] = ScanKind.OTHER


Scan = ResidentIdScan | InvalidResidentIdScan | AppointmentScan | TicketScan | NoticeScan | OtherScan

_WHITESPACE = re.compile(r"\s+")


def classify(text: str, citizen_hosts: Collection[str] = ()) -> Scan:
    """Sort one scanned line into a typed value. ``citizen_hosts``: hosts of this hall's citizen pages."""
    data = text.strip()
    if SHAPE.fullmatch(data):
        try:
            return ResidentIdScan(parse_resident_id(data))
        except InvalidResidentIdError as exc:
            return InvalidResidentIdScan(mask_id(data), exc.reason)
    compact = _WHITESPACE.sub("", data).upper()
    if is_appointment_code(compact):
        return AppointmentScan(compact)
    code = parse_code(data, citizen_hosts)
    if code is not None:
        kind, value = code
        if kind is CodeKind.TICKET:
            return TicketScan(value)
        if kind is CodeKind.NOTICE:
            return NoticeScan(value)
        return AppointmentScan(value)
    return OtherScan(data)
