"""Screenshots of the screens as PNG files, from demo data or a live hall's views.

Each screen is rendered at its own size inside one Kivy window and exported with
``export_to_png`` (an offscreen framebuffer of the widget's size, so a 4K or portrait shot does not
need a 4K or portrait X screen). Next to each PNG a ``.labels.json`` lists every visible label's
text, box (image pixels, top-left origin) and font size, so tests can find the Chinese on it.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from display.hall_board import HallView
from display.window_board import WindowView

from . import kivy_env

log = logging.getLogger(__name__)

WINDOW_SIZE = (1920, 1080)
SETTLE_S = 0.1  # layout and label textures are made on the next frames
CAPTURE_S = 0.2
WATCHDOG_S = 90.0


@dataclass(frozen=True, slots=True)
class Shot:
    name: str  # file stem
    size: tuple[int, int]
    view: HallView | WindowView


def take(out_dir: Path, shots: list[Shot], now: float) -> list[Path]:
    """Render every shot to ``out_dir/{name}.png`` (and ``.labels.json``); returns the PNG paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    kivy_env.prepare(WINDOW_SIZE, title="hallq screenshots")
    from kivy.base import runTouchApp, stopTouchApp
    from kivy.clock import Clock
    from kivy.uix.floatlayout import FloatLayout

    from .hall_screen import HallScreen
    from .window_screen import WindowScreen

    holder = FloatLayout()
    current: list[Any] = []  # the screen being shot (kept referenced while the Clock works on it)
    pending = list(shots)
    done: list[Path] = []
    failure: list[BaseException] = []

    def next_shot(_dt: float) -> None:
        current.clear()
        if not pending:
            stopTouchApp()
            return
        shot = pending.pop(0)
        screen: Any = HallScreen() if isinstance(shot.view, HallView) else WindowScreen()
        root = screen.root
        root.size_hint = (None, None)
        root.size = shot.size
        root.pos = (0, 0)
        # Not added to the window: the export renders the widget into its own framebuffer, and a
        # 4K tree drawn into the window every frame only burns CPU (llvmpipe under Xvfb).
        current[:] = [root]
        screen.render(shot.view, now)

        def settle(_dt: float) -> None:
            screen.render(shot.view, now)  # again, now that every box has its size
            if isinstance(screen, HallScreen):
                screen.scroll(0.0)

        def capture(_dt: float) -> None:
            # On a busy machine a frame can lag: bring layout, font sizes and textures up to date
            # now, so the picture and its labels.json describe the same thing, then export.
            settle_now(root, lambda: screen.render(shot.view, now))
            Clock.schedule_once(export, 0)

        def export(_dt: float) -> None:
            try:
                path = snapshot(root, out_dir / shot.name)
                done.append(path)
                log.info("screenshot: %s", path)
            except Exception as exc:  # reported after the loop; stop instead of hanging
                failure.append(exc)
                pending.clear()
            Clock.schedule_once(next_shot, 0)

        Clock.schedule_once(settle, SETTLE_S)
        Clock.schedule_once(capture, CAPTURE_S)

    Clock.schedule_once(next_shot, 0)
    Clock.schedule_once(lambda _dt: stopTouchApp(), WATCHDOG_S)
    runTouchApp(holder)
    if failure:
        raise failure[0]
    if len(done) != len(shots):
        raise RuntimeError(f"only {len(done)} of {len(shots)} screenshots were taken")
    return done


def settle_now(root: Any, render: Any) -> None:
    """Run pending layouts (parents first), re-render, and make every label's texture current."""
    from kivy.uix.label import Label
    from kivy.uix.layout import Layout

    for _ in range(2):  # a layout pass can resize boxes whose fonts then change
        for w in root.walk(restrict=True):
            if isinstance(w, Layout):
                w.do_layout()
        render()
    for w in root.walk(restrict=True):
        if isinstance(w, Label):
            w.texture_update()


def snapshot(root: Any, stem: Path) -> Path:
    """Write ``root`` as ``{stem}.png`` and its visible labels as ``{stem}.labels.json``."""
    path = stem.with_name(stem.name + ".png")
    root.export_to_png(str(path))
    body = {"size": [round(root.width), round(root.height)], "labels": visible_labels(root)}
    stem.with_name(stem.name + ".labels.json").write_text(json.dumps(body, ensure_ascii=False, indent=1))
    return path


def visible_labels(root: Any) -> list[dict[str, Any]]:
    from kivy.uix.label import Label

    height = root.height
    out = []
    for w in root.walk(restrict=True):
        if not isinstance(w, Label) or not w.text or w.opacity <= 0 or w.width < 2 or w.height < 2:
            continue
        x, y = w.to_window(w.x, w.y)
        rx, ry = root.to_window(root.x, root.y)
        out.append(
            {
                "text": w.text,
                "box": [round(x - rx), round(height - (y - ry) - w.height), round(w.width), round(w.height)],
                "font_size": round(float(w.font_size), 2),
                "font_name": w.font_name,
                "halign": w.halign,
                "color": [round(c, 3) for c in w.color],
            }
        )
    return out
