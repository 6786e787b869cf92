"""A pure ESC/POS byte builder that knows Chinese: native FS & + GB18030, or a raster image per line.

Like python-escpos' ``Escpos`` it only produces bytes; unlike it, it sends ``FS &`` before Chinese
text and prints lines of only full-width punctuation (``，。！``, ``——``) instead of ``?????``.
"""

from __future__ import annotations

from typing import Self

from devices.escpos import commands as c
from devices.escpos.layout import ChineseMode, PaperLayout, QrMode
from devices.escpos.raster import qr_raster, text_raster
from devices.escpos.text import display_width, sanitize, truncate, wrap


class EscposBuilder:
    """Accumulate one job. Style changes are sent only when they change, like a careful driver would."""

    def __init__(self, layout: PaperLayout) -> None:
        self.layout = layout
        self._buf = bytearray()
        self._align = c.Align.LEFT
        self._bold = False
        self._scale = 1

    # --- state ---------------------------------------------------------------------------------

    def init(self) -> Self:
        """ESC @: a clean printer state, whatever the previous job left behind."""
        self._buf += c.ESC_INIT
        self._align, self._bold, self._scale = c.Align.LEFT, False, 1
        return self

    def align(self, value: c.Align) -> Self:
        if value != self._align:
            self._buf += c.align(value)
            self._align = value
        return self

    def bold(self, on: bool) -> Self:
        if on != self._bold:
            self._buf += c.bold(on)
            self._bold = on
        return self

    def scale(self, factor: int) -> Self:
        """Uniform magnification (GS !): 2 is double width and double height."""
        if factor != self._scale:
            self._buf += c.size(factor, factor)
            self._scale = factor
        return self

    def style(self, *, align: c.Align = c.Align.LEFT, bold: bool = False, scale: int = 1) -> Self:
        return self.align(align).bold(bold).scale(scale)

    @property
    def columns(self) -> int:
        """Half-width columns available at the current magnification."""
        return self.layout.columns // self._scale

    # --- content -------------------------------------------------------------------------------

    def line(self, text: str) -> Self:
        """Print one line that must already fit (longer text is cut with an ellipsis)."""
        text = truncate(sanitize(text), self.columns)
        if text.isascii():
            self._buf += text.encode("ascii") + c.LF
            return self
        encoded = text.encode("gb18030")
        # A four-byte GB18030 character (the encoding is longer than two bytes per wide character)
        # is missing from GBK font ROMs: draw that line.
        if self.layout.chinese_mode is ChineseMode.IMAGE or len(encoded) != display_width(text):
            self._buf += text_raster(text, self.layout.dots, self._scale, self._bold, self._align)
        else:
            self._buf += c.FS_CHINESE_ON + encoded + c.FS_CHINESE_OFF + c.LF
        return self

    def text(self, text: str, first_prefix: str = "", next_prefix: str = "") -> Self:
        """Print text wrapped to the paper width by display width; ``next_prefix`` indents continuations."""
        for part in wrap(text, self.columns, first_prefix, next_prefix):
            self.line(part)
        return self

    def pair(self, label: str, value: str) -> Self:
        """``label`` then ``value``; the value wraps under itself, aligned after the label."""
        indent = " " * display_width(label)
        return self.text(value, first_prefix=label, next_prefix=indent)

    def rule(self, char: str = "-") -> Self:
        """A separator across the paper (ASCII, so it costs no Chinese mode or image)."""
        return self.line(char * self.columns)

    def feed(self, lines: int = 1) -> Self:
        if lines > 0:
            self._buf += c.feed_lines(lines)
        return self

    def qr(self, payload: str, error_correction: c.QrErrorCorrection = c.QrErrorCorrection.M) -> Self:
        """A centred QR code: native GS ( k, or a raster image when the layout says so."""
        before = self._align
        if self.layout.qr_mode is QrMode.NATIVE:
            self.align(c.Align.CENTER)
            self._buf += c.qr(payload.encode("utf-8"), self.layout.qr_module, error_correction)
            self.align(before)
        else:
            self._buf += qr_raster(payload, self.layout.dots, self.layout.qr_module, error_correction)
        return self

    def cut(self, feed: int = 0) -> Self:
        self._buf += c.cut(partial=True, feed=feed)
        return self

    def raw(self, data: bytes) -> Self:
        self._buf += data
        return self

    def build(self) -> bytes:
        return bytes(self._buf)
