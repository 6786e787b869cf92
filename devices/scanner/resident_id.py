"""The 18-character resident identity number (GB 11643-1999), parsed and kept out of sight.

Layout: 6-digit administrative region code, 8-digit birth date (YYYYMMDD), 3-digit sequence (odd for
men), 1 check character (ISO 7064 MOD 11-2: digits or ``X`` for 10).
A ``ResidentId`` prints, reprs and formats as its masked form; only ``reveal()`` gives the number,
and only to hash it or hand it to a system that is entitled to it. Never log or store it.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from devices.privacy import id_hash, mask_id

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
# Province-level codes (first two digits); 71/81/82/83 are Taiwan, Hong Kong, Macao residence permits.
PROVINCES = frozenset(
    {
        11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
    }
)  # fmt: skip
SHAPE = re.compile(r"\d{17}[\dXx]")
EARLIEST_BIRTH_YEAR = 1880


class InvalidReason(StrEnum):
    FORMAT = "format"
    REGION = "region"
    BIRTH_DATE = "birth_date"
    CHECKSUM = "checksum"


class InvalidResidentIdError(ValueError):
    """Not a valid resident ID number. The message never contains the number."""

    def __init__(self, reason: InvalidReason) -> None:
        self.reason = reason
        super().__init__(f"invalid resident ID number ({reason.value})")


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


class ResidentId:
    """A valid resident ID number; its text form is always masked (``1101**********1234``)."""

    __slots__ = ("_number", "birth_date", "region_code")

    def __init__(self, number: str, birth_date: date, region_code: str) -> None:
        self._number = number
        self.birth_date = birth_date
        self.region_code = region_code

    @property
    def masked(self) -> str:
        return mask_id(self._number)

    @property
    def province_code(self) -> str:
        return self.region_code[:2]

    @property
    def is_male(self) -> bool:
        return int(self._number[16]) % 2 == 1

    def age_on(self, day: date) -> int:
        """Completed years on ``day`` (the clock is the caller's)."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    def hash(self, key: bytes) -> str:
        """The keyed hash the server stores instead of the number (``devices.privacy.id_hash``)."""
        return id_hash(self._number, key)

    def reveal(self) -> str:
        """The number in clear. Only for hashing or an entitled system; never for logs or storage."""
        return self._number

    def __repr__(self) -> str:
        return f"ResidentId({self.masked})"

    def __str__(self) -> str:
        return self.masked

    def __format__(self, spec: str) -> str:
        return format(self.masked, spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ResidentId) and other._number == self._number

    def __hash__(self) -> int:
        return hash(("ResidentId", self._number))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a ResidentId is not pickled: store its keyed hash instead")


def parse_resident_id(text: str) -> ResidentId:
    """Validate shape, region, birth date and checksum; InvalidResidentIdError says which failed."""
    number = text.strip().upper()
    if not SHAPE.fullmatch(number):
        raise InvalidResidentIdError(InvalidReason.FORMAT)
    if int(number[:2]) not in PROVINCES:
        raise InvalidResidentIdError(InvalidReason.REGION)
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidResidentIdError(InvalidReason.BIRTH_DATE) from None
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise InvalidResidentIdError(InvalidReason.BIRTH_DATE)
    if check_character(number[:17]) != number[17]:
        raise InvalidResidentIdError(InvalidReason.CHECKSUM)
    return ResidentId(number, birth, number[:6])


def is_valid_resident_id(text: str) -> bool:
    try:
        parse_resident_id(text)
    except InvalidResidentIdError:
        return False
    return True
