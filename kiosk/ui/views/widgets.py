"""The drawing primitives every screen uses: a wrapping label, a tagged button, columns, rows, panels.

Every button that does something carries a ``hallq_tag`` (``service:A``, ``take_ticket``, …): the
scripted driver and the end-to-end tests tap buttons by tag, like a finger would, at their centre.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.model import KioskModel
from kiosk.ui.theme import FONT_NAME, RGBA, Theme

Action = Callable[[], None]
Dispatch = Callable[[Action], None]

PAD = 36


class Kit:
    """Builds widgets in one theme; a tapped button's action runs through ``dispatch`` (off the UI thread)."""

    def __init__(self, model: KioskModel, theme: Theme, dispatch: Dispatch) -> None:
        self.model = model
        self.t = theme
        self.dispatch = dispatch

    # --- primitives -------------------------------------------------------------------------------

    def label(
        self,
        text: str,
        size: float = 40,
        *,
        color: RGBA | None = None,
        bold: bool = False,
        halign: str = "left",
        height: float | None = None,
    ) -> Label:
        """A wrapping label whose height follows its text (or a fixed height)."""
        lbl = Label(
            text=text,
            font_name=FONT_NAME,
            font_size=self.t.sp(size),
            color=color or self.t.text,
            bold=bold,
            halign=halign,
            valign="middle",
            size_hint_y=None,
        )
        lbl.bind(width=lambda w, v: setattr(w, "text_size", (v, None)))
        if height is None:
            lbl.bind(texture_size=lambda w, v: setattr(w, "height", v[1] + 12))
        else:
            lbl.height = height * self.t.scale
        return lbl

    def button(
        self,
        text: str,
        action: Action,
        tag: str,
        *,
        size: float = 44,
        height: float = 150,
        bg: RGBA | None = None,
        fg: RGBA | None = None,
        enabled: bool = True,
    ) -> Button:
        btn = Button(
            text=text,
            font_name=FONT_NAME,
            font_size=self.t.sp(size),
            size_hint_y=None,
            height=height * self.t.scale,
            background_normal="",
            background_down="",
            background_color=(bg or self.t.button) if enabled else self.t.closed,
            color=(fg or self.t.button_text) if enabled else self.t.closed_text,
            halign="center",
            valign="middle",
        )
        btn.bind(size=lambda w, v: setattr(w, "text_size", (v[0] - 24, None)))
        btn.hallq_tag = tag
        btn.hallq_enabled = enabled
        if enabled:
            btn.bind(on_release=lambda *_: self.dispatch(action))
        return btn

    def column(self, spacing: float = 20, padding: float | tuple[float, float] = PAD) -> BoxLayout:
        box = BoxLayout(orientation="vertical", spacing=spacing, padding=padding, size_hint_y=None)
        box.bind(minimum_height=box.setter("height"))
        return box

    def scroll(self, content: Widget) -> ScrollView:
        sv = ScrollView(do_scroll_x=False, bar_width=14, scroll_type=["bars", "content"])
        sv.add_widget(content)
        sv.bind(scroll_y=lambda *_: self.model.touch())
        return sv

    def panel(self, widget: Widget, color: RGBA) -> Widget:
        with widget.canvas.before:
            Color(*color)
            rect = Rectangle(pos=widget.pos, size=widget.size)
        widget.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
        return widget

    def row(self, *widgets: Widget, height: float = 150, spacing: float = 20) -> BoxLayout:
        box = BoxLayout(
            orientation="horizontal", spacing=spacing, size_hint_y=None, height=height * self.t.scale
        )
        for w in widgets:
            w.size_hint_y = 1
            box.add_widget(w)
        return box
