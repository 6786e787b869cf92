"""A scripted finger inside the app process: taps buttons by tag, waits for screens, takes screenshots.

Used by ``hallq kiosk --screenshot DIR`` and by the end-to-end tests (``--drive SCRIPT``). A tap is a
real touch (``UnitTestTouch`` down and up at the button's centre, through Kivy's input dispatch), so
a button that is covered, disabled or off-screen fails the script as it would fail a citizen.

Script: a JSON list of steps, each one object with one key:

- ``{"tap": "service:A"}`` — tap the button with that ``hallq_tag`` (scrolled into view first)
- ``{"wait": "materials"}`` — wait until the model shows that view (see ``kiosk.screens.View``)
- ``{"matter": "A01"}`` — wait until the catalog (it arrives over MQTT after start) knows that matter
- ``{"shot": "home"}`` — save ``DIR/home.png`` (real framebuffer) and check its Chinese glyphs
- ``{"printer": "paper_out"}`` — set the simulated printer's state (``--simulate-devices`` only)
- ``{"scan": "YY20250306"}`` — the simulated scanner reads this text
- ``{"card": "110101196003070026"}`` — a card with this ID number on the simulated ID card reader
  (``{"card": null}`` takes it away)
- ``{"preview": true}`` — wait until the document camera's page is shown for confirmation
- ``{"sleep": 0.5}`` — let time pass
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.tests.common import UnitTestTouch
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from devices.simulators import SimulatedPrinterState, sample_card

from .app import KioskApp

log = logging.getLogger(__name__)

STEP_TIMEOUT_S = 15.0
_CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
_MARKUP = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]")
# A codepoint no CJK font maps: whatever it draws is the font's "missing glyph" (tofu) box.
MISSING_PROBE = "\ue000"

SCREENSHOT_SCRIPT: list[dict[str, Any]] = [
    {"wait": "home"},
    {"matter": "A-001"},
    {"sleep": 0.5},
    {"shot": "home"},
    {"tap": "service:A"},
    {"wait": "service"},
    {"tap": "matter:A-001"},
    {"wait": "matter"},
    {"shot": "matter"},
    {"tap": "start_materials"},
    {"wait": "materials"},
    {"tap": "material:ID"},
    {"tap": "material:HUKOU"},
    {"shot": "materials"},
    {"tap": "materials_done"},
    {"wait": "missing"},
    {"tap": "queue_anyway"},
    {"wait": "options"},
    {"tap": "priority:pregnant"},
    {"tap": "take_ticket"},
    {"wait": "ticket"},
    {"shot": "ticket"},
    {"tap": "home"},
    {"wait": "home"},
    {"tap": "elderly"},
    {"sleep": 0.3},
    {"shot": "home_elderly"},
    {"tap": "elderly"},
    {"printer": "paper_out"},
    {"wait": "out_of_service"},
    {"shot": "out_of_service"},
    {"printer": "ok"},
    {"wait": "home"},
]


# With a document camera (``--camera`` or ``--camera-folder``): a matter's two materials photographed,
# the first with a retake, up to the ticket options.
CAPTURE_SCRIPT: list[dict[str, Any]] = [
    {"wait": "home"},
    {"matter": "A-001"},
    {"tap": "service:A"},
    {"wait": "service"},
    {"tap": "matter:A-001"},
    {"wait": "matter"},
    {"tap": "start_materials"},
    {"wait": "materials"},
    {"tap": "material:ID"},
    {"tap": "material:HUKOU"},
    {"tap": "materials_done"},
    {"wait": "missing"},
    {"tap": "queue_anyway"},
    {"wait": "capture"},
    {"shot": "capture_place"},
    {"tap": "capture_page"},
    {"preview": True},
    {"shot": "capture_confirm"},
    {"tap": "retake_page"},
    {"preview": True},
    {"tap": "confirm_page"},
    {"shot": "capture_saved"},
    {"tap": "next_material"},
    {"wait": "capture"},
    {"tap": "capture_page"},
    {"preview": True},
    {"tap": "confirm_page"},
    {"tap": "next_material"},
    {"wait": "options"},
    {"shot": "capture_options"},
]


@dataclass
class GlyphReport:
    """Which CJK characters the screen's labels draw, and which of them came out as the tofu box."""

    checked: int = 0
    tofu: list[str] = field(default_factory=list)
    fonts: set[str] = field(default_factory=set)


