"""The home screen with its search, a service's matters, and the checklist's matter pick."""

from __future__ import annotations

from functools import partial

from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from kiosk.screens import HomeScreen, MatterHit, PickScreen, ServiceScreen

from .widgets import Kit


class HomeViews(Kit):
    """The screens of the start of a visit: home, a service, the checklist pick."""

    def home(self, s: HomeScreen) -> Widget:
        col = self.column()
        if s.notice:
            col.add_widget(self.label(s.notice, 34, color=self.t.warning))
        col.add_widget(self.label("请选择办理业务", 46, bold=True))
        grid = GridLayout(cols=2, spacing=20, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for tile in s.tiles:
            # The hall file's description is the subtitle (text from outside: escaped, no markup).
            subtitle = (
                f"[size={int(self.t.sp(28))}]{escape_markup(tile.description)}[/size]\n"
                if tile.description
                else ""
            )
            text = f"[b]{tile.name}[/b]\n{subtitle}[size={int(self.t.sp(32))}]{tile.status_text}[/size]"
            btn = self.button(
                text,
                partial(self.model.open_service, tile.code),
                f"service:{tile.code}",
                size=52,
                height=250,
                bg=self.t.button if tile.open else self.t.closed,
                fg=self.t.button_text if tile.open else self.t.closed_text,
            )
            btn.markup = True
            grid.add_widget(btn)
        if not s.tiles:
            col.add_widget(self.label("正在获取业务信息…", 40, color=self.t.muted))
        col.add_widget(grid)
        col.add_widget(
            self.row(
                self.button(
                    "预约签到", self.model.open_checkin, "checkin", bg=self.t.primary, fg=self.t.primary_text
                ),
                self.button(
                    "材料清单",
                    self.model.open_checklist,
                    "checklist",
                    bg=self.t.primary,
                    fg=self.t.primary_text,
                ),
            )
        )
        col.add_widget(self.search_box(s.query, s.results, hint="搜索事项：输入拼音首字母，如 SFZ"))
        return self.scroll(col)

    def search_box(self, query: str, results: tuple[MatterHit, ...], hint: str) -> Widget:
        col = self.column(spacing=14, padding=0)
        col.add_widget(self.label(f"搜索：{query}" if query else hint, 38, color=self.t.muted))
        keys = GridLayout(cols=9, spacing=8, size_hint_y=None)
        keys.bind(minimum_height=keys.setter("height"))
        for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            keys.add_widget(
                self.button(ch, partial(self.model.type_search, ch.lower()), f"key:{ch}", size=40, height=100)
            )
        keys.add_widget(
            self.button(
                "删除",
                self.model.backspace_search,
                "key:back",
                size=34,
                height=100,
                bg=self.t.muted,
                fg=self.t.background,
            )
        )
        col.add_widget(keys)
        for hit in results:
            col.add_widget(self.matter_button(hit))
        if query and not results:
            col.add_widget(self.label("没有找到相关事项，请换个关键词或到导办台咨询", 36, color=self.t.muted))
        return col

    def matter_button(self, hit: MatterHit) -> Button:
        return self.button(
            f"{hit.name}（{hit.service_name}）",
            partial(self.model.open_matter, hit.code),
            f"matter:{hit.code}",
            size=40,
            height=130,
            bg=self.t.header_text,
            fg=self.t.text,
        )

    def service(self, s: ServiceScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label(s.tile.name, 56, bold=True))
        col.add_widget(self.label(s.tile.status_text, 38, color=self.t.muted))
        col.add_widget(self.label("请选择具体办理的事项：", 40))
        for hit in s.matters:
            col.add_widget(self.matter_button(hit))
        col.add_widget(
            self.button(
                "不确定事项，直接取号",
                self.model.take_service_ticket,
                "service_ticket",
                bg=self.t.primary,
                fg=self.t.primary_text,
            )
        )
        return self.scroll(col)

    def pick(self, s: PickScreen) -> Widget:
        col = self.column()
        col.add_widget(self.label("材料清单：请选择事项", 50, bold=True))
        col.add_widget(self.search_box(s.query, s.matters, hint="可输入拼音首字母筛选"))
        if not s.query:
            for hit in s.matters:
                col.add_widget(self.matter_button(hit))
        return self.scroll(col)
