"""A matter's page, the materials check, what is missing and the printed notice."""

from __future__ import annotations

from functools import partial

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.screens import MaterialsScreen, MatterScreen, MissingScreen, NoticePrintedScreen, Purpose

from .widgets import PAD, Kit


class MatterViews(Kit):
    """The screens of a matter and its materials."""

    def matter(self, s: MatterScreen) -> Widget:
        outer = BoxLayout(orientation="vertical")
        col = self.column(spacing=12)
        col.add_widget(self.label(s.name, 54, bold=True))
        col.add_widget(self.label(f"实施部门：{s.department}", 34, color=self.t.muted))
        for section in s.sections:
            col.add_widget(self.label(section.label, 42, bold=True, color=self.t.button))
            col.add_widget(self.label(section.text, 36))
        outer.add_widget(self.scroll(col))
        bottom = self.column(padding=(PAD, 10))
        if s.can_queue:
            bottom.add_widget(
                self.button(
                    "开始取号",
                    self.model.start_materials,
                    "start_materials",
                    bg=self.t.primary,
                    fg=self.t.primary_text,
                )
            )
        else:
            bottom.add_widget(self.label(s.closed_text, 38, color=self.t.warning))
        outer.add_widget(bottom)
        return outer

    def materials(self, s: MaterialsScreen) -> Widget:
        outer = BoxLayout(orientation="vertical")
        col = self.column(spacing=14)
        title = "核对申请材料" if s.purpose is Purpose.QUEUE else "材料清单"
        col.add_widget(self.label(f"{title}：{s.matter_name}", 48, bold=True))
        col.add_widget(self.label("请逐项点击已带齐的材料（也可扫描材料上的条码）", 36, color=self.t.muted))
        for line in s.lines:
            mark = "【已带】" if line.checked else "【未带】"
            need = "必需" if line.required else "如有"
            note = f"，{line.note}" if line.note else ""
            col.add_widget(
                self.button(
                    f"{mark} {line.name}（{need}{note}）",
                    partial(self.model.toggle_material, line.code),
                    f"material:{line.code}",
                    size=40,
                    height=140,
                    bg=self.t.primary if line.checked else self.t.header_text,
                    fg=self.t.primary_text if line.checked else self.t.text,
                )
            )
        if s.message:
            col.add_widget(self.label(s.message, 36, color=self.t.warning))
        outer.add_widget(self.scroll(col))
        bottom = self.column(padding=(PAD, 10))
        if s.missing:
            bottom.add_widget(self.label(f"还缺 {len(s.missing)} 项必需材料", 38, color=self.t.warning))
        if s.purpose is Purpose.QUEUE:
            bottom.add_widget(
                self.button(
                    "下一步",
                    self.model.materials_done,
                    "materials_done",
                    bg=self.t.primary,
                    fg=self.t.primary_text,
                )
            )
        else:
            bottom.add_widget(
                self.button(
                    "打印材料清单",
                    self.model.print_missing_notice,
                    "print_checklist",
                    bg=self.t.primary,
                    fg=self.t.primary_text,
                )
            )
        outer.add_widget(bottom)
        return outer

    def missing(self, s: MissingScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label("您还缺少以下必需材料", 50, bold=True, color=self.t.warning))
        for n, name in enumerate(s.missing, 1):
            col.add_widget(self.label(f"{n}. {name}", 42))
        col.add_widget(
            self.label(
                "可以打印一次性告知单，备齐后再来，免得白跑一趟；也可以仍然取号，到窗口咨询。",
                36,
                color=self.t.muted,
            )
        )
        col.add_widget(
            self.button(
                "打印一次性告知单",
                self.model.print_missing_notice,
                "print_notice",
                bg=self.t.primary,
                fg=self.t.primary_text,
            )
        )
        col.add_widget(self.button("仍然取号", self.model.queue_anyway, "queue_anyway"))
        col.add_widget(
            self.button(
                "返回核对材料",
                self.model.back_to_materials,
                "back_to_materials",
                bg=self.t.muted,
                fg=self.t.background,
            )
        )
        return self.scroll(col)

    def notice_printed(self, s: NoticePrintedScreen) -> Widget:
        col = self.column()
        col.add_widget(
            self.label(s.message, 48, bold=True, color=self.t.primary if s.printed else self.t.warning)
        )
        for n, name in enumerate(s.missing, 1):
            col.add_widget(self.label(f"{n}. {name}", 40))
        if s.can_queue:
            col.add_widget(self.button("仍然取号", self.model.queue_anyway, "queue_anyway"))
        return self.scroll(col)
