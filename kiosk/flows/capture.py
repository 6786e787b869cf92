"""Photographing the materials with the document camera (高拍仪), between the materials check and the
ticket options, and sending the pages to the server once the ticket is issued.

For each material the citizen has (ticked or scanned), in the matter's order: place it, capture, see
the page, confirm or retake; a material may have several pages, or be skipped. The pages stay in the
kiosk's memory until the ticket is issued: they are uploaded over HTTP with that ticket's credentials
(its citizen URL's token; images never travel on the MQTT bus), then forgotten. A kiosk without a
camera skips all of this and goes from the materials to the options as before.
"""

from __future__ import annotations

import logging

from devices.errors import DeviceError
from kiosk.ports import CapturedPage
from kiosk.screens import CaptureScreen, Screen, View
from queue_server.protocol.messages import MatterInfo, TicketResult

from .core import MODEL_LOGGER, KioskCore
from .issuing import TicketFlow

log = logging.getLogger(MODEL_LOGGER)

CAPTURE_FAILED_TEXT = "未能拍摄，请调整材料位置后重试，或跳过此项"
UPLOAD_FAILED_TEXT = "材料图片未能上传，请在窗口出示材料原件"


class CaptureFlow:
    """The capture screens; ``TicketFlow`` calls :meth:`upload` with the issued ticket."""

    def __init__(self, core: KioskCore, tickets: TicketFlow) -> None:
        self.core = core
        self.state = core.state
        self.ports = core.ports
        self.tickets = tickets
        tickets.after_issue = self.upload

    @property
    def available(self) -> bool:
        return self.ports.camera is not None and self.ports.uploader is not None

    def first_screen(self, matter: MatterInfo | None) -> Screen:
        """Where the materials check leads: the first material to photograph, else the options.
        The caller holds the lock."""
        c = self.state.citizen
        c.pages, c.preview, c.capturing = [], None, 0
        c.to_capture = []
        if self.available and matter is not None:
            c.to_capture = [(m.code, m.name) for m in matter.disclosures.materials if m.code in c.checked]
        if not c.to_capture:
            return self.tickets.options_screen()
        return self._screen()

    # --- the citizen's taps -----------------------------------------------------------------------

    def capture(self) -> None:
        """拍摄 (or 重拍): take the picture on the citizen worker, then show it for confirmation."""
        s = self.state
        with s.lock:
            self.core.touch()
            screen = s.screen
            if not isinstance(screen, CaptureScreen) or screen.busy or s.busy:
                return
            s.busy = True
            s.citizen.preview = None
            self.core.set(self._screen(busy=True), prompt=False)
        self.core.notify()
        self.ports.run_citizen(self._take)

    def confirm(self) -> None:
        """确认: keep the page shown; the next capture is the material's next page."""
        s = self.state
        with s.lock:
            self.core.touch()
            c = s.citizen
            if s.screen.view is not View.CAPTURE or c.preview is None:
                return
            code, name = c.to_capture[c.capturing]
            page = 1 + sum(1 for p in c.pages if p.material == code)
            c.pages.append(CapturedPage(code, name, page, c.preview))
            c.preview = None
            self.core.set(self._screen(message=f"已保存{name}第{page}页"), prompt=False)
        self.core.notify()

    def next_material(self) -> None:
        """下一项 (or 跳过): on to the next material, or to the options after the last."""
        s = self.state
        with s.lock:
            self.core.touch()
            c = s.citizen
            if s.screen.view is not View.CAPTURE:
                return
            c.preview = None
            c.capturing += 1
            if c.capturing >= len(c.to_capture):
                self.core.set(self.tickets.options_screen())
            else:
                self.core.set(self._screen())
        self.core.notify()

    def skip_all(self) -> None:
        """不拍了: straight to the options; the pages confirmed so far are still sent."""
        s = self.state
        with s.lock:
            self.core.touch()
            if s.screen.view is not View.CAPTURE:
                return
            s.citizen.preview = None
            self.core.set(self.tickets.options_screen())
        self.core.notify()

    # --- on the citizen worker --------------------------------------------------------------------

    def _take(self) -> None:
        camera = self.ports.camera
        message = ""
        jpeg: bytes | None = None
        try:
            if camera is None:
                raise DeviceError("no camera")
            jpeg = camera.capture()
        except DeviceError as exc:
            log.warning("capture failed: %s", type(exc).__name__)
            message = CAPTURE_FAILED_TEXT
        s = self.state
        with s.lock:
            s.busy = False
            if s.screen.view is not View.CAPTURE:
                return  # the citizen went home meanwhile
            s.citizen.preview = jpeg
            self.core.touch()
            self.core.set(self._screen(message=message), prompt=False)
            if jpeg is not None:
                self.core.say("请确认图片是否清晰完整")
        self.core.notify()

    def upload(self, ticket: TicketResult) -> str:
        """Send the confirmed pages with the issued ticket's credentials; a line for the ticket screen."""
        with self.state.lock:
            pages, self.state.citizen.pages = list(self.state.citizen.pages), []
        uploader = self.ports.uploader
        if not pages or uploader is None:
            return ""
        sent = 0
        for page in pages:
            try:
                uploader.upload(ticket.citizen_url, page)
                sent += 1
            except (OSError, ValueError) as exc:
                # The kind of failure only: never the ticket's URL (its token) or the page.
                log.warning("material page upload failed: %s", type(exc).__name__)
        if sent < len(pages):
            return UPLOAD_FAILED_TEXT
        return f"已上传材料图片 {sent} 页，窗口可直接查看"

    # --- internals (the caller holds the lock) ----------------------------------------------------

    def _screen(self, *, message: str = "", busy: bool = False) -> CaptureScreen:
        c = self.state.citizen
        code, name = c.to_capture[c.capturing]
        taken = sum(1 for p in c.pages if p.material == code)
        matter = self.core.matter()
        return CaptureScreen(
            matter_name="" if matter is None else matter.name,
            material_name=name,
            index=c.capturing + 1,
            total=len(c.to_capture),
            page=taken + 1,
            taken=taken,
            preview=c.preview,
            message=message,
            busy=busy,
        )
