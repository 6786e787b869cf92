"""The hall display's widgets (综合屏). Renders a :class:`~display.hall_board.HallView`; no logic.

Layout is in fractions of the screen and font sizes follow each box, so the same screen works at
1920×1080, in portrait (1080×1920) and at 4K: panels are placed by :data:`LANDSCAPE` or
:data:`PORTRAIT` (x, y, width, height as shares of the screen, y from the bottom).
"""

from __future__ import annotations

import math
from typing import Any

from display.hall_board import HallView, WindowTile
from queue_server.protocol.messages import HallMode, WindowStatus

from . import kivy_env as k

Box = tuple[float, float, float, float]

LANDSCAPE: dict[str, Box] = {
    "top": (0.0, 0.91, 1.0, 0.09),
    "spot": (0.0, 0.55, 0.5, 0.36),
    "recent": (0.0, 0.2, 0.5, 0.35),
    "windows": (0.5, 0.2, 0.5, 0.71),
    "services": (0.0, 0.06, 1.0, 0.14),
    "notice": (0.0, 0.0, 1.0, 0.06),
}
PORTRAIT: dict[str, Box] = {
    "top": (0.0, 0.94, 1.0, 0.06),
    "spot": (0.0, 0.75, 1.0, 0.19),
    "recent": (0.0, 0.56, 1.0, 0.19),
    "windows": (0.0, 0.21, 1.0, 0.35),
    "services": (0.0, 0.05, 1.0, 0.16),
    "notice": (0.0, 0.0, 1.0, 0.05),
}
RECENT_SLOTS = 10
MODE_COLOR = {
    HallMode.OPEN: k.GREEN,
    HallMode.EXTENDED: k.ORANGE,
    HallMode.CLOSED: k.GREY,
    HallMode.WEEKEND: k.BLUE,
    HallMode.LUNCH_BREAK: k.ORANGE,
}
MARQUEE_EMS_PER_S = 2.5  # notice scroll speed, in character widths per second


class _Tile:
    """One window on the hall screen."""

    def __init__(self) -> None:
        from kivy.uix.boxlayout import BoxLayout

        self.box = BoxLayout(orientation="vertical")
        self.bg = k.paint(self.box, k.PANEL)
        self.title = k.label(color=k.MUTED)
        self.ticket = k.label()
        self.status = k.label(color=k.MUTED)
        for w, share in ((self.title, 0.28), (self.ticket, 0.44), (self.status, 0.28)):
            w.size_hint_y = share
            self.box.add_widget(w)

    def render(self, tile: WindowTile) -> None:
        k.set_text(self.title, f"{tile.title} {tile.name}".strip())
        k.set_text(self.ticket, tile.ticket or "—")
        k.set_text(self.status, f"{tile.status_text}  {tile.staff}".strip())
        calling = tile.status is WindowStatus.CALLING
        self.ticket.color = k.GOLD if calling else k.TEXT
        self.status.color = k.ORANGE if tile.status is WindowStatus.PAUSED else k.MUTED
        self.bg.rgba = k.PANEL if tile.status is not WindowStatus.PAUSED else k.PANEL_DARK