@dataclass
class DriveReport:
    ok: bool = False
    error: str = ""
    steps_done: int = 0
    views: list[str] = field(default_factory=list)
    shots: dict[str, str] = field(default_factory=dict)
    glyphs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tickets: list[str] = field(default_factory=list)
    ticket_printed: list[bool] = field(default_factory=list)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=2))


def walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        yield from walk(child)


def find_tag(root: Widget, tag: str) -> Widget | None:
    return next((w for w in walk(root) if getattr(w, "hallq_tag", None) == tag), None)


def glyph_report(root: Widget, probe_font: str | None = None) -> GlyphReport:
    """Render every CJK character on screen with the font its label uses; compare with the tofu box.

    ``probe_font`` overrides the font (a negative control: Kivy's own Roboto must fail this check).
    """
    report = GlyphReport()
    cache: dict[tuple[str, str], bytes] = {}

    def pixels(text: str, font: str) -> bytes:
        key = (text, font)
        if key not in cache:
            core = CoreLabel(text=text, font_name=font, font_size=48)
            core.refresh()
            cache[key] = bytes(core.texture.pixels)
        return cache[key]

    seen: set[tuple[str, str]] = set()
    for widget in walk(root):
        if not isinstance(widget, Label):
            continue
        font = probe_font or widget.font_name
        report.fonts.add(str(font))
        for ch in set(_CJK.findall(_MARKUP.sub("", widget.text))):
            if (ch, font) in seen:
                continue
            seen.add((ch, font))
            report.checked += 1
            if pixels(ch, font) == pixels(MISSING_PROBE, font):
                report.tofu.append(ch)
    return report


