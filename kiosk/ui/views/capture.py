"""The document camera's screen: which material to place, the page captured, confirm or retake."""

from __future__ import annotations

from io import BytesIO

from kivy.core.image import Image as CoreImage
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.widget import Widget

from kiosk.screens import CaptureScreen

from .widgets import PAD, Kit


class CaptureViews(Kit):
    """Place, capture, confirm/retake, next material."""

    def capture(self, s: CaptureScreen) -> Widget:
        outer = BoxLayout(orientation="vertical", padding=(PAD, 10), spacing=14)
        outer.add_widget(self.label(f"拍摄材料（{s.index}/{s.total}）：{s.matter_name}", 44, bold=True))
        outer.add_widget(self.label(f"{s.material_name} · 第{s.page}页", 50, bold=True, color=self.t.button))
        if s.preview is not None:
            outer.add_widget(self._preview(s.preview))
            outer.add_widget(self.label("请确认图片清晰、完整、无遮挡", 36, color=self.t.muted))
        else:
            hint = "正在拍摄，请勿移动材料…" if s.busy else "请将材料平放在高拍仪下方的台面上，然后点击拍摄"
            outer.add_widget(self.label(hint, 40, color=self.t.muted))
            outer.add_widget(Widget())  # the space the picture takes once captured
        if s.taken:
            outer.add_widget(self.label(f"本项已拍 {s.taken} 页", 36, color=self.t.primary))
        if s.message:
            outer.add_widget(self.label(s.message, 36, color=self.t.warning))
        outer.add_widget(self._buttons(s))
        return outer

    def _preview(self, jpeg: bytes) -> Widget:
        texture = CoreImage(BytesIO(jpeg), ext="jpg").texture
        image = Image(texture=texture, fit_mode="contain")
        image.hallq_tag = "capture_preview"
        return image

    def _buttons(self, s: CaptureScreen) -> Widget:
        t = self.t
        if s.preview is not None:
            return self.row(
                self.button("重拍", self.model.capture_page, "retake_page", bg=t.muted, fg=t.background),
                self.button("确认", self.model.confirm_page, "confirm_page", bg=t.primary, fg=t.primary_text),
            )
        last = s.index == s.total
        onward = ("完成拍摄" if last else "下一项材料") if s.taken else "跳过此项"
        idle = not s.busy
        shoot = "再拍一页" if s.taken else "拍摄"
        col = self.column(spacing=14, padding=0)
        col.add_widget(
            self.row(
                self.button(
                    shoot,
                    self.model.capture_page,
                    "capture_page",
                    bg=t.primary,
                    fg=t.primary_text,
                    enabled=idle,
                ),
                self.button(onward, self.model.next_material, "next_material", enabled=idle),
            )
        )
        skip = self.button(
            "不拍了，直接取号",
            self.model.skip_capture,
            "skip_capture",
            height=120,
            bg=t.muted,
            fg=t.background,
            enabled=idle,
        )
        col.add_widget(skip)
        return col
