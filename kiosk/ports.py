"""The kiosk model's seams to its hardware and voice. ``hardware`` implements them with ``devices``.

The model never sees a resident ID number: a scan or an ID card on the reader reaches it already
reduced to a keyed hash and a birth date (:class:`IdRead`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

from devices.escpos.status import PrinterStatus
from queue_server.protocol.messages import MaterialLine, TicketResult

__all__ = [
    "AppointmentRead",
    "CapturedPage",
    "IdRead",
    "MaterialRead",
    "MaterialUploader",
    "MissingNotice",
    "PageCamera",
    "PrinterStatus",
    "Read",
    "TicketPrinter",
    "UnusableRead",
    "Voice",
]


@dataclass(frozen=True, slots=True)
class MissingNotice:
    """A one-time notice (一次性告知) of every missing material, or a plain materials checklist."""

    hall_name: str
    matter_code: str
    matter_name: str
    department: str
    legal_basis: str
    missing: tuple[MaterialLine, ...]
    issued_at: datetime
    checklist_only: bool = False


class TicketPrinter(Protocol):
    def status(self) -> PrinterStatus:
        """Ask the printer now (may take up to its short timeout)."""
        ...

    def print_ticket(self, ticket: TicketResult) -> None:
        """Print one ticket; raises ``devices.errors.PrinterError`` when it could not."""
        ...

    def print_notice(self, notice: MissingNotice) -> None: ...

    def use_width(self, width_mm: Literal[58, 80]) -> None:
        """Lay out the prints from now on for this paper width (the device config names it).

        Called on the network thread: it only records the width, it never waits for the printer.
        """
        ...


@dataclass(frozen=True, slots=True)
class IdRead:
    """A resident ID card read: the keyed hash (for the per-ID limit) and the birth date (age priority).

    From the ID card reader also the name, masked (张*), to greet the citizen with on screen; the name
    itself never reaches the model.
    """

    id_hash: str
    birth_date: date | None
    masked_name: str = ""


@dataclass(frozen=True, slots=True)
class AppointmentRead:
    code: str


@dataclass(frozen=True, slots=True)
class MaterialRead:
    """Any other barcode: on the materials screen it ticks the material with that code."""

    code: str


@dataclass(frozen=True, slots=True)
class UnusableRead:
    """A scan the kiosk cannot use (a misread ID card, a foreign code); ``message`` tells the citizen."""

    message: str


Read = IdRead | AppointmentRead | MaterialRead | UnusableRead


class Voice(Protocol):
    def say(self, text: str) -> None:
        """Speak ``text`` without blocking; a newer prompt may cut an older one short."""
        ...


@dataclass(frozen=True, slots=True)
class CapturedPage:
    """A page the citizen confirmed: which material, which page of it, and the JPEG to upload."""

    material: str
    material_name: str
    page: int
    jpeg: bytes = field(repr=False)  # never in a log line or a repr


class PageCamera(Protocol):
    def capture(self) -> bytes:
        """One page, de-skewed and compressed (JPEG); raises ``devices.errors.DeviceError`` when none."""
        ...


class MaterialUploader(Protocol):
    def upload(self, citizen_url: str, page: CapturedPage) -> None:
        """Send one page to the server with the ticket's credentials (its citizen URL's token);
        raises ``OSError`` (unreachable, refused, timed out) or ``ValueError`` (the server said no)."""
        ...
