"""The Kivy app: draws the model's screen on a 1080×1920 portrait touch screen, on the main thread only.

The model tells listeners from any thread (paho's, the workers'); the app hops to the Kivy main thread
with ``@mainthread`` before it touches a widget. Taps run their model action on the citizen worker,
so a slow printer or broker never freezes the screen.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")

from kivy.config import Config

Config.set("graphics", "width", "1080")
Config.set("graphics", "height", "1920")
Config.set("graphics", "resizable", "0")
Config.set("input", "mouse", "mouse,disable_multitouch")
Config.set("kivy", "exit_on_escape", "0")

from kivy.app import App  # noqa: E402
from kivy.clock import Clock, mainthread  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402

from kiosk.model import KioskModel  # noqa: E402
from kiosk.screens import Screen  # noqa: E402

from .theme import ELDERLY, NORMAL, register_fonts  # noqa: E402
from .views import Action, Painter  # noqa: E402

log = logging.getLogger(__name__)


class KioskApp(App):
    """The window. ``dispatch`` runs a tap's action off the main thread (the runtime's citizen worker)."""

    title = "hallq 自助取号机"

    def __init__(
        self,
        model: KioskModel,
        dispatch: Callable[[Action], None],
        on_started: Callable[[KioskApp], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.model = model
        self._run = dispatch
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._on_started = on_started
        self._drawn: tuple[Screen, bool, bool] | None = None
        self._undo: Callable[[], None] | None = None
        self.root_box: FloatLayout | None = None
        self.redraws = 0

    def build(self) -> FloatLayout:
        register_fonts()
        Window.clearcolor = NORMAL.background
        self.root_box = FloatLayout()
        self.root_box.bind(on_touch_down=lambda *_: self.model.touch())
        self._undo = self.model.on_change(self.schedule_redraw)
        Clock.schedule_interval(lambda _dt: self.model.tick(), 1.0)
        self.redraw()
        return self.root_box

    def on_start(self) -> None:
        if self._on_started is not None:
            self._on_started(self)

    def on_stop(self) -> None:
        if self._undo is not None:
            self._undo()

    @mainthread
    def schedule_redraw(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Rebuild the widgets when what is shown changed (screen value, elderly mode, voice toggle)."""
        if self.root_box is None:
            return
        key = (self.model.screen, self.model.elderly, self.model.voice_on)
        if key == self._drawn:
            return
        self._drawn = key
        theme = ELDERLY if self.model.elderly else NORMAL
        Window.clearcolor = theme.background
        painter = Painter(self.model, theme, self.run_action)
        self.root_box.clear_widgets()
        self.root_box.add_widget(painter.frame(key[0], self._hall_name(key[0])))
        self.redraws += 1

    def run_action(self, action: Action) -> None:
        """Run a tap's action on the worker; ``settled`` says when every tapped action has run."""
        with self._pending_lock:
            self._pending += 1

        def job() -> None:
            try:
                action()
            finally:
                with self._pending_lock:
                    self._pending -= 1
                self.schedule_redraw()

        self._run(job)

    @property
    def settled(self) -> bool:
        """No tapped action waiting or running, and the screen drawn is the model's current one."""
        with self._pending_lock:
            idle = self._pending == 0
        return idle and self._drawn is not None and self._drawn[0] == self.model.screen

    def _hall_name(self, screen: Screen) -> str:
        return str(getattr(screen, "hall_name", "") or self.model.hall_name)
