"""Paper geometry and how Chinese text and QR codes reach the paper."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class ChineseMode(StrEnum):
    """``native``: FS & + GB18030 bytes, printed from the font ROM. ``image``: lines drawn with Pillow."""

    NATIVE = "native"
    IMAGE = "image"


class QrMode(StrEnum):
    """``native``: GS ( k (about 200 bytes). ``image``: a raster QR (many KB) for printers without it."""

    NATIVE = "native"
    IMAGE = "image"


@dataclass(frozen=True, slots=True)
class PaperLayout:
    """Font A geometry: 12-dot half-width columns, 24-dot Chinese characters, 8 dots per mm."""

    width_mm: int
    columns: int
    dots: int
    chinese_mode: ChineseMode = ChineseMode.NATIVE
    qr_mode: QrMode = QrMode.NATIVE
    qr_module: int = 6

    def __post_init__(self) -> None:
        if self.dots % 8 or self.dots <= 0:
            raise ValueError("printable width must be a positive multiple of 8 dots")
        if self.columns < 16:
            raise ValueError("a layout needs at least 16 columns")
        if not 1 <= self.qr_module <= 16:
            raise ValueError("QR module size is 1..16 dots")

    @classmethod
    def mm58(
        cls, chinese_mode: ChineseMode | str = ChineseMode.NATIVE, qr_mode: QrMode | str = QrMode.NATIVE
    ) -> PaperLayout:
        """58 mm roll: 48 mm printable, 384 dots, 32 columns."""
        return cls(58, 32, 384, ChineseMode(chinese_mode), QrMode(qr_mode), qr_module=5)

    @classmethod
    def mm80(
        cls, chinese_mode: ChineseMode | str = ChineseMode.NATIVE, qr_mode: QrMode | str = QrMode.NATIVE
    ) -> PaperLayout:
        """80 mm roll: 72 mm printable, 576 dots, 48 columns."""
        return cls(80, 48, 576, ChineseMode(chinese_mode), QrMode(qr_mode), qr_module=6)

    @classmethod
    def for_width(
        cls,
        width_mm: Literal[58, 80],
        chinese_mode: ChineseMode | str = ChineseMode.NATIVE,
        qr_mode: QrMode | str = QrMode.NATIVE,
    ) -> PaperLayout:
        if width_mm == 58:
            return cls.mm58(chinese_mode, qr_mode)
        if width_mm == 80:
            return cls.mm80(chinese_mode, qr_mode)
        raise ValueError(f"unsupported paper width {width_mm} mm")
