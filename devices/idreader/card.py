"""The base information of a resident ID card (GA/T 490 text file), pure: decode and encode.

The answer to "read base information" carries two big-endian lengths (text, photo), 256 bytes of
text and the 1024-byte photo (WLT, a format only licensed decoders read). hallq never decodes the
photo and never keeps it: ``base_text`` returns the text alone.

The text is UCS-2 little-endian (UTF-16LE) in fixed-width fields, padded with spaces:

| field | bytes | content |
|---|---|---|
| name | 30 | up to 15 characters |
| sex | 2 | GB/T 2261.1 code: 1 male, 2 female |
| nation | 4 | GB/T 3304 code: 01 汉, … |
| birth date | 16 | YYYYMMDD |
| address | 70 | up to 35 characters |
| ID number | 36 | 18 characters (GB 11643) |
| authority | 30 | issuing police office |
| valid from | 16 | YYYYMMDD |
| valid until | 16 | YYYYMMDD, or 长期 (no expiry) |
| reserved | 36 | |

An :class:`IdCard` prints as ``IdCard(张*, 1101**********1234)``: its name, number and address
never reach a log line by accident, and it cannot be pickled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from devices.errors import FrameError
from devices.privacy import mask_name
from devices.scanner.resident_id import InvalidResidentIdError, ResidentId, parse_resident_id

TEXT_LENGTH = 256
PHOTO_LENGTH = 1024
ENCODING = "utf-16-le"
NO_EXPIRY = "长期"

# (field, width in bytes) in card order; the widths add up to TEXT_LENGTH.
FIELDS: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex", 2),
    ("nation", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("authority", 30),
    ("valid_from", 16),
    ("valid_until", 16),
    ("reserved", 36),
)


@dataclass(frozen=True, slots=True, repr=False, eq=True)
class IdCard:
    """What the card's text says. Personal: use ``resident_id.hash(key)`` and ``birth_date``, show
    ``masked_name`` at most, and never log, store or send the rest."""

    name: str
    sex: str  # "1" male, "2" female
    nation: str  # "01" 汉, …
    birth_date: date
    address: str
    resident_id: ResidentId
    authority: str
    valid_from: date
    valid_until: date | None  # None: 长期 (valid for life)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    def __repr__(self) -> str:
        return f"IdCard({self.masked_name}, {self.resident_id.masked})"

    def __str__(self) -> str:
        return repr(self)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("an IdCard is not pickled: keep its keyed hash instead")


def _field(text: bytes, offset: int, width: int) -> str:
    return text[offset : offset + width].decode(ENCODING, errors="replace").rstrip(" \x00")


def _day(value: str, what: str) -> date:
    if len(value) != 8 or not value.isdigit():
        raise FrameError("ID card text with a bad date", field=what)
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise FrameError("ID card text with a bad date", field=what) from None


def decode_base_text(text: bytes) -> IdCard:
    """The 256 bytes of card text as an :class:`IdCard`; FrameError names a bad field, never its value."""
    if len(text) != TEXT_LENGTH:
        raise FrameError("ID card text of the wrong length", length=len(text))
    values: dict[str, str] = {}
    offset = 0
    for name, width in FIELDS:
        values[name] = _field(text, offset, width)
        offset += width
    try:
        resident_id = parse_resident_id(values["id_number"])
    except InvalidResidentIdError as exc:
        raise FrameError(
            "ID card text with an invalid ID number", field="id_number", reason=exc.reason
        ) from None
    until = values["valid_until"]
    return IdCard(
        name=values["name"],
        sex=values["sex"],
        nation=values["nation"],
        birth_date=_day(values["birth_date"], "birth_date"),
        address=values["address"],
        resident_id=resident_id,
        authority=values["authority"],
        valid_from=_day(values["valid_from"], "valid_from"),
        valid_until=None if until == NO_EXPIRY else _day(until, "valid_until"),
    )


def _encoded(value: str, width: int, what: str) -> bytes:
    raw = value.encode(ENCODING)
    if len(raw) > width:
        raise ValueError(f"ID card field {what} longer than {width // 2} characters")
    return raw + " ".encode(ENCODING) * ((width - len(raw)) // 2)


def encode_base_text(card: IdCard) -> bytes:
    """The card's 256 bytes of text, as a reader sends them (the simulator's side)."""
    values = {
        "name": card.name,
        "sex": card.sex,
        "nation": card.nation,
        "birth_date": f"{card.birth_date:%Y%m%d}",
        "address": card.address,
        "id_number": card.resident_id.reveal(),
        "authority": card.authority,
        "valid_from": f"{card.valid_from:%Y%m%d}",
        "valid_until": NO_EXPIRY if card.valid_until is None else f"{card.valid_until:%Y%m%d}",
        "reserved": "",
    }
    return b"".join(_encoded(values[name], width, name) for name, width in FIELDS)


def base_info(text: bytes, photo: bytes) -> bytes:
    """The data of a "read base information" answer: both lengths, the text, the photo."""
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def base_text(data: bytes) -> bytes:
    """The card text out of a "read base information" answer; the photo is left where it is."""
    if len(data) < 4:
        raise FrameError("ID card answer too short", length=len(data))
    text_length = int.from_bytes(data[0:2], "big")
    photo_length = int.from_bytes(data[2:4], "big")
    if text_length != TEXT_LENGTH or len(data) < 4 + text_length + photo_length:
        raise FrameError("ID card answer with wrong lengths", text=text_length, photo=photo_length)
    return data[4 : 4 + text_length]
