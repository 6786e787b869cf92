"""The priority options, the ticket being issued and what it led to, and the out-of-service cover."""

from __future__ import annotations

from functools import partial

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.screens import (
    GuideDeskScreen,
    IssuingScreen,
    OptionsScreen,
    OutOfServiceScreen,
    RefusedScreen,
    TicketScreen,
)

from .widgets import PAD, Kit


class TicketViews(Kit):
    """The screens of a ticket: options, issuing, the result, and the out-of-service cover."""

    def options(self, s: OptionsScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label(f"取号：{s.target_name}", 50, bold=True))
        id_text = (
            "已读取身份证" if s.id_read else "需要优先办理或按身份证取号，请将身份证放在读卡区（可跳过）"
        )
        col.add_widget(self.label(id_text, 36, color=self.t.muted))
        if s.message:
            col.add_widget(self.label(s.message, 36, color=self.t.primary))
        col.add_widget(self.label("优先办理（需在窗口出示证件确认）：", 38))
        grid = GridLayout(cols=2, spacing=16, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for choice in s.choices:
            grid.add_widget(
                self.button(
                    ("√ " if choice.selected else "") + choice.label,
                    partial(self.model.choose_priority, choice.code),
                    f"priority:{choice.code}",
                    size=38,
                    height=120,
                    bg=self.t.selected if choice.selected else self.t.header_text,
                    fg=(0, 0, 0, 1) if choice.selected else self.t.text,
                )
            )
        col.add_widget(grid)
        if s.confirm_note:
            col.add_widget(self.label(s.confirm_note, 36, color=self.t.warning))
        col.add_widget(
            self.button(
                "确认取号",
                self.model.take_ticket,
                "take_ticket",
                size=56,
                height=190,
                bg=self.t.primary,
                fg=self.t.primary_text,
            )
        )
        return self.scroll(col)

    def issuing(self, s: IssuingScreen) -> Widget:
        col = BoxLayout(orientation="vertical", padding=PAD * 2, spacing=30)
        col.add_widget(Widget())
        col.add_widget(self.label(s.target_name, 48, halign="center", bold=True))
        col.add_widget(self.label(s.message or "正在处理，请稍候…", 60, halign="center"))
        col.add_widget(Widget())
        return col

    def ticket(self, s: TicketScreen) -> Widget:
        t = s.ticket
        col = self.column(spacing=16)
        col.add_widget(self.label("您的号码", 44, halign="center", color=self.t.muted))
        col.add_widget(self.label(t.number, 200, halign="center", bold=True, color=self.t.warning))
        col.add_widget(
            self.label(t.service_name + (f" · {t.matter_name}" if t.matter_name else ""), 40, halign="center")
        )
        col.add_widget(self.label(f"前面还有 {t.people_ahead} 人", 56, halign="center", bold=True))
        if t.eta_min is not None:
            col.add_widget(self.label(f"预计等候约 {t.eta_min} 分钟", 44, halign="center"))
        if t.priority_label:
            col.add_widget(self.label(f"优先：{t.priority_label}", 40, halign="center", color=self.t.primary))
        if s.confirm_note:
            col.add_widget(self.label(s.confirm_note, 36, halign="center", color=self.t.warning))
        col.add_widget(
            self.label(s.message, 42, halign="center", color=self.t.primary if s.printed else self.t.warning)
        )
        checked = [m for m in t.materials if m.checked]
        if t.materials:
            col.add_widget(
                self.label(
                    f"已核对材料 {len(checked)}/{len(t.materials)} 项，已随号票转至窗口",
                    34,
                    halign="center",
                    color=self.t.muted,
                )
            )
        return self.scroll(col)

    def refused(self, s: RefusedScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label(s.title, 60, bold=True, color=self.t.warning, halign="center"))
        col.add_widget(self.label(s.message, 44, halign="center"))
        return self.scroll(col)

    def guide_desk(self, s: GuideDeskScreen) -> Widget:
        col = BoxLayout(orientation="vertical", padding=PAD * 2, spacing=30)
        col.add_widget(Widget())
        col.add_widget(self.label("请到导办台咨询", 96, halign="center", bold=True, color=self.t.warning))
        col.add_widget(self.label(s.message, 44, halign="center"))
        col.add_widget(self.label("本次没有出号，无需重复取号。", 38, halign="center", color=self.t.muted))
        col.add_widget(Widget())
        return col

    def out_of_service(self, s: OutOfServiceScreen) -> Widget:
        col = BoxLayout(orientation="vertical", padding=PAD * 2, spacing=30)
        col.add_widget(Widget())
        col.add_widget(self.label("本机暂停服务", 110, halign="center", bold=True, color=self.t.warning))
        col.add_widget(self.label("请到导办台咨询，或使用其他取号机", 52, halign="center"))
        for reason in s.reasons:
            col.add_widget(self.label(f"原因：{reason}", 40, halign="center", color=self.t.muted))
        col.add_widget(
            self.label("工作人员已收到通知，恢复后本机将自动开放", 36, halign="center", color=self.t.muted)
        )
        col.add_widget(Widget())
        return col