class HallScreen:
    """The widget tree of the hall display; ``root`` is what goes into the window (or a screenshot)."""

    def __init__(self) -> None:
        from kivy.uix.floatlayout import FloatLayout

        self.root = FloatLayout()
        k.paint(self.root, k.BG)
        self._build_top()
        self._build_spot()
        self._build_recent()
        self._build_windows()
        self._build_services()
        self._build_notice()

        # connection alert, over everything, only when there is something to say
        self.alert = k.label(color=k.TEXT, size_hint=(0.5, 0.05), pos_hint={"center_x": 0.5, "y": 0.86})
        self.alert_bg = k.paint(self.alert, k.RED)

        self.panels: dict[str, Any] = {
            "top": self.top,
            "spot": self.spot,
            "recent": self.recent,
            "windows": self.windows,
            "services": self.services,
            "notice": self.notice_clip,
        }
        for panel in self.panels.values():
            self.root.add_widget(panel)
        self.root.add_widget(self.alert)
        self.root.bind(size=lambda *_: self.relayout())
        self._view: HallView | None = None

    def _build_top(self) -> None:
        """Top bar: hall name, status, date, time."""
        from kivy.uix.boxlayout import BoxLayout

        self.top = BoxLayout(orientation="horizontal")
        self.hall_name = k.label(halign="left")
        self.status = k.label()
        self.status_bg = k.paint(self.status, k.GREEN)
        self.date = k.label(halign="right", color=k.MUTED)
        self.time = k.label(halign="right")
        for w, share in ((self.hall_name, 0.42), (self.status, 0.16), (self.date, 0.27), (self.time, 0.15)):
            w.size_hint_x = share
            self.top.add_widget(w)

    def _build_spot(self) -> None:
        """Spotlight: the call being announced."""
        from kivy.uix.boxlayout import BoxLayout

        self.spot = BoxLayout(orientation="vertical")
        self.spot_bg = k.paint(self.spot, k.PANEL)
        self.spot_head = k.label("正在呼叫", color=k.MUTED)
        self.spot_text = k.label()
        self.spot_sub = k.label(color=k.GOLD)
        for w, share in ((self.spot_head, 0.2), (self.spot_text, 0.55), (self.spot_sub, 0.25)):
            w.size_hint_y = share
            self.spot.add_widget(w)

    def _build_recent(self) -> None:
        """The last calls."""
        from kivy.uix.boxlayout import BoxLayout
        from kivy.uix.gridlayout import GridLayout

        self.recent = BoxLayout(orientation="vertical")
        k.paint(self.recent, k.PANEL_DARK)
        self.recent_head = k.label("最近叫号", color=k.MUTED, size_hint_y=0.14)
        self.recent_grid = GridLayout(cols=2)
        self.recent_slots = [k.label() for _ in range(RECENT_SLOTS)]
        for slot in self.recent_slots:
            self.recent_grid.add_widget(slot)
        self.recent.add_widget(self.recent_head)
        self.recent.add_widget(self.recent_grid)

    def _build_windows(self) -> None:
        """Every open window."""
        from kivy.uix.boxlayout import BoxLayout
        from kivy.uix.gridlayout import GridLayout

        self.windows = BoxLayout(orientation="vertical")
        self.windows_head = k.label("服务窗口", color=k.MUTED, size_hint_y=0.07)
        self.windows_grid = GridLayout(cols=3)
        self.windows.add_widget(self.windows_head)
        self.windows.add_widget(self.windows_grid)
        self.tiles: dict[str, _Tile] = {}

    def _build_services(self) -> None:
        """Waiting per service."""
        from kivy.uix.boxlayout import BoxLayout
        from kivy.uix.gridlayout import GridLayout

        self.services = BoxLayout(orientation="vertical")
        k.paint(self.services, k.PANEL_DARK)
        self.services_head = k.label("等候情况", color=k.MUTED, size_hint_y=0.25)
        self.services_grid = GridLayout(cols=3)
        self.services.add_widget(self.services_head)
        self.services.add_widget(self.services_grid)
        self.service_labels: list[Any] = []

    def _build_notice(self) -> None:
        """Scrolling notice, clipped to its strip."""
        from kivy.uix.label import Label
        from kivy.uix.stencilview import StencilView

        self.notice_clip = StencilView()
        k.paint(self.notice_clip, k.PANEL)
        self.notice = Label(font_name=k.CJK, color=k.TEXT, size_hint=(None, None), halign="left")
        self.notice.bind(texture_size=lambda w, s: setattr(w, "size", s))
        # A new text or font size changes the notice's size one texture update after fit() placed
        # it: place it again then, or for a frame it sits off the strip's middle (and a snapshot of
        # that frame shows it so).
        self.notice.bind(size=lambda *_: self._place_notice())
        self.notice_clip.add_widget(self.notice)
        self._marquee_x: float | None = None

    # --- layout ---------------------------------------------------------------------------------

    @property
    def portrait(self) -> bool:
        w, h = self.root.size
        return bool(h > w)

    def relayout(self) -> None:
        w, h = self.root.size
        unit = min(w, h) / 100.0  # 1 % of the short side: paddings and gaps scale with the screen
        boxes = PORTRAIT if self.portrait else LANDSCAPE
        for name, panel in self.panels.items():
            x, y, bw, bh = boxes[name]
            panel.size_hint = (bw, bh)
            panel.pos_hint = {"x": x, "y": y}
        self.top.padding = (unit * 2, unit * 0.8)
        self.top.spacing = unit * 2
        for box in (self.spot, self.recent, self.windows):
            box.padding = unit * 1.2
            box.spacing = unit * 0.6
        self.services.padding = (unit * 1.2, unit * 0.6)
        self.services_grid.spacing = (unit * 1.2, unit * 0.3)
        self._layout_services()
        self.recent_grid.spacing = (unit * 1.5, unit * 0.4)
        self.windows_grid.spacing = unit
        self.alert.font_size = unit * 2.6
        if self._view is not None:
            self._layout_tiles(len(self._view.windows))
        self.fit()

    def fit(self) -> None:
        """Font sizes follow the boxes (after a resize, and when texts change)."""
        # Caps keep a hall with few windows or services from shouting in giant letters, and the
        # section headings alike.
        unit = min(self.root.size) / 100.0
        heading = unit * 2.6
        k.fit_font(self.hall_name, height_share=0.55, min_ems=8)
        k.fit_font(self.status, height_share=0.5, min_ems=4)
        k.fit_font(self.date, height_share=0.42, min_ems=10)
        k.fit_font(self.time, height_share=0.55, min_ems=5)
        k.fit_font(self.spot_head, height_share=0.55, min_ems=6)
        k.fit_font(self.spot_text, height_share=0.75, min_ems=9)
        k.fit_font(self.spot_sub, height_share=0.55, min_ems=8)
        k.fit_font(self.recent_head, height_share=0.6, min_ems=6, max_size=heading)
        k.fit_group(self.recent_slots, height_share=0.62, min_ems=7, max_size=unit * 4.2)
        k.fit_font(self.windows_head, height_share=0.6, min_ems=6, max_size=heading)
        tiles = list(self.tiles.values())
        k.fit_group([t.title for t in tiles], height_share=0.62, min_ems=5, max_size=unit * 3.4)
        k.fit_group([t.ticket for t in tiles], height_share=0.8, min_ems=4, max_size=unit * 8)
        k.fit_group([t.status for t in tiles], height_share=0.55, min_ems=7, max_size=unit * 3)
        k.fit_font(self.services_head, height_share=0.8, min_ems=6, max_size=heading)
        k.fit_group(self.service_labels, height_share=0.62, min_ems=10, max_size=unit * 3.4)
        self.notice.font_size = self.notice_clip.height * 0.5 if self.notice_clip.height > 1 else 20
        self._place_notice()

    def _place_notice(self) -> None:
        """Centre the notice in its strip: vertically always, horizontally when it fits unscrolled."""
        clip = self.notice_clip
        self.notice.y = clip.y + (clip.height - self.notice.height) / 2
        if self.notice.width <= clip.width - self.notice.font_size:
            self.notice.x = clip.x + (clip.width - self.notice.width) / 2

    def _layout_services(self) -> None:
        n = max(1, len(self.service_labels))
        cols = n if n <= 3 else (2 if self.portrait else math.ceil(n / 2))
        self.services_grid.cols = cols

    def _layout_tiles(self, n: int) -> None:
        w, h = self.windows.size
        # Near-square tiles: as many columns as keeps each tile about twice as wide as it is high.
        cols = max(1, min(n, round(math.sqrt(n * (w / max(h, 1.0)) / 2.0)) or 1))
        self.windows_grid.cols = cols

    # --- rendering ------------------------------------------------------------------------------

    def render(self, view: HallView, now: float) -> None:
        first = self._view is None
        self._view = view
        k.set_text(self.hall_name, view.hall_name)
        k.set_text(self.status, view.status_text)
        self.status_bg.rgba = MODE_COLOR[view.mode]
        k.set_text(self.date, view.date_text)
        k.set_text(self.time, view.time_text)

        spot = view.spotlight
        if spot is None:
            k.set_text(self.spot_head, "欢迎光临")
            k.set_text(self.spot_text, view.hall_name)
            k.set_text(self.spot_sub, "请留意叫号")
            flash = False
        else:
            k.set_text(self.spot_head, "再次呼叫" if spot.call.recall else "正在呼叫")
            k.set_text(self.spot_text, spot.sentence)
            k.set_text(self.spot_sub, spot.window_name or "请持号前往办理")
            flash = spot.flash
        blink = flash and int(now * 2) % 2 == 0
        self.spot_bg.rgba = (k.RED if blink else k.rgba("#9a1b1b")) if flash else k.PANEL
        self.spot_text.color = k.GOLD if flash else k.TEXT

        for i, slot in enumerate(self.recent_slots):
            if i < len(view.recent):
                line = view.recent[i]
                mark = "（重呼）" if line.recall else ""
                k.set_text(slot, f"{line.ticket}  →  {line.window_title}{mark}")
            else:
                k.set_text(slot, "")

        self._render_tiles(view)
        self._render_services(view)
        if self.notice.text != view.notice:
            self.notice.text = view.notice
            self._marquee_x = None
        k.set_text(self.alert, view.alert)
        self.alert.opacity = 1 if view.alert else 0
        self.alert_bg.a = 1 if view.alert else 0
        if first:
            self.relayout()
        else:
            self.fit()

    def _render_tiles(self, view: HallView) -> None:
        ids = [t.window for t in view.windows]
        if ids != list(self.tiles):
            from kivy.uix.label import Label

            self.windows_grid.clear_widgets()
            self.tiles = {no: _Tile() for no in ids}
            for tile in self.tiles.values():
                self.windows_grid.add_widget(tile.box)
            if not ids:
                self.windows_grid.add_widget(Label(text="暂无开放窗口", font_name=k.CJK, color=k.MUTED))
            self._layout_tiles(len(ids))
        for t in view.windows:
            self.tiles[t.window].render(t)

    def _render_services(self, view: HallView) -> None:
        if len(self.service_labels) != len(view.services):
            self.services_grid.clear_widgets()
            self.service_labels = [k.label() for _ in view.services]
            for lbl in self.service_labels:
                self.services_grid.add_widget(lbl)
            self._layout_services()
        for lbl, s in zip(self.service_labels, view.services, strict=True):
            eta = "" if s.eta_text == "—" else f"  {s.eta_text}"
            text = f"{s.name}  等候 {s.waiting} 人{eta}" if s.waiting else f"{s.name}  {s.eta_text}"
            k.set_text(lbl, text)

    def scroll(self, dt: float) -> None:
        """Advance the notice marquee (called ~30 times a second)."""
        clip = self.notice_clip
        if not self.notice.text or clip.width <= 1:
            return
        unit = self.notice.font_size
        if self.notice.width <= clip.width - unit:
            self._place_notice()  # fits: no need to scroll
            return
        if self._marquee_x is None:
            self._marquee_x = clip.x + unit  # start readable at once, then scroll left
        self._marquee_x -= MARQUEE_EMS_PER_S * unit * dt
        if self._marquee_x + self.notice.width < clip.x:
            self._marquee_x = clip.right
        self.notice.x = self._marquee_x
