"""Ticket numbers: the pure parts of `{prefix}{nnn}` numbering.

Uniqueness and gap-freeness are the store's job (one atomic ``UPDATE … RETURNING``); this module only
formats, parses and decides which service day an instant belongs to.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo

# The default hall time zone (one definition for server and devices); a hall elsewhere configures its own.
from queue_server.protocol.defaults import HALL_TZ as HALL_TZ

# Three digits is what halls print and announce ("A012"); a busy day simply grows a fourth digit.
MIN_DIGITS = 3

_PREFIX = re.compile(r"[A-Z]{1,3}")
_NUMBER = re.compile(r"(?P<prefix>[A-Z]{1,3})(?P<digits>[0-9]{3,})")


def format_number(prefix: str, n: int) -> str:
    """Format ticket `n` of a service: ``("A", 12) -> "A012"``, ``("A", 1000) -> "A1000"``.

    The prefix is 1–3 upper-case ASCII letters; the series starts at 1.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"ticket prefix must be 1-3 upper-case letters A-Z, got {prefix!r}")
    if n < 1:
        raise ValueError(f"ticket sequence starts at 1, got {n}")
    return f"{prefix}{n:0{MIN_DIGITS}d}"


def parse_number(s: str) -> tuple[str, int]:
    """Split a ticket number into prefix and sequence; the inverse of `format_number`.

    Only the canonical spelling is accepted ("A012", not "A12" nor "A0012"), so one ticket has one text.
    """
    match = _NUMBER.fullmatch(s)
    if match is None:
        raise ValueError(f"not a ticket number: {s!r}")
    digits = match["digits"]
    n = int(digits)
    if n < 1 or (len(digits) > MIN_DIGITS and digits[0] == "0"):
        raise ValueError(f"not a canonical ticket number: {s!r}")
    return match["prefix"], n


def service_day(at: datetime, tz: tzinfo) -> date:
    """The hall-local day an instant belongs to: the day whose number series the ticket joins."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("service_day needs a timezone-aware datetime")
    return at.astimezone(tz).date()