class Driver:
    """Runs a script step by step on the Kivy clock; writes the report and stops the app at the end."""

    def __init__(
        self,
        app: KioskApp,
        script: list[dict[str, Any]],
        *,
        shots_dir: Path | None,
        report_path: Path | None,
        devices: Any = None,
    ) -> None:
        self.app = app
        self.script = script
        self.shots_dir = shots_dir
        self.report_path = report_path
        self.devices = devices
        self.report = DriveReport()
        self._index = 0
        self._deadline = 0.0
        self._tap_phase = 0
        self._seen_ticket: object = None
        self._sleep_until = 0.0
        self._touch: UnitTestTouch | None = None

    def start(self) -> None:
        if self.shots_dir is not None:
            self.shots_dir.mkdir(parents=True, exist_ok=True)
        self._deadline = time.monotonic() + STEP_TIMEOUT_S
        Clock.schedule_once(self._step, 0.2)

    # --- the loop -----------------------------------------------------------------------------------

    def _step(self, _dt: float) -> None:
        self._note_view()
        if self._index >= len(self.script):
            self._finish(ok=True)
            return
        step = self.script[self._index]
        try:
            done = self._run(step)
        except Exception as exc:
            log.exception("driver step %s failed", step)
            self._finish(ok=False, error=f"step {self._index} {step}: {exc}")
            return
        if done:
            self._index += 1
            self.report.steps_done = self._index
            self._deadline = time.monotonic() + STEP_TIMEOUT_S
            self._tap_phase = 0
            Clock.schedule_once(self._step, 0.03)
        elif time.monotonic() > self._deadline:
            self._finish(ok=False, error=f"step {self._index} {step}: timed out; view {self._view()}")
        else:
            Clock.schedule_once(self._step, 0.03)

    def _run(self, step: dict[str, Any]) -> bool:
        ((kind, arg),) = step.items()
        if kind == "wait":
            return self.app.settled and self._view() == arg
        if kind == "preview":  # the document camera's page is on screen for confirmation
            return self.app.settled and getattr(self.app.model.screen, "preview", None) is not None
        if kind == "matter":
            return self.app.model.catalog.matter(str(arg)) is not None
        if kind == "sleep":
            if self._tap_phase == 0:
                self._tap_phase = 1
                self._sleep_until = time.monotonic() + float(arg)
            return time.monotonic() >= self._sleep_until
        if kind == "tap":
            return self._tap(str(arg))
        if kind == "shot":
            self._shot(str(arg))
            return True
        if kind == "printer":
            self._printer().state = SimulatedPrinterState(arg)
            self.app.model.refresh_printer()
            return True
        if kind in ("scan", "card"):
            return self._device_step(kind, arg)
        raise ValueError(f"unknown step {kind!r}")

    def _device_step(self, kind: str, arg: Any) -> bool:
        if self.devices is None:
            raise RuntimeError(f"{kind} needs --simulate-devices")
        if kind == "scan":
            self.devices.scanner.scan(str(arg))
        elif arg is None:
            self.devices.id_reader.remove()
        else:
            self.devices.id_reader.place(sample_card(str(arg)))
        return True

    def _tap(self, tag: str) -> bool:
        """Phases: find (and scroll into view) → touch down → touch up → wait for the action to land."""
        root = self.app.root_box
        assert root is not None
        if self._tap_phase == 0:
            if not self.app.settled:
                return False  # the previous tap's action or redraw is still under way
            widget = find_tag(root, tag)
            if widget is None:
                return False
            if not getattr(widget, "hallq_enabled", True):
                raise RuntimeError(f"button {tag} is disabled")
            scroller = next((p for p in _parents(widget) if isinstance(p, ScrollView)), None)
            if scroller is not None and scroller.children and scroller.children[0].height > scroller.height:
                scroller.scroll_to(widget, padding=40, animate=False)
                self._tap_phase = 1
                return False  # let the scroll move the button before touching it
            self._tap_phase = 1
        if self._tap_phase == 1:
            widget = find_tag(root, tag)
            if widget is None:
                raise RuntimeError(f"button {tag} vanished before the tap")
            x, y = widget.to_window(*widget.center)
            self._touch = UnitTestTouch(x, y)
            self._touch.touch_down()
            self._tap_phase = 2
            return False
        if self._tap_phase == 2:
            if self._touch is not None:
                self._touch.touch_up()
            self._tap_phase = 3
            return False
        if self._tap_phase == 3:
            self._tap_phase = 4  # one more frame: Kivy's input loop delivers the release
            return False
        return self.app.settled  # the tap's action ran and its screen is drawn

    def _shot(self, name: str) -> None:
        if self.shots_dir is None:
            return
        root = self.app.root_box
        assert root is not None
        glyphs = glyph_report(root)
        control = glyph_report(root, probe_font="data/fonts/Roboto-Regular.ttf")
        written = Path(Window.screenshot(name=str(self.shots_dir / f"{name}.png")))
        target = self.shots_dir / f"{name}.png"
        written.replace(target)
        self.report.shots[name] = str(target)
        self.report.glyphs[name] = {
            "checked": glyphs.checked,
            "tofu": glyphs.tofu,
            "fonts": sorted(glyphs.fonts),
            "control_checked": control.checked,
            "control_tofu": len(control.tofu),
        }

    def _note_view(self) -> None:
        screen = self.app.model.screen
        view = screen.view.value
        if not self.report.views or self.report.views[-1] != view:
            self.report.views.append(view)
        ticket = getattr(screen, "ticket", None)
        if ticket is not None and screen is not self._seen_ticket:
            self._seen_ticket = screen
            self.report.tickets.append(ticket.number)
            self.report.ticket_printed.append(bool(getattr(screen, "printed", False)))

    def _view(self) -> str:
        return self.app.model.screen.view.value

    def _printer(self) -> Any:
        if self.devices is None:
            raise RuntimeError("printer states need --simulate-devices")
        return self.devices.printer

    def _finish(self, *, ok: bool, error: str = "") -> None:
        self.report.ok = ok
        self.report.error = error
        if self.report_path is not None:
            self.report.write(self.report_path)
        if not ok:
            log.error("driver: %s", error)
        self.app.stop()


def _parents(widget: Widget) -> Iterator[Widget]:
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        yield parent
        parent = parent.parent
