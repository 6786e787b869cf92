"""The codes hallq prints and scans: ticket, one-time notice and appointment payloads (pure).

Formats (a public contract: printed paper outlives software versions):

- ticket page:        ``hallq://t/<token>``    token ``[A-Za-z0-9_-]{4,64}`` (the citizen page id)
- one-time notice:    ``hallq://n/<case_no>``  case number ``[A-Za-z0-9][A-Za-z0-9_-]{0,63}``;
  a kiosk that scans it issues a return ticket linked to that case (``ticket.issue`` ``return_for``)
- appointment:        ``YY`` + 8 digits (``YY20250306``…), printed as a Code 128 barcode or in SMS,
  or ``hallq://a/<code>`` in a QR code

The citizen page URL printed on a ticket (``https://<host>/…/t/<token>``) and a notice URL
(``https://<host>/…/n/<case_no>``) are recognised too, but only for hosts the hall configures: a
random URL with ``/t/`` in it is not a hallq ticket.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from enum import StrEnum
from urllib.parse import urlsplit

SCHEME = "hallq"
TICKET_REF_PATTERN = r"[A-Za-z0-9_-]{4,64}"
CASE_NO_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
APPOINTMENT_PATTERN = r"YY\d{8}"

_URI = re.compile(
    rf"hallq://(?:(t)/({TICKET_REF_PATTERN})|(n)/({CASE_NO_PATTERN})|(a)/({APPOINTMENT_PATTERN}))/?"
)
_APPOINTMENT = re.compile(APPOINTMENT_PATTERN)
_URL_PATH = re.compile(rf"(?:.*/)?(?:(t)/({TICKET_REF_PATTERN})|(n)/({CASE_NO_PATTERN}))/?")


class CodeKind(StrEnum):
    TICKET = "t"
    NOTICE = "n"
    APPOINTMENT = "a"


def _checked(pattern: str, value: str, what: str) -> str:
    if not re.fullmatch(pattern, value):
        raise ValueError(f"not a valid {what}")
    return value


def ticket_payload(token: str) -> str:
    return f"hallq://t/{_checked(TICKET_REF_PATTERN, token, 'ticket token')}"


def notice_payload(case_no: str) -> str:
    return f"hallq://n/{_checked(CASE_NO_PATTERN, case_no, 'case number')}"


def appointment_payload(code: str) -> str:
    return f"hallq://a/{_checked(APPOINTMENT_PATTERN, code, 'appointment code')}"


def is_appointment_code(text: str) -> bool:
    return _APPOINTMENT.fullmatch(text) is not None


def _pick(match: re.Match[str]) -> tuple[CodeKind, str]:
    groups = match.groups()
    for i in range(0, len(groups), 2):
        if groups[i] is not None:
            value = groups[i + 1]
            assert value is not None
            return CodeKind(groups[i]), value
    raise AssertionError("a code pattern matched without a kind")


def parse_code(text: str, citizen_hosts: Collection[str] = ()) -> tuple[CodeKind, str] | None:
    """The kind and value of a hallq payload or recognised citizen URL; None for anything else."""
    text = text.strip()
    if text.lower().startswith("hallq://"):
        match = _URI.fullmatch(SCHEME + text[len(SCHEME) :])
        return _pick(match) if match else None
    if citizen_hosts and text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        if host not in {h.lower() for h in citizen_hosts} or parts.query or parts.fragment:
            return None
        match = _URL_PATH.fullmatch(parts.path)
        return _pick(match) if match else None
    return None
