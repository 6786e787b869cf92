"""The window display's widgets (窗口屏), for small screens (800×480, 1280×400). No logic."""

from __future__ import annotations

from display.window_board import WindowView
from queue_server.protocol.messages import WindowStatus

from . import kivy_env as k

Box = tuple[float, float, float, float]
BOXES: dict[str, Box] = {
    "top": (0.0, 0.82, 1.0, 0.18),
    "ticket": (0.0, 0.22, 0.56, 0.60),
    "info": (0.56, 0.22, 0.44, 0.60),
    "bottom": (0.0, 0.0, 1.0, 0.22),
}
STATUS_COLOR = {
    WindowStatus.IDLE: k.MUTED,
    WindowStatus.CALLING: k.GOLD,
    WindowStatus.SERVING: k.GREEN,
    WindowStatus.PAUSED: k.ORANGE,
    WindowStatus.CLOSED: k.GREY,
}


class WindowScreen:
    def __init__(self) -> None:
        from kivy.uix.boxlayout import BoxLayout
        from kivy.uix.floatlayout import FloatLayout

        self.root = FloatLayout()
        k.paint(self.root, k.BG)

        self.top = BoxLayout(orientation="horizontal")
        k.paint(self.top, k.PANEL)
        self.title = k.label(halign="left")
        self.time = k.label(halign="right", color=k.MUTED, size_hint_x=0.25)
        self.top.add_widget(self.title)
        self.top.add_widget(self.time)

        self.ticket_box = BoxLayout(orientation="vertical")
        self.ticket_head = k.label("当前号码", color=k.MUTED, size_hint_y=0.2)
        self.ticket = k.label(size_hint_y=0.8)
        self.ticket_box.add_widget(self.ticket_head)
        self.ticket_box.add_widget(self.ticket)

        self.info = BoxLayout(orientation="vertical")
        k.paint(self.info, k.PANEL_DARK)
        self.status = k.label(size_hint_y=0.4)
        self.staff = k.label(halign="left", size_hint_y=0.3)
        self.staff_id = k.label(halign="left", color=k.MUTED, size_hint_y=0.3)
        for w in (self.status, self.staff, self.staff_id):
            self.info.add_widget(w)

        self.bottom = k.label()
        self.bottom_bg = k.paint(self.bottom, k.PANEL)

        self.panels = {"top": self.top, "ticket": self.ticket_box, "info": self.info, "bottom": self.bottom}
        for panel in self.panels.values():
            self.root.add_widget(panel)
        self.root.bind(size=lambda *_: self.relayout())
        self._rendered = False

    def relayout(self) -> None:
        w, h = self.root.size
        unit = min(w, h) / 100.0
        for name, panel in self.panels.items():
            x, y, bw, bh = BOXES[name]
            panel.size_hint = (bw, bh)
            panel.pos_hint = {"x": x, "y": y}
        self.top.padding = (unit * 3, unit)
        self.ticket_box.padding = unit * 2
        self.info.padding = (unit * 4, unit * 2)
        self.fit()

    def fit(self) -> None:
        k.fit_font(self.title, height_share=0.55, min_ems=8)
        k.fit_font(self.time, height_share=0.5, min_ems=3.5)
        k.fit_font(self.ticket_head, height_share=0.6, min_ems=6)
        k.fit_font(self.ticket, height_share=0.85, min_ems=3.2)
        k.fit_font(self.status, height_share=0.55, min_ems=5)
        k.fit_font(self.staff, height_share=0.55, min_ems=7)
        k.fit_font(self.staff_id, height_share=0.5, min_ems=7)
        k.fit_font(self.bottom, height_share=0.55, min_ems=10)

    def render(self, view: WindowView, now: float) -> None:
        k.set_text(self.title, f"{view.title}  {view.name}".strip())
        k.set_text(self.time, view.time_text)
        k.set_text(self.ticket, view.ticket or "—")
        self.ticket.color = k.GOLD if view.flash else k.TEXT
        k.set_text(self.status, view.status_text)
        self.status.color = STATUS_COLOR[view.status]
        k.set_text(self.staff, f"工作人员  {view.staff}" if view.staff else "")
        k.set_text(self.staff_id, view.staff_id)
        if view.alert:
            bottom, color = view.alert, k.RED
        elif view.call_text:
            blink = int(now * 2) % 2 == 0
            bottom, color = view.call_text, (k.RED if blink else k.rgba("#9a1b1b"))
        else:
            bottom = f"{view.hall_name} · {view.department}" if view.department else view.hall_name
            color = k.PANEL
        k.set_text(self.bottom, bottom)
        self.bottom.color = k.GOLD if view.call_text and not view.alert else k.TEXT
        self.bottom_bg.rgba = color
        if not self._rendered:
            self._rendered = True
            self.relayout()
        else:
            self.fit()
