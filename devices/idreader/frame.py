"""The ID card readers' SAM frame (GA 467 reader interface), pure: build, parse, resynchronise.

Every second-generation ID card reader (身份证阅读器) carries a SAM module that speaks this on its
UART (115200 8N1 by default; 57600/38400/19200/9600 selectable)::

    host → reader:  AA AA AA 96 69  LEN_HI LEN_LO  CMD  PARA  DATA…  CHK
    reader → host:  AA AA AA 96 69  LEN_HI LEN_LO  SW1  SW2   SW3    DATA…  CHK

- The preamble: three bytes to synchronise on, then ``96 69`` to mark the start.
- LEN (big-endian) counts every byte after itself, the checksum included.
- CHK: XOR of every byte after the preamble (LEN included) except CHK itself.
- SW1 SW2 are the card's APDU status as the reader relays it, SW3 the reader's own status
  (:class:`Status`): 0x90 done, 0x9F card found, 0x80 no card, 0x10 the host's checksum was wrong, ….

The commands hallq uses: find card ``20 01`` (answers 9F and 4 bytes), select card ``20 02``
(answers 90 and 8 bytes), read the base information ``30 01`` (answers 90, the text length and the
photo length as two big-endian words, 256 bytes of text, 1024 bytes of photo; see ``card``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from devices.errors import FrameError

# CHK is the XOR of the bytes between the preamble and itself: the same sum as the LED sign's frame.
from devices.sign.frame import checksum as checksum

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER = len(PREAMBLE) + 2  # preamble, LEN_HI, LEN_LO
# The longest answer is "read base and fingerprint information": 2321 bytes in all. Anything longer
# is line noise that happened to contain a preamble: skip it instead of waiting for kilobytes.
MAX_LENGTH = 4096


class Command(IntEnum):
    """(CMD << 8) | PARA of the commands hallq sends."""

    RESET = 0x10FF
    STATUS = 0x11FF
    FIND_CARD = 0x2001
    SELECT_CARD = 0x2002
    READ_BASE = 0x3001

    @property
    def cmd(self) -> int:
        return self.value >> 8

    @property
    def para(self) -> int:
        return self.value & 0xFF


class Status(IntEnum):
    """SW3, the reader's own status byte (the public SAM interface's table)."""

    OK = 0x90
    CARD_FOUND = 0x9F
    BAD_CHECKSUM = 0x10  # the reader got a frame from the host with a wrong checksum
    BAD_LENGTH = 0x11
    BAD_COMMAND = 0x21
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_FAILED = 0x31
    READER_AUTH_FAILED = 0x32
    VERIFY_FAILED = 0x33
    WRONG_CARD = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SELF_TEST_FAILED = 0x60
    NOT_AUTHORISED = 0x66
    NO_CARD = 0x80
    SELECT_FAILED = 0x81
    NO_CONTENT = 0x91


@dataclass(frozen=True, slots=True)
class Request:
    """A command frame as the reader (the simulator) receives it."""

    cmd: int
    para: int
    data: bytes = b""

    @property
    def command(self) -> Command | None:
        try:
            return Command((self.cmd << 8) | self.para)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Reply:
    """An answer frame as the host receives it. ``repr`` hides ``data``: a card's text is personal."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def status(self) -> Status | None:
        try:
            return Status(self.sw3)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"Reply(sw={self.sw1:02X}{self.sw2:02X}{self.sw3:02X}, {len(self.data)} data bytes)"


def _frame(payload: bytes) -> bytes:
    length = len(payload) + 1
    if length > MAX_LENGTH:
        raise ValueError(f"frame payload too long ({len(payload)} bytes)")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def encode_command(command: Command, data: bytes = b"") -> bytes:
    """A host → reader frame, e.g. find card: ``AA AA AA 96 69 00 03 20 01 22``."""
    return _frame(bytes([command.cmd, command.para]) + data)


def encode_reply(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A reader → host frame (what the simulator answers)."""
    return _frame(bytes([sw1, sw2, sw3]) + data)


def parse_request(payload: bytes) -> Request:
    if len(payload) < 2:
        raise FrameError("ID reader command frame too short", length=len(payload))
    return Request(payload[0], payload[1], payload[2:])


def parse_reply(payload: bytes) -> Reply:
    if len(payload) < 3:
        raise FrameError("ID reader answer frame too short", length=len(payload))
    return Reply(payload[0], payload[1], payload[2], payload[3:])


class FrameReader:
    """Split a byte stream into frame payloads (what follows LEN, without CHK), checksum verified.

    ``feed`` returns payloads and ``FrameError`` values in arrival order. Bytes before a preamble are
    skipped; an impossible length skips that preamble and searches again; a frame with a wrong checksum
    is consumed whole and reported (its contents are not: a card's text is personal).
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        self._buf += data
        out: list[bytes | FrameError] = []
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # Keep a tail that may be the first bytes of a preamble split across reads.
                del self._buf[: max(0, len(self._buf) - (len(PREAMBLE) - 1))]
                return out
            del self._buf[:start]
            if len(self._buf) < HEADER:
                return out
            length = int.from_bytes(self._buf[len(PREAMBLE) : HEADER], "big")
            if not 2 <= length <= MAX_LENGTH:
                out.append(FrameError("ID reader frame with an impossible length", length=length))
                del self._buf[:1]
                continue
            end = HEADER + length
            if len(self._buf) < end:
                return out
            body = bytes(self._buf[len(PREAMBLE) : end - 1])
            received = self._buf[end - 1]
            del self._buf[:end]
            if checksum(body) != received:
                out.append(FrameError("ID reader frame with a bad checksum", length=length))
                continue
            out.append(body[2:])
