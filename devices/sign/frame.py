"""The window LED sign frame (pure): build, parse, and an incremental reader that resynchronises.

One frame, host → sign (RS-232/RS-485, 9600 8N1)::

    STX  ADDR    SEQ    CMD  LEN_HI LEN_LO  PAYLOAD…   CHK  ETX
    0x02 1..255  0..255      big-endian     LEN bytes       0x03

- ADDR: the sign's address (DIP switches); several signs can share one RS-485 pair.
- SEQ: chosen by the host, echoed in the reply, so a late reply is never taken for a newer frame's.
- CMD: ``S`` (0x53) show, ``X`` (0x58) clear. Unknown commands are NAKed.
- CHK: XOR of ADDR, SEQ, CMD, LEN_HI, LEN_LO and every payload byte.
- The sign answers ``ACK SEQ`` (0x06, seq) to a good frame for its address and ``NAK SEQ`` (0x15) to
  one it read but refuses (checksum, unknown command, undecodable text); nothing to frames for other
  addresses or too damaged to delimit. The length field delimits the payload, so payload bytes may
  be 0x02/0x03.

Payload of ``S``: ``status`` (one ASCII letter: I idle, K calling, S serving, P paused, X closed),
then the fields window, ticket, reason separated by US (0x1F), as GB2312 text (GB18030 if the sign is
configured for it). Payload of ``X``: empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from devices.errors import FrameError

STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15
US = 0x1F
CMD_SHOW = 0x53
CMD_CLEAR = 0x58
COMMANDS = frozenset({CMD_SHOW, CMD_CLEAR})
MAX_PAYLOAD = 512
HEADER = 6  # STX ADDR SEQ CMD LEN_HI LEN_LO
TRAILER = 2  # CHK ETX


class SignStatus(StrEnum):
    IDLE = "I"
    CALLING = "K"
    SERVING = "S"
    PAUSED = "P"
    CLOSED = "X"


@dataclass(frozen=True, slots=True)
class SignDisplay:
    """What a window sign shows: its window, the ticket at the window, the status and a pause reason."""

    window: str
    status: SignStatus
    ticket: str | None = None
    reason: str | None = None

    def text(self) -> str:
        """The line a citizen reads on the sign (zh-CN)."""
        window = f"{self.window}号窗口" if self.window.isdigit() else self.window
        if self.status is SignStatus.CALLING and self.ticket:
            return f"请{self.ticket}号到{window}办理"
        if self.status is SignStatus.SERVING and self.ticket:
            return f"{window} 正在办理{self.ticket}号"
        if self.status is SignStatus.PAUSED:
            return f"{window} 暂停服务" + (f"：{self.reason}" if self.reason else "")
        if self.status is SignStatus.CLOSED:
            return f"{window} 已停止服务"
        return f"{window} 欢迎您"


@dataclass(frozen=True, slots=True)
class Frame:
    address: int
    command: int
    payload: bytes
    seq: int = 0


def checksum(body: bytes) -> int:
    value = 0
    for byte in body:
        value ^= byte
    return value


def encode_frame(address: int, command: int, payload: bytes = b"", seq: int = 0) -> bytes:
    if not 1 <= address <= 255:
        raise ValueError("sign address is 1..255")
    if not 0 <= seq <= 255:
        raise ValueError("sequence number is 0..255")
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"sign payload is at most {MAX_PAYLOAD} bytes")
    body = bytes([address, seq, command, len(payload) >> 8, len(payload) & 0xFF]) + payload
    return bytes([STX]) + body + bytes([checksum(body), ETX])


def decode_frame(data: bytes) -> Frame:
    """Exactly one frame; FrameError says what is wrong with it."""
    if len(data) < HEADER + TRAILER or data[0] != STX:
        raise FrameError("frame does not start with STX or is too short")
    length = data[4] << 8 | data[5]
    if length > MAX_PAYLOAD or len(data) != HEADER + length + TRAILER:
        raise FrameError("frame length does not match its length field")
    if data[-1] != ETX:
        raise FrameError("frame does not end with ETX")
    body = data[1 : HEADER + length]
    if checksum(body) != data[-2]:
        # Address and sequence as received (maybe damaged too): enough to NAK, never to act on.
        raise FrameError("frame checksum mismatch", address=data[1], seq=data[2])
    return Frame(address=data[1], command=data[3], payload=bytes(data[HEADER : HEADER + length]), seq=data[2])


def _field(value: str | None, encoding: str) -> bytes:
    text = value or ""
    if "\x1f" in text:
        raise ValueError("a sign field cannot contain the separator")
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        raise ValueError(f"the sign's {encoding} font cannot show {text[exc.start : exc.end]!r}") from None


def encode_display(display: SignDisplay, encoding: str = "gb2312") -> bytes:
    sep = bytes([US])
    return (
        display.status.value.encode("ascii")
        + _field(display.window, encoding)
        + sep
        + _field(display.ticket, encoding)
        + sep
        + _field(display.reason, encoding)
    )


def decode_display(payload: bytes, encoding: str = "gb2312") -> SignDisplay:
    try:
        status = SignStatus(payload[:1].decode("ascii"))
        window, ticket, reason = payload[1:].decode(encoding).split("\x1f")
    except (ValueError, UnicodeDecodeError) as exc:
        raise FrameError(f"bad show payload: {exc}") from None
    if not window:
        raise FrameError("a show payload needs a window")
    return SignDisplay(window=window, status=status, ticket=ticket or None, reason=reason or None)


def show_frame(address: int, display: SignDisplay, encoding: str = "gb2312", seq: int = 0) -> bytes:
    return encode_frame(address, CMD_SHOW, encode_display(display, encoding), seq)


def clear_frame(address: int, seq: int = 0) -> bytes:
    return encode_frame(address, CMD_CLEAR, b"", seq)


def reply(ok: bool, seq: int) -> bytes:
    """The sign's answer to frame ``seq``."""
    return bytes([ACK if ok else NAK, seq])


class ReplyReader:
    """The host's side: ``(ok, seq)`` pairs out of the bytes a sign sends back."""

    def __init__(self) -> None:
        self._kind: int | None = None

    def feed(self, data: bytes) -> list[tuple[bool, int]]:
        out: list[tuple[bool, int]] = []
        for byte in data:
            if self._kind is None:
                if byte in (ACK, NAK):
                    self._kind = byte
            else:
                out.append((self._kind == ACK, byte))
                self._kind = None
        return out


class FrameReader:
    """Incremental: feed bytes, get whole frames or the error of each bad one; skips line noise."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        self._buf += data
        out: list[Frame | FrameError] = []
        while True:
            start = self._buf.find(STX)
            if start < 0:
                self._buf.clear()
                return out
            del self._buf[:start]
            if len(self._buf) < HEADER:
                return out
            length = self._buf[4] << 8 | self._buf[5]
            if length > MAX_PAYLOAD:
                out.append(FrameError("frame length field too large"))
                del self._buf[:1]
                continue
            end = HEADER + length + TRAILER
            if len(self._buf) < end:
                return out
            try:
                out.append(decode_frame(bytes(self._buf[:end])))
                del self._buf[:end]
            except FrameError as exc:
                out.append(exc)
                # A frame that ends in ETX where its length says was damaged inside: drop all of it.
                # Otherwise the STX was noise: resynchronise on the next one.
                del self._buf[: end if self._buf[end - 1] == ETX else 1]
