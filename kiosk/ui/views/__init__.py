"""One drawing function per screen value: widgets in, no decisions (the model made them all).

:class:`Painter` draws the frame (header, body, footer) and hands the body to the drawing of its
screen, grouped by flow: ``home``, ``matter``, ``ticket`` (with the out-of-service cover),
``checkin`` and ``capture`` (the document camera); ``widgets`` holds the primitives they share
(every tappable button carries a ``hallq_tag`` the scripted driver and the end-to-end tests tap by).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.model import KioskModel
from kiosk.screens import (
    CaptureScreen,
    CheckinLateScreen,
    CheckinScreen,
    GuideDeskScreen,
    HomeScreen,
    IssuingScreen,
    MaterialsScreen,
    MatterScreen,
    MissingScreen,
    NoticePrintedScreen,
    OptionsScreen,
    OutOfServiceScreen,
    PickScreen,
    RefusedScreen,
    Screen,
    ServiceScreen,
    TicketScreen,
)
from kiosk.ui.theme import Theme

from .capture import CaptureViews
from .checkin import CheckinViews
from .home import HomeViews
from .matter import MatterViews
from .ticket import TicketViews
from .widgets import PAD, Action, Dispatch, Kit

__all__ = ["Action", "Dispatch", "Painter"]


class Painter(Kit):
    """Builds the widgets of one screen in one theme."""

    def __init__(self, model: KioskModel, theme: Theme, dispatch: Dispatch) -> None:
        super().__init__(model, theme, dispatch)
        home = HomeViews(model, theme, dispatch)
        matter = MatterViews(model, theme, dispatch)
        ticket = TicketViews(model, theme, dispatch)
        checkin = CheckinViews(model, theme, dispatch)
        capture = CaptureViews(model, theme, dispatch)
        self._draw: dict[type[Any], Callable[[Any], Widget]] = {
            HomeScreen: home.home,
            ServiceScreen: home.service,
            PickScreen: home.pick,
            MatterScreen: matter.matter,
            MaterialsScreen: matter.materials,
            MissingScreen: matter.missing,
            NoticePrintedScreen: matter.notice_printed,
            OptionsScreen: ticket.options,
            IssuingScreen: ticket.issuing,
            TicketScreen: ticket.ticket,
            RefusedScreen: ticket.refused,
            GuideDeskScreen: ticket.guide_desk,
            CheckinScreen: checkin.checkin,
            CheckinLateScreen: checkin.checkin_late,
            CaptureScreen: capture.capture,
            OutOfServiceScreen: ticket.out_of_service,
        }

    # --- frame: header, body, footer ------------------------------------------------------------

    def frame(self, screen: Screen, hall_name: str) -> Widget:
        root = BoxLayout(orientation="vertical")
        self.panel(root, self.t.background)
        root.add_widget(self.header(hall_name))
        body = self.body(screen)
        root.add_widget(body)
        if not isinstance(screen, HomeScreen | OutOfServiceScreen | IssuingScreen):
            footer = BoxLayout(size_hint_y=None, height=170 * self.t.scale, padding=(PAD, 10))
            footer.add_widget(
                self.button(
                    "返回首页", self.model.home, "home", bg=self.t.muted, fg=self.t.background, height=140
                )
            )
            root.add_widget(footer)
        return root

    def header(self, hall_name: str) -> Widget:
        bar = BoxLayout(size_hint_y=None, height=170 * self.t.scale, padding=(PAD, 16), spacing=16)
        self.panel(bar, self.t.header)
        bar.add_widget(self.label(hall_name, 46, color=self.t.header_text, bold=True, height=130))
        elderly = "标准模式" if self.model.elderly else "长辈模式"
        voice = "关闭语音" if self.model.voice_on else "语音提示"
        for text, action, tag, bg, fg in (
            (elderly, self.model.toggle_elderly, "elderly", self.t.selected, (0.0, 0.0, 0.0, 1.0)),
            (voice, self.model.toggle_voice, "voice", self.t.header_text, self.t.header),
        ):
            btn = self.button(text, action, tag, size=36, height=130, bg=bg, fg=fg)
            btn.size_hint_x = None
            btn.width = 220 * self.t.scale
            bar.add_widget(btn)
        return bar

    def body(self, screen: Screen) -> Widget:
        return self._draw[type(screen)](screen)
