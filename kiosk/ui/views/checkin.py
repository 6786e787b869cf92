"""Appointment check-in: the code keypad, and the walk-in offer after a late one."""

from __future__ import annotations

from functools import partial

from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.screens import CheckinLateScreen, CheckinScreen

from .widgets import Kit


class CheckinViews(Kit):
    """The check-in screens."""

    def checkin(self, s: CheckinScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label("预约签到", 56, bold=True))
        col.add_widget(
            self.label(
                "请扫描预约短信或二维码，或输入预约码（如 YY20250306）；也可刷身份证签到",
                36,
                color=self.t.muted,
            )
        )
        col.add_widget(self.label(s.code or "　", 80, halign="center", bold=True, height=130))
        if s.message:
            col.add_widget(self.label(s.message, 38, color=self.t.warning))
        keys = GridLayout(cols=4, spacing=12, size_hint_y=None)
        keys.bind(minimum_height=keys.setter("height"))
        for ch in ["1", "2", "3", "Y", "4", "5", "6", "0", "7", "8", "9"]:
            keys.add_widget(
                self.button(ch, partial(self.model.checkin_key, ch), f"code:{ch}", size=56, height=130)
            )
        keys.add_widget(
            self.button(
                "删除",
                self.model.checkin_backspace,
                "code:back",
                size=44,
                height=130,
                bg=self.t.muted,
                fg=self.t.background,
            )
        )
        col.add_widget(keys)
        col.add_widget(
            self.button(
                "确认签到",
                self.model.submit_checkin,
                "submit_checkin",
                size=52,
                height=170,
                bg=self.t.primary,
                fg=self.t.primary_text,
            )
        )
        return self.scroll(col)

    def checkin_late(self, s: CheckinLateScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label("已超过预约签到时间", 60, bold=True, color=self.t.warning))
        col.add_widget(self.label(s.message, 44))
        col.add_widget(
            self.button("现场取号", self.model.walk_in, "walk_in", bg=self.t.primary, fg=self.t.primary_text)
        )
        return self.scroll(col)
