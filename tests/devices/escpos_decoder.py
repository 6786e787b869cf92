"""A small strict ESC/POS decoder for tests: walks a real byte stream and yields what a printer would do.

Written independently of ``devices.escpos`` (it knows the Epson command set, not our builder), so a
wrong byte in the renderer shows up as a wrong event or a DecodeError on an unknown command.
"""

from __future__ import annotations

from collections.abc import Iterator
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


def decode(stream: bytes) -> Iterator[Event]:
    """Events in stream order. Raises DecodeError on a command this decoder does not know."""
    i = 0
    chinese = False
    scale = (1, 1)
    bold = False
    align = 0
    line = bytearray()
    line_chinese = False
    qr_payload: bytes | None = None
    qr_module = 3
    qr_ec = 48

    def need(n: int) -> bytes:
        if i + n > len(stream):
            raise DecodeError(f"truncated command at {i}")
        return stream[i : i + n]

    while i < len(stream):
        b = stream[i]
        if b == LF:
            text = bytes(line).decode("gb18030" if line_chinese else "ascii")
            yield Text(text, line_chinese, scale, bold, align)
            line.clear()
            line_chinese = False
            i += 1
        elif b == ESC:
            op = need(2)[1:2]
            if op == b"@":
                yield Init()
                chinese, scale, bold, align = False, (1, 1), False, 0
                i += 2
            elif op == b"a":
                align = need(3)[2]
                if align not in (0, 1, 2, 48, 49, 50):
                    raise DecodeError("bad ESC a")
                yield Align(align)
                i += 3
            elif op == b"E":
                bold = bool(need(3)[2] & 1)
                yield Bold(bold)
                i += 3
            elif op == b"d":
                yield Feed(need(3)[2])
                i += 3
            else:
                raise DecodeError(f"unknown ESC {op!r}")
        elif b == FS:
            op = need(2)[1:2]
            if op == b"&":
                chinese = True
            elif op == b".":
                chinese = False
            else:
                raise DecodeError(f"unknown FS {op!r}")
            i += 2
        elif b == GS:
            op = need(2)[1:2]
            if op == b"!":
                n = need(3)[2]
                scale = ((n >> 4) + 1, (n & 0x0F) + 1)
                yield Size(*scale)
                i += 3
            elif op == b"V":
                m = need(3)[2]
                if m in (0, 48):
                    yield Cut(partial=False)
                    i += 3
                elif m in (1, 49):
                    yield Cut(partial=True)
                    i += 3
                elif m in (65, 66):
                    need(4)
                    yield Cut(partial=m == 66)
                    i += 4
                else:
                    raise DecodeError("bad GS V")
            elif op == b"v":
                head = need(8)
                if head[2] not in (0, 48):
                    raise DecodeError("GS v must be GS v 0")
                width = head[4] | head[5] << 8
                height = head[6] | head[7] << 8
                i += 8
                data = need(width * height)
                yield Raster(width, height, data)
                i += width * height
            elif op == b"(":
                head = need(5)
                if head[2:3] != b"k":
                    raise DecodeError("only GS ( k is expected")
                n = head[3] | head[4] << 8
                i += 5
                body = need(n)
                i += n
                cn, fn, params = body[0], body[1], body[2:]
                if cn != 0x31:
                    raise DecodeError("only QR (cn=49) is expected")
                if fn == 0x41:
                    pass  # model
                elif fn == 0x43:
                    qr_module = params[0]
                elif fn == 0x45:
                    qr_ec = params[0]
                elif fn == 0x50:
                    if params[:1] != b"0":
                        raise DecodeError("QR store needs m=48")
                    qr_payload = bytes(params[1:])
                elif fn == 0x51:
                    if qr_payload is None:
                        raise DecodeError("QR print before store")
                    yield Qr(qr_payload, qr_module, qr_ec)
                else:
                    raise DecodeError(f"unknown QR function {fn:#x}")
            else:
                raise DecodeError(f"unknown GS {op!r}")
        elif b == DLE:
            head = need(3)
            if head[1] != 0x04:
                raise DecodeError("unknown DLE command")
            yield StatusQuery(head[2])
            i += 3
        elif b < 0x20 or b == 0x7F:
            raise DecodeError(f"stray control byte {b:#x} at {i}")
        else:
            if b >= 0x80 and not chinese:
                raise DecodeError(
                    f"byte {b:#x} outside Chinese mode at {i}: would print as a code page glyph"
                )
            line_chinese = line_chinese or b >= 0x80
            line.append(b)
            i += 1
    if line:
        raise DecodeError("text left without a line feed: it would never print")


def texts(stream: bytes) -> list[str]:
    return [e.text for e in decode(stream) if isinstance(e, Text)]


E = TypeVar("E", Init, Text, Size, Align, Bold, Feed, Cut, Qr, Raster, StatusQuery)


def events_of(stream: bytes, kind: type[E]) -> list[E]:
    return [e for e in decode(stream) if isinstance(e, kind)]
