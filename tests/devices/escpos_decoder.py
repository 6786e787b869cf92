"""A small strict ESC/POS decoder for tests: walks a real byte stream and yields what a printer would do.

Written independently of ``devices.escpos`` (it knows the Epson command set, not our builder), so a
wrong byte in the renderer shows up as a wrong event or a DecodeError on an unknown command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A


class DecodeError(ValueError):
    pass


@dataclass(frozen=True)
class Init:
    pass


@dataclass(frozen=True)
class Text:
    """One printed line of text with the modes in force when it was printed."""

    text: str
    chinese: bool
    scale: tuple[int, int]
    bold: bool
    align: int


@dataclass(frozen=True)
class Size:
    width: int
    height: int


@dataclass(frozen=True)
class Align:
    value: int


@dataclass(frozen=True)
class Bold:
    on: bool


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Cut:
    partial: bool


@dataclass(frozen=True)
class Qr:
    payload: bytes
    module: int
    error_correction: int


@dataclass(frozen=True)
class Raster:
    width_bytes: int
    height: int
    data: bytes = field(repr=False)

    @property
    def width_dots(self) -> int:
        return self.width_bytes * 8

    def pixel(self, x: int, y: int) -> bool:
        return bool(self.data[y * self.width_bytes + x // 8] & (0x80 >> (x % 8)))

    @property
    def black_dots(self) -> int:
        return sum(bin(b).count("1") for b in self.data)

    def ink_columns(self) -> tuple[int, int] | None:
        """First and last x with a black dot, None for a blank image."""
        xs = [x for x in range(self.width_dots) if any(self.pixel(x, y) for y in range(self.height))]
        return (xs[0], xs[-1]) if xs else None


@dataclass(frozen=True)
class StatusQuery:
    n: int


Event = Init | Text | Size | Align | Bold | Feed | Cut | Qr | Raster | StatusQuery


@dataclass
class _State:
    """Where the walk is in the stream and the printer modes in force there."""

    stream: bytes
    i: int = 0
    chinese: bool = False
    scale: tuple[int, int] = (1, 1)
    bold: bool = False
    align: int = 0
    line: bytearray = field(default_factory=bytearray)
    line_chinese: bool = False
    qr_payload: bytes | None = None
    qr_module: int = 3
    qr_ec: int = 48

    def need(self, n: int) -> bytes:
        """The next n bytes from the current position, without consuming them."""
        if self.i + n > len(self.stream):
            raise DecodeError(f"truncated command at {self.i}")
        return self.stream[self.i : self.i + n]

    def take(self, n: int) -> bytes:
        chunk = self.need(n)
        self.i += n
        return chunk


# A handler consumes one command (its prefix included) and returns the event it makes, if any.
Handler = Callable[[_State], Event | None]


def _line_feed(s: _State) -> Event:
    s.i += 1
    text = bytes(s.line).decode("gb18030" if s.line_chinese else "ascii")
    event = Text(text, s.line_chinese, s.scale, s.bold, s.align)
    s.line.clear()
    s.line_chinese = False
    return event


def _text_byte(s: _State) -> None:
    b = s.stream[s.i]
    if b < 0x20 or b == 0x7F:
        raise DecodeError(f"stray control byte {b:#x} at {s.i}")
    if b >= 0x80 and not s.chinese:
        raise DecodeError(f"byte {b:#x} outside Chinese mode at {s.i}: would print as a code page glyph")
    s.line_chinese = s.line_chinese or b >= 0x80
    s.line.append(b)
    s.i += 1


def _esc_init(s: _State) -> Event:
    s.take(2)
    s.chinese, s.scale, s.bold, s.align = False, (1, 1), False, 0
    return Init()


def _esc_align(s: _State) -> Event:
    s.align = s.take(3)[2]
    if s.align not in (0, 1, 2, 48, 49, 50):
        raise DecodeError("bad ESC a")
    return Align(s.align)


def _esc_bold(s: _State) -> Event:
    s.bold = bool(s.take(3)[2] & 1)
    return Bold(s.bold)


def _esc_feed(s: _State) -> Event:
    return Feed(s.take(3)[2])


def _fs_chinese_on(s: _State) -> None:
    s.take(2)
    s.chinese = True


def _fs_chinese_off(s: _State) -> None:
    s.take(2)
    s.chinese = False


def _gs_size(s: _State) -> Event:
    n = s.take(3)[2]
    s.scale = ((n >> 4) + 1, (n & 0x0F) + 1)
    return Size(*s.scale)


# GS V m: cut mode m -> (partial cut, command length); 65 and 66 carry a feed byte.
_CUT_MODES: dict[int, tuple[bool, int]] = {
    0: (False, 3),
    48: (False, 3),
    1: (True, 3),
    49: (True, 3),
    65: (False, 4),
    66: (True, 4),
}


def _gs_cut(s: _State) -> Event:
    mode = _CUT_MODES.get(s.need(3)[2])
    if mode is None:
        raise DecodeError("bad GS V")
    partial, length = mode
    s.take(length)
    return Cut(partial=partial)


def _gs_raster(s: _State) -> Event:
    head = s.need(8)
    if head[2] not in (0, 48):
        raise DecodeError("GS v must be GS v 0")
    s.i += 8
    width = head[4] | head[5] << 8
    height = head[6] | head[7] << 8
    return Raster(width, height, s.take(width * height))


def _qr_model(s: _State, params: bytes) -> None:
    return None


def _qr_module(s: _State, params: bytes) -> None:
    s.qr_module = params[0]


def _qr_error_correction(s: _State, params: bytes) -> None:
    s.qr_ec = params[0]


def _qr_store(s: _State, params: bytes) -> None:
    if params[:1] != b"0":
        raise DecodeError("QR store needs m=48")
    s.qr_payload = bytes(params[1:])


def _qr_print(s: _State, params: bytes) -> Event:
    if s.qr_payload is None:
        raise DecodeError("QR print before store")
    return Qr(s.qr_payload, s.qr_module, s.qr_ec)


# GS ( k with cn=49 (QR): function code -> handler of its parameter bytes.
_QR_FUNCTIONS: dict[int, Callable[[_State, bytes], Event | None]] = {
    0x41: _qr_model,
    0x43: _qr_module,
    0x45: _qr_error_correction,
    0x50: _qr_store,
    0x51: _qr_print,
}


def _gs_symbol(s: _State) -> Event | None:
    head = s.need(5)
    if head[2:3] != b"k":
        raise DecodeError("only GS ( k is expected")
    s.i += 5
    body = s.take(head[3] | head[4] << 8)
    cn, fn, params = body[0], body[1], body[2:]
    if cn != 0x31:
        raise DecodeError("only QR (cn=49) is expected")
    function = _QR_FUNCTIONS.get(fn)
    if function is None:
        raise DecodeError(f"unknown QR function {fn:#x}")
    return function(s, params)


def _dle(s: _State) -> Event:
    head = s.need(3)
    if head[1] != 0x04:
        raise DecodeError("unknown DLE command")
    s.i += 3
    return StatusQuery(head[2])


def _prefixed(name: str, table: dict[bytes, Handler]) -> Handler:
    """A handler for a prefix byte that dispatches on the byte after it."""

    def handle(s: _State) -> Event | None:
        op = s.need(2)[1:2]
        handler = table.get(op)
        if handler is None:
            raise DecodeError(f"unknown {name} {op!r}")
        return handler(s)

    return handle


_BY_FIRST_BYTE: dict[int, Handler] = {
    LF: _line_feed,
    ESC: _prefixed("ESC", {b"@": _esc_init, b"a": _esc_align, b"E": _esc_bold, b"d": _esc_feed}),
    FS: _prefixed("FS", {b"&": _fs_chinese_on, b".": _fs_chinese_off}),
    GS: _prefixed("GS", {b"!": _gs_size, b"V": _gs_cut, b"v": _gs_raster, b"(": _gs_symbol}),
    DLE: _dle,
}


def decode(stream: bytes) -> Iterator[Event]:
    """Events in stream order. Raises DecodeError on a command this decoder does not know."""
    state = _State(stream)
    while state.i < len(stream):
        event = _BY_FIRST_BYTE.get(stream[state.i], _text_byte)(state)
        if event is not None:
            yield event
    if state.line:
        raise DecodeError("text left without a line feed: it would never print")


def texts(stream: bytes) -> list[str]:
    return [e.text for e in decode(stream) if isinstance(e, Text)]


E = TypeVar("E", Init, Text, Size, Align, Bold, Feed, Cut, Qr, Raster, StatusQuery)


def events_of(stream: bytes, kind: type[E]) -> list[E]:
    return [e for e in decode(stream) if isinstance(e, kind)]
