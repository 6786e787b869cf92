"""One drawing function per screen value: widgets in, no decisions (the model made them all).

Every button that does something carries a ``hallq_tag`` (``service:A``, ``take_ticket``, …): the
scripted driver and the end-to-end tests tap buttons by tag, like a finger would, at their centre.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.model import KioskModel
from kiosk.screens import (
    CheckinLateScreen,
    CheckinScreen,
    GuideDeskScreen,
    HomeScreen,
    IssuingScreen,
    MaterialsScreen,
    MatterHit,
    MatterScreen,
    MissingScreen,
    NoticePrintedScreen,
    OptionsScreen,
    OutOfServiceScreen,
    PickScreen,
    Purpose,
    RefusedScreen,
    Screen,
    ServiceScreen,
    TicketScreen,
)

from .theme import FONT_NAME, RGBA, Theme

Action = Callable[[], None]
Dispatch = Callable[[Action], None]

SCREEN_W = 1080
PAD = 36


class Painter:
    """Builds widgets for one screen in one theme; ``dispatch`` runs an action off the UI thread's back."""

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
        draw: dict[type[Any], Callable[[Any], Widget]] = {
            HomeScreen: self.home,
            ServiceScreen: self.service,
            PickScreen: self.pick,
            MatterScreen: self.matter,
            MaterialsScreen: self.materials,
            MissingScreen: self.missing,
            NoticePrintedScreen: self.notice_printed,
            OptionsScreen: self.options,
            IssuingScreen: self.issuing,
            TicketScreen: self.ticket,
            RefusedScreen: self.refused,
            GuideDeskScreen: self.guide_desk,
            CheckinScreen: self.checkin,
            CheckinLateScreen: self.checkin_late,
            OutOfServiceScreen: self.out_of_service,
        }
        return draw[type(screen)](screen)

    # --- screens ------------------------------------------------------------------------------------

    def home(self, s: HomeScreen) -> Widget:
        col = self.column()
        if s.notice:
            col.add_widget(self.label(s.notice, 34, color=self.t.warning))
        col.add_widget(self.label("请选择办理业务", 46, bold=True))
        grid = GridLayout(cols=2, spacing=20, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for tile in s.tiles:
            text = f"[b]{tile.name}[/b]\n[size={int(self.t.sp(32))}]{tile.status_text}[/size]"
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
        col.add_widget(self.label("正在处理，请稍候…", 60, halign="center"))
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
