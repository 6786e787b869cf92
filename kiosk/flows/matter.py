"""A service, its matters, a matter's page (the eight disclosures) and the materials check, up to the
ticket options, or the one-time notice (一次性告知) of every missing material printed instead.

Home's 材料清单 button walks the same pages for a printed checklist only (``Purpose.CHECKLIST``).
"""

from __future__ import annotations

import logging

from devices.errors import DeviceError
from kiosk.home import check_lines, disclosure_sections, matter_hits, missing_required
from kiosk.ports import MissingNotice
from kiosk.screens import (
    IssuingScreen,
    MaterialsScreen,
    MatterScreen,
    MissingScreen,
    NoticePrintedScreen,
    Purpose,
    RefusedScreen,
    Screen,
    ServiceScreen,
    View,
)
from queue_server.protocol.messages import ErrorCode, MatterInfo

from .capture import CaptureFlow
from .core import MODEL_LOGGER, KioskCore
from .health import ServiceHealth
from .issuing import TicketFlow
from .state import Citizen

log = logging.getLogger(MODEL_LOGGER)


class MatterFlow:
    """Service, matter and materials: what to bring, checked before the ticket."""

    def __init__(
        self, core: KioskCore, health: ServiceHealth, tickets: TicketFlow, capture: CaptureFlow | None = None
    ) -> None:
        self.core = core
        self.state = core.state
        self.ports = core.ports
        self.health = health
        self.tickets = tickets
        self.capture = capture

    # --- service, matter, materials ---------------------------------------------------------------

    def open_service(self, code: str) -> None:
        s = self.state
        with s.lock:
            self.core.touch()
            tile = self.core.tile(code)
            if tile is None:
                return
            if not tile.open:
                self.core.set(
                    RefusedScreen("该业务暂停取号", tile.status_text, ErrorCode.SERVICE_CLOSED.value)
                )
            else:
                matters = self.ports.catalog.matters_of(code)
                s.citizen.service = code
                s.citizen.matter = None
                s.citizen.purpose = Purpose.QUEUE
                if matters:
                    self.core.set(ServiceScreen(tile, matter_hits(matters, self.ports.catalog.catalog)))
                else:
                    self.core.set(self.tickets.options_screen())
        self.core.notify()

    def take_service_ticket(self) -> None:
        """From a service's matter list: queue for the service without choosing a matter."""
        s = self.state
        with s.lock:
            self.core.touch()
            s.citizen.matter = None
            s.citizen.checked.clear()
            self.core.set(self.tickets.options_screen())
        self.core.notify()

    def open_checklist(self) -> None:
        """Home's 材料清单 button: pick a matter to see and print what to bring."""
        s = self.state
        with s.lock:
            self.core.touch()
            s.citizen = Citizen(purpose=Purpose.CHECKLIST)
            self.core.set(self.core.pick_screen())
        self.core.notify()

    def open_matter(self, code: str) -> None:
        s = self.state
        with s.lock:
            self.core.touch()
            matter = self.ports.catalog.matter(code)
            if matter is None or self.core.tile(matter.service) is None:
                return  # unknown here, or of a service this kiosk does not offer
            s.citizen.matter = code
            s.citizen.service = matter.service
            s.citizen.checked = set()
            if s.citizen.purpose is Purpose.CHECKLIST:
                self.core.set(self._materials_screen(matter))
            else:
                self.core.set(self._matter_screen(matter))
        self.core.notify()

    def start_materials(self) -> None:
        """From the matter page: check the materials before queueing."""
        with self.state.lock:
            self.core.touch()
            matter = self.core.matter()
            if matter is None:
                return
            if not matter.disclosures.materials:
                self.core.set(self.tickets.options_screen())
            else:
                self.core.set(self._materials_screen(matter))
        self.core.notify()

    def toggle_material(self, code: str) -> None:
        s = self.state
        with s.lock:
            self.core.touch()
            matter = self.core.matter()
            if matter is None or s.screen.view is not View.MATERIALS:
                return
            if code in s.citizen.checked:
                s.citizen.checked.discard(code)
            elif any(m.code == code for m in matter.disclosures.materials):
                s.citizen.checked.add(code)
            self.core.set(self._materials_screen(matter), prompt=False)
        self.core.notify()

    def tick_scanned(self, code: str) -> None:
        """A material's barcode scanned on the materials page ticks it (or says it is not this matter's)."""
        with self.state.lock:
            matter = self.core.matter()
            if matter is None:
                return
            known = next((m for m in matter.disclosures.materials if m.code == code), None)
            if known is None:
                self.core.set(self._materials_screen(matter, "该材料不属于本事项，请核对"), prompt=False)
            else:
                self.state.citizen.checked.add(code)
                self.core.set(self._materials_screen(matter, f"已确认：{known.name}"), prompt=False)
        self.core.notify()

    def materials_done(self) -> None:
        """继续: all required materials ticked goes on to the ticket; missing ones are named first."""
        with self.state.lock:
            self.core.touch()
            matter = self.core.matter()
            if matter is None:
                return
            missing = missing_required(matter, frozenset(self.state.citizen.checked))
            if missing:
                self.core.set(MissingScreen(matter.name, tuple(m.name for m in missing)))
            else:
                self.core.set(self._after_materials(matter))
        self.core.notify()

    def queue_anyway(self) -> None:
        with self.state.lock:
            self.core.touch()
            self.core.set(self._after_materials(self.core.matter()))
        self.core.notify()

    def _after_materials(self, matter: MatterInfo | None) -> Screen:
        """The materials checked: photograph them (a kiosk with a camera), else the ticket options."""
        if self.capture is None:
            return self.tickets.options_screen()
        return self.capture.first_screen(matter)

    def back_to_materials(self) -> None:
        with self.state.lock:
            self.core.touch()
            matter = self.core.matter()
            if matter is not None:
                self.core.set(self._materials_screen(matter))
        self.core.notify()

    # --- the one-time notice ----------------------------------------------------------------------

    def print_missing_notice(self) -> None:
        """Print the one-time notice of ALL missing required materials (checklist: all unticked ones)."""
        s = self.state
        with s.lock:
            self.core.touch()
            matter = self.core.matter()
            if matter is None:
                return
            checklist = s.citizen.purpose is Purpose.CHECKLIST
            notice = self._notice(matter, checklist)
            names = tuple(m.name for m in notice.missing)
            if not self.health.printer_usable():
                text = "打印机暂不可用，请拍照记录所缺材料"
                self.core.set(NoticePrintedScreen(matter.name, names, False, text, not checklist))
                self.core.notify()
                return
            if s.busy:
                return
            s.busy = True
            self.core.set(IssuingScreen("正在打印"), prompt=False)
        self.core.notify()
        self.ports.run_citizen(lambda: self._print_notice(notice, names, checklist))

    def _notice(self, matter: MatterInfo, checklist: bool) -> MissingNotice:
        """What to print: every missing required material, or for a checklist every unticked one."""
        checked = frozenset(self.state.citizen.checked)
        lines = (
            tuple(m for m in matter.disclosures.materials if m.code not in checked)
            if checklist
            else missing_required(matter, checked)
        )
        return MissingNotice(
            hall_name=self.core.hall_name(),
            matter_code=matter.code,
            matter_name=matter.name,
            department=matter.department,
            legal_basis=matter.disclosures.legal_basis,
            missing=lines,
            issued_at=self.ports.clock.now(),
            checklist_only=checklist,
        )

    def _print_notice(self, notice: MissingNotice, names: tuple[str, ...], checklist: bool) -> None:
        try:
            self.ports.printer.print_notice(notice)
            text = "请取走材料清单" if checklist else "请取走告知单，备齐材料后再来办理"
            screen = NoticePrintedScreen(notice.matter_name, names, True, text, not checklist)
        except DeviceError as exc:
            log.warning("notice not printed: %s", exc)
            self.health.poll_printer()
            text = "打印失败，请拍照记录所缺材料"
            screen = NoticePrintedScreen(notice.matter_name, names, False, text, not checklist)
        self.core.finish(screen)

    # --- internals: screens (the caller holds the lock) -------------------------------------------

    def _matter_screen(self, matter: MatterInfo) -> MatterScreen:
        tile = self.core.tile(matter.service)
        can_queue = tile is not None and tile.open
        closed = "" if can_queue else (tile.status_text if tile is not None else "本机不提供该业务取号")
        return MatterScreen(
            matter.code, matter.name, matter.department, disclosure_sections(matter), can_queue, closed
        )

    def _materials_screen(self, matter: MatterInfo, message: str = "") -> MaterialsScreen:
        checked = frozenset(self.state.citizen.checked)
        return MaterialsScreen(
            matter_name=matter.name,
            lines=check_lines(matter, checked),
            purpose=self.state.citizen.purpose,
            missing=tuple(m.name for m in missing_required(matter, checked)),
            message=message,
        )
