"""The image fallback: text and QR codes drawn with Pillow and sent as GS v 0 raster bit images.

For printers without a Chinese font ROM (or a character the ROM lacks). Fonts and whole rendered
lines are cached: a ticket repeats most of its lines (hall name, notices, checklist) from one print
to the next, and drawing a line costs far more than copying its bytes.
"""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from devices.escpos.commands import Align, QrErrorCorrection, raster

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
# Index 1 is WenQuanYi Micro Hei Mono: Latin glyphs half as wide as Chinese ones, like a printer ROM.
FONT_INDEX = 1
# A Chinese character of printer font A is 24x24 dots; draw at the same size so both modes look alike.
CELL_DOTS = 24

# Threshold anti-aliased grey to 1-bit without dithering: dithered text looks fuzzy on thermal paper.
_THRESHOLD = [0] * 128 + [255] * 128


@lru_cache(maxsize=8)
def _font(pixels: int) -> ImageFont.FreeTypeFont:
    # BASIC layout: Chinese needs no shaping, it is faster than raqm, and raqm fails on some code points.
    return ImageFont.truetype(FONT_PATH, pixels, index=FONT_INDEX, layout_engine=ImageFont.Layout.BASIC)


def _x_for(align: Align, content_width: int, dots: int) -> int:
    if align is Align.CENTER:
        return (dots - content_width) // 2
    if align is Align.RIGHT:
        return dots - content_width
    return 0


@lru_cache(maxsize=2048)
def text_raster(text: str, dots: int, scale: int = 1, bold: bool = False, align: Align = Align.LEFT) -> bytes:
    """One printed line as a GS v 0 command ``dots`` wide; squeezed horizontally if it would overflow."""
    font = _font(CELL_DOTS * scale)
    ascent, descent = font.getmetrics()
    height = ascent + descent + scale
    width = max(1, int(font.getlength(text)) + (scale if bold else 0))
    line = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(line)
    draw.text((0, 0), text, fill=255, font=font)
    if bold:
        # Emphasis the way a printer does it: strike the line again shifted by a dot.
        draw.text((scale, 0), text, fill=255, font=font)
    if width > dots:
        line = line.resize((dots, height), Image.Resampling.BILINEAR)
        width = dots
    canvas = Image.new("1", (dots, height), 0)
    canvas.paste(line.point(_THRESHOLD, "1"), (_x_for(align, width, dots), 0))
    return raster(dots // 8, height, canvas.tobytes())


@lru_cache(maxsize=256)
def qr_raster(
    payload: str,
    dots: int,
    module: int,
    error_correction: QrErrorCorrection = QrErrorCorrection.M,
    align: Align = Align.CENTER,
) -> bytes:
    """A QR code as a raster image, for printers without native GS ( k support."""
    import qrcode

    levels = {
        QrErrorCorrection.L: qrcode.constants.ERROR_CORRECT_L,
        QrErrorCorrection.M: qrcode.constants.ERROR_CORRECT_M,
        QrErrorCorrection.Q: qrcode.constants.ERROR_CORRECT_Q,
        QrErrorCorrection.H: qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(error_correction=levels[error_correction], border=4)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    side = len(matrix)
    while module > 1 and side * module > dots:
        module -= 1
    small = Image.new("1", (side, side), 0)
    small.putdata([255 if dark else 0 for row in matrix for dark in row])
    big = small.resize((side * module, side * module), Image.Resampling.NEAREST)
    canvas = Image.new("1", (dots, side * module), 0)
    canvas.paste(big, (_x_for(align, side * module, dots), 0))
    return raster(dots // 8, side * module, canvas.tobytes())


def clear_caches() -> None:
    """Forget fonts and drawn lines (benchmarks measure a cold start with it)."""
    _font.cache_clear()
    text_raster.cache_clear()
    qr_raster.cache_clear()
