"""Printer status from real DLE EOT replies (pure)."""

from __future__ import annotations

from enum import StrEnum


class PrinterStatus(StrEnum):
    """What a kiosk needs to know before it promises a citizen a paper ticket."""

    OK = "ok"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def can_print(self) -> bool:
        return self in (PrinterStatus.OK, PrinterStatus.PAPER_NEAR_END)


# Every DLE EOT status byte has bit 1 and bit 4 set and bits 0 and 7 clear; anything else is noise.
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12
# DLE EOT 1 (printer): bit 3 offline.
_P_OFFLINE = 0x08
# DLE EOT 2 (offline cause): bit 2 cover open, bit 5 stopped by paper end, bit 6 error.
_O_COVER_OPEN = 0x04
_O_PAPER_END_STOP = 0x20
_O_ERROR = 0x40
# DLE EOT 4 (roll paper sensor): bits 2-3 near end, bits 5-6 paper end.
_S_NEAR_END = 0x0C
_S_PAPER_END = 0x60


def is_status_byte(value: int) -> bool:
    return value & _FIXED_MASK == _FIXED_BITS


def decode_status(reply: bytes) -> PrinterStatus:
    """Map the answers to DLE EOT 1, 2 and 4 (in that order) to one status.

    A short or malformed reply is UNKNOWN, never OK: python-escpos' ``paper_status()`` reports paper
    "adequate" for a printer that said nothing, which is exactly the case that must not pass.
    """
    if len(reply) != 3 or not all(is_status_byte(b) for b in reply):
        return PrinterStatus.UNKNOWN
    printer, offline_cause, paper = reply
    if offline_cause & _O_COVER_OPEN:
        return PrinterStatus.COVER_OPEN
    if paper & _S_PAPER_END or offline_cause & _O_PAPER_END_STOP:
        return PrinterStatus.PAPER_OUT
    if printer & _P_OFFLINE or offline_cause & _O_ERROR:
        return PrinterStatus.OFFLINE
    if paper & _S_NEAR_END:
        return PrinterStatus.PAPER_NEAR_END
    return PrinterStatus.OK
