"""Resident identity card numbers (居民身份证号码, GB 11643-1999): validate and read the birth date.

The number itself is never stored (the store keeps a keyed hash); the kiosk reads the birth date for
automatic age priority and the hash for the per-ID limit.
"""

from __future__ import annotations

import re
from datetime import date

_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
# ISO 7064 MOD 11-2 weights of the first 17 digits, and the check character for each remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def normalize_id(number: str) -> str:
    """Trim spaces and upper-case the check character ('x' -> 'X')."""
    return number.strip().upper()


def check_character(first17: str) -> str:
    """The check character (0-9 or X) for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def birth_date_from_id(number: str) -> date | None:
    """The birth date in an 18-character resident ID number, or None if the number is not valid."""
    number = normalize_id(number)
    if not _SHAPE.fullmatch(number) or check_character(number[:17]) != number[17]:
        return None
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid_id(number: str) -> bool:
    """Whether `number` is a well-formed 18-character resident ID number with a correct check character."""
    return birth_date_from_id(number) is not None
