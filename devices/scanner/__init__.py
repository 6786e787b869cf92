"""The barcode/QR scanner: typed scans, resident ID validation, keyed ID hashes."""

from devices.codes import (
    appointment_payload,
    is_appointment_code,
    notice_payload,
    parse_code,
    ticket_payload,
)
from devices.privacy import id_hash, mask_id
from devices.scanner.reader import Scanner, decode_line
from devices.scanner.resident_id import (
    InvalidReason,
    InvalidResidentIdError,
    ResidentId,
    check_character,
    is_valid_resident_id,
    parse_resident_id,
)
from devices.scanner.scan import (
    AppointmentScan,
    InvalidResidentIdScan,
    NoticeScan,
    OtherScan,
    ResidentIdScan,
    Scan,
    ScanKind,
    TicketScan,
    classify,
)
from devices.serialport import SerialPortConfig

__all__ = [
    "AppointmentScan",
    "InvalidReason",
    "InvalidResidentIdError",
    "InvalidResidentIdScan",
    "NoticeScan",
    "OtherScan",
    "ResidentId",
    "ResidentIdScan",
    "Scan",
    "ScanKind",
    "Scanner",
    "SerialPortConfig",
    "TicketScan",
    "appointment_payload",
    "check_character",
    "classify",
    "decode_line",
    "id_hash",
    "is_appointment_code",
    "is_valid_resident_id",
    "mask_id",
    "notice_payload",
    "parse_code",
    "parse_resident_id",
    "ticket_payload",
]
