"""Kivy set-up, done once before any Kivy widget is imported, and the small widget helpers.

- Kivy reads ``sys.argv`` and writes log files unless told otherwise; hallq owns both.
- Chinese needs a CJK font: WenQuanYi Micro Hei is registered as ``CJK`` *and* made Kivy's default
  font, so even a label someone forgets to give ``font_name`` draws 汉字, not boxes (Roboto, Kivy's
  default, has no CJK glyphs).
- Widgets are composed, not subclassed: the screens are plain classes holding Kivy widgets.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
CJK = "CJK"

_prepared = False


class NoCjkFontError(RuntimeError):
    """No CJK font on this machine: the screens would draw boxes instead of Chinese."""


def cjk_font() -> Path:
    env = os.environ.get("HALLQ_CJK_FONT")
    for path in ((Path(env),) if env else ()) + CJK_FONT_CANDIDATES:
        if path.is_file():
            return path
    raise NoCjkFontError("no CJK font found: install fonts-wqy-microhei (or set HALLQ_CJK_FONT)")


def prepare(size: tuple[int, int], *, fullscreen: bool = False, title: str = "hallq") -> None:
    """Configure Kivy for a display window of ``size``; must run before kivy.core.window is imported."""
    global _prepared
    if _prepared:
        return
    font = str(cjk_font())
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our argv is argparse's, not Kivy's
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through logging, leaves root alone
    from kivy.config import Config

    Config.set("kivy", "default_font", [CJK, font, font, font, font])
    Config.set("kivy", "exit_on_escape", "1")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "show_cursor", "0" if fullscreen else "1")
    Config.set("graphics", "resizable", "1")
    from kivy.core.text import LabelBase

    LabelBase.register(name=CJK, fn_regular=font)
    from kivy.core.window import Window

    Window.set_title(title)
    _prepared = True


# --- colours (RGBA 0..1) ------------------------------------------------------------------------


def rgba(hex_: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    h = hex_.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


BG = rgba("#0b1f3a")
PANEL = rgba("#13315c")
PANEL_DARK = rgba("#0e2747")
TEXT = rgba("#ffffff")
MUTED = rgba("#9fb3c8")
GOLD = rgba("#ffd23f")
RED = rgba("#c62828")
GREEN = rgba("#2e7d32")
ORANGE = rgba("#ef6c00")
GREY = rgba("#546e7a")
BLUE = rgba("#1565c0")


# --- widget helpers -----------------------------------------------------------------------------


def paint(widget: Any, color: tuple[float, float, float, float]) -> Any:
    """Give ``widget`` a background rectangle; returns its Color instruction (to recolour later)."""
    from kivy.graphics import Color, Rectangle

    with widget.canvas.before:
        instr = Color(*color)
        rect = Rectangle(pos=widget.pos, size=widget.size)

    def follow(*_: Any) -> None:
        rect.pos, rect.size = widget.pos, widget.size

    widget.bind(pos=follow, size=follow)
    return instr


def label(text: str = "", *, halign: str = "center", color: tuple[float, ...] = TEXT, **kw: Any) -> Any:
    """A one-line CJK label whose text is aligned inside its own box and shortened if too long."""
    from kivy.uix.label import Label

    lbl = Label(
        text=text,
        font_name=CJK,
        halign=halign,
        valign="middle",
        color=color,
        shorten=True,
        shorten_from="right",
        max_lines=1,
        **kw,
    )
    lbl.bind(size=lambda w, s: setattr(w, "text_size", s))
    return lbl


def set_text(lbl: Any, value: str) -> None:
    if lbl.text != value:
        lbl.text = value


def text_ems(text: str) -> float:
    """Approximate width of ``text`` in ems: CJK and full-width characters 1, the rest about 0.6."""
    return sum(0.6 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def fit_font(lbl: Any, *, height_share: float, min_ems: float = 1.0, max_size: float = 1e9) -> None:
    """Font size from the label's own box: a share of its height, smaller if the text would not fit."""
    w, h = lbl.size
    ems = max(text_ems(lbl.text) * 1.08, min_ems)
    size = max(8.0, min(h * height_share, w / ems, max_size))
    if abs(lbl.font_size - size) > 0.5:
        lbl.font_size = size


def fit_group(labels: list[Any], *, height_share: float, min_ems: float = 1.0, max_size: float = 1e9) -> None:
    """One font size for a group of labels (a list reads badly in mixed sizes): the smallest fit."""
    sizes = []
    for lbl in labels:
        w, h = lbl.size
        ems = max(text_ems(lbl.text) * 1.08, min_ems)
        sizes.append(max(8.0, min(h * height_share, w / ems, max_size)))
    if sizes:
        size = min(sizes)
        for lbl in labels:
            if abs(lbl.font_size - size) > 0.5:
                lbl.font_size = size


def every(seconds: float, fn: Callable[[float], None]) -> Any:
    from kivy.clock import Clock

    return Clock.schedule_interval(fn, seconds)
