"""Does a screenshot show Chinese characters, or tofu boxes? Two independent checks, Pillow only.

1. **Shape match.** The label's ink (pixels unlike its background) is compared with the same text
   drawn by Pillow twice: with the CJK font, and with Roboto (Kivy's default font, which has no CJK
   glyphs and draws boxes). Chinese rendered correctly looks like the first far more than the second.
2. **Distinct glyphs.** CJK characters are full-width, so a label of *n* CJK characters splits
   into *n* equal cells. Tofu makes every cell the same box; real glyphs of different characters
   differ from each other.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFont

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
MASK_SIZE = (240, 48)


def roboto() -> Path:
    spec = importlib.util.find_spec("kivy")  # locate Kivy's bundled font without importing Kivy
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "fonts" / "Roboto-Regular.ttf"


def is_cjk(ch: str) -> bool:
    return 0x4E00 <= ord(ch) <= 0x9FFF


def ink(img: Image.Image, threshold: int = 60) -> Image.Image:
    """Mode "L" mask: 255 where a pixel differs from the region's most common colour (background)."""
    rgb = img.convert("RGB")
    colors = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    assert colors
    bg = max(colors, key=lambda c: c[0])[1]
    assert isinstance(bg, tuple)  # an RGB image's colours are tuples
    diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, bg)).convert("L")
    return diff.point(lambda v: 255 if v > threshold else 0)


def crop_ink(mask: Image.Image) -> Image.Image | None:
    box = mask.getbbox()
    return mask.crop(box) if box else None


def iou(a: Image.Image, b: Image.Image) -> float:
    a1 = a.resize(MASK_SIZE).point(lambda v: 255 if v > 127 else 0)
    b1 = b.resize(MASK_SIZE).point(lambda v: 255 if v > 127 else 0)
    inter = ImageChops.darker(a1, b1).histogram()[255]
    union = ImageChops.lighter(a1, b1).histogram()[255]
    return inter / union if union else 0.0


def render(text: str, font: Path, size: float) -> Image.Image:
    f = ImageFont.truetype(str(font), max(1, round(size)))
    left, top, right, bottom = f.getbbox(text)
    img = Image.new("L", (int(right - left) + 8, int(bottom - top) + 8), 0)
    ImageDraw.Draw(img).text((4 - left, 4 - top), text, font=f, fill=255)
    return img


@dataclass(frozen=True)
class Verdict:
    text: str
    match_cjk: float  # IoU with the text drawn in the CJK font
    match_tofu: float  # IoU with the text drawn in Roboto (boxes)
    max_cell_similarity: float  # the most alike pair of character cells (1.0 = identical)


def judge(shot: Image.Image, label: dict[str, Any]) -> Verdict | None:
    """The verdict on one label of a ``.labels.json``; None if it has no visible ink to judge."""
    x, y, w, h = label["box"]
    region = shot.crop((max(0, x), max(0, y), min(shot.width, x + w), min(shot.height, y + h)))
    got = crop_ink(ink(region))
    if got is None:
        return None
    text = label["text"]
    size = float(label["font_size"])
    want = crop_ink(render(text, CJK_FONT, size).point(lambda v: 255 if v > 100 else 0))
    tofu = crop_ink(render(text, roboto(), size).point(lambda v: 255 if v > 100 else 0))
    assert want is not None
    match_tofu = iou(got, tofu) if tofu is not None else 0.0
    return Verdict(text, iou(got, want), match_tofu, _cell_similarity(got, text))


def _cell_similarity(mask: Image.Image, text: str) -> float:
    """For an all-CJK text: split the ink into one cell per character, return the most similar pair."""
    chars = [c for c in text if not c.isspace()]
    if len(chars) < 2 or not all(is_cjk(c) for c in chars):
        return 0.0
    n = len(chars)
    cell_w = mask.width / n
    cells = [mask.crop((round(i * cell_w), 0, round((i + 1) * cell_w), mask.height)) for i in range(n)]
    best = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            if chars[i] != chars[j]:
                best = max(best, iou(cells[i], cells[j]))
    return best
