"""Colours, font sizes and the CJK font: the normal look and the elderly-friendly one (适老化)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FONT_NAME = "CJK"

RGBA = tuple[float, float, float, float]


def _hex(value: str) -> RGBA:
    value = value.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, 1.0)


@dataclass(frozen=True, slots=True)
class Theme:
    background: RGBA
    header: RGBA
    header_text: RGBA
    text: RGBA
    muted: RGBA
    button: RGBA
    button_text: RGBA
    primary: RGBA
    primary_text: RGBA
    closed: RGBA
    closed_text: RGBA
    selected: RGBA
    warning: RGBA
    scale: float

    def sp(self, size: float) -> float:
        """A font size in pixels at this theme's scale (the screen is fixed 1080 px wide)."""
        return size * self.scale


NORMAL = Theme(
    background=_hex("#f4f6fa"),
    header=_hex("#b3261e"),
    header_text=_hex("#ffffff"),
    text=_hex("#1b1f24"),
    muted=_hex("#5a6270"),
    button=_hex("#1d5fbf"),
    button_text=_hex("#ffffff"),
    primary=_hex("#0b8a42"),
    primary_text=_hex("#ffffff"),
    closed=_hex("#c9ced6"),
    closed_text=_hex("#3c424c"),
    selected=_hex("#e3a008"),
    warning=_hex("#b3261e"),
    scale=1.0,
)

# High contrast (black, white, yellow) and 1.35x type: readable at arm's length with weak eyes.
ELDERLY = Theme(
    background=_hex("#000000"),
    header=_hex("#000000"),
    header_text=_hex("#ffeb3b"),
    text=_hex("#ffffff"),
    muted=_hex("#ffeb3b"),
    button=_hex("#ffeb3b"),
    button_text=_hex("#000000"),
    primary=_hex("#00e676"),
    primary_text=_hex("#000000"),
    closed=_hex("#424242"),
    closed_text=_hex("#ffffff"),
    selected=_hex("#ff9100"),
    warning=_hex("#ff5252"),
    scale=1.35,
)


def register_fonts() -> None:
    """Register the CJK font under its own name and as Kivy's default, so no widget draws boxes."""
    from kivy.core.text import LabelBase

    if not CJK_FONT.exists():
        raise FileNotFoundError(f"CJK font missing: {CJK_FONT} (apt-get install fonts-wqy-microhei)")
    LabelBase.register(name=FONT_NAME, fn_regular=str(CJK_FONT))
    # Widgets that are not given a font (TextInput, popups) fall back to "Roboto": make that CJK too.
    LabelBase.register(name="Roboto", fn_regular=str(CJK_FONT), fn_bold=str(CJK_FONT))
