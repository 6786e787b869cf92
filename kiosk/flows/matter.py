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
    ServiceScreen,
    View,
)
from queue_server.protocol.messages import ErrorCode, MatterInfo

from .core import MODEL_LOGGER, Citizen
from .issuing import TicketFlow

log = logging.getLogger(MODEL_LOGGER)


class MatterFlow(TicketFlow):
    """Service, matter and materials: what to bring, checked before the ticket."""

    # --- service, matter, materials ---------------------------------------------------------------

    def open_service(self, code: str) -> None:
        with self._lock:
            self._touch()
            tile = self._tile(code)
            if tile is None:
                return
            if not tile.open:
                self._set(RefusedScreen("该业务暂停取号", tile.status_text, ErrorCode.SERVICE_CLOSED.value))
            else:
                matters = self.catalog.matters_of(code)
                self._citizen.service = code
                self._citizen.matter = None
                self._citizen.purpose = Purpose.QUEUE
                if matters:
                    self._set(ServiceScreen(tile, matter_hits(matters, self.catalog.catalog)))
                else:
                    self._set(self._options_screen())
        self._notify()

    def take_service_ticket(self) -> None:
        """From a service's matter list: queue for the service without choosing a matter."""
        with self._lock:
            self._touch()
            self._citizen.matter = None
            self._citizen.checked.clear()
            self._set(self._options_screen())
        self._notify()

    def open_checklist(self) -> None:
        """Home's 材料清单 button: pick a matter to see and print what to bring."""
        with self._lock:
            self._touch()
            self._citizen = Citizen(purpose=Purpose.CHECKLIST)
            self._set(self._pick_screen())
        self._notify()

    def open_matter(self, code: str) -> None:
        with self._lock:
            self._touch()
            matter = self.catalog.matter(code)
            if matter is None or self._tile(matter.service) is None:
                return  # unknown here, or of a service this kiosk does not offer
            self._citizen.matter = code
            self._citizen.service = matter.service
            self._citizen.checked = set()
            if self._citizen.purpose is Purpose.CHECKLIST:
                self._set(self._materials_screen(matter))
            else:
                self._set(self._matter_screen(matter))
        self._notify()

    def start_materials(self) -> None:
        """From the matter page: check the materials before queueing."""
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None:
                return
            if not matter.disclosures.materials:
                self._set(self._options_screen())
            else:
                self._set(self._materials_screen(matter))
        self._notify()

    def toggle_material(self, code: str) -> None:
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None or self._screen.view is not View.MATERIALS:
                return
            if code in self._citizen.checked:
                self._citizen.checked.discard(code)
            elif any(m.code == code for m in matter.disclosures.materials):
                self._citizen.checked.add(code)
            self._set(self._materials_screen(matter), prompt=False)
        self._notify()

    def materials_done(self) -> None:
        """继续: all required materials ticked goes on to the ticket; missing ones are named first."""
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None:
                return
            missing = missing_required(matter, frozenset(self._citizen.checked))
            if missing:
                self._set(MissingScreen(matter.name, tuple(m.name for m in missing)))
            else:
                self._set(self._options_screen())
        self._notify()

    def queue_anyway(self) -> None:
        with self._lock:
            self._touch()
            self._set(self._options_screen())
        self._notify()

    def back_to_materials(self) -> None:
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is not None:
                self._set(self._materials_screen(matter))
        self._notify()

    def print_missing_notice(self) -> None:
        """Print the one-time notice of ALL missing required materials (checklist: all unticked ones)."""
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None:
                return
            checklist = self._citizen.purpose is Purpose.CHECKLIST
            checked = frozenset(self._citizen.checked)
            lines = (
                tuple(m for m in matter.disclosures.materials if m.code not in checked)
                if checklist
                else missing_required(matter, checked)
            )
            notice = MissingNotice(
                hall_name=self._hall_name(),
                matter_code=matter.code,
                matter_name=matter.name,
                department=matter.department,
                legal_basis=matter.disclosures.legal_basis,
                missing=lines,
                issued_at=self.clock.now(),
                checklist_only=checklist,
            )
            names = tuple(m.name for m in lines)
            if not self._printer_usable():
                text = "打印机暂不可用，请拍照记录所缺材料"
                self._set(NoticePrintedScreen(matter.name, names, False, text, not checklist))
                self._notify()
                return
            if self._busy:
                return
            self._busy = True
            self._set(IssuingScreen("正在打印"), prompt=False)
        self._notify()
        self._run_citizen(lambda: self._print_notice(notice, names, checklist))

    def _print_notice(self, notice: MissingNotice, names: tuple[str, ...], checklist: bool) -> None:
        try:
            self.printer.print_notice(notice)
            text = "请取走材料清单" if checklist else "请取走告知单，备齐材料后再来办理"
            screen = NoticePrintedScreen(notice.matter_name, names, True, text, not checklist)
        except DeviceError as exc:
            log.warning("notice not printed: %s", exc)
            self._poll_printer()
            text = "打印失败，请拍照记录所缺材料"
            screen = NoticePrintedScreen(notice.matter_name, names, False, text, not checklist)
        self._finish(screen)

    # --- internals: screens -----------------------------------------------------------------------

    def _matter_screen(self, matter: MatterInfo) -> MatterScreen:
        tile = self._tile(matter.service)
        can_queue = tile is not None and tile.open
        closed = "" if can_queue else (tile.status_text if tile is not None else "本机不提供该业务取号")
        return MatterScreen(
            matter.code, matter.name, matter.department, disclosure_sections(matter), can_queue, closed
        )

    def _materials_screen(self, matter: MatterInfo, message: str = "") -> MaterialsScreen:
        checked = frozenset(self._citizen.checked)
        return MaterialsScreen(
            matter_name=matter.name,
            lines=check_lines(matter, checked),
            purpose=self._citizen.purpose,
            missing=tuple(m.name for m in missing_required(matter, checked)),
            message=message,
        )

    def _tick_scanned(self, code: str) -> None:
        with self._lock:
            matter = self._matter()
            if matter is None:
                return
            known = next((m for m in matter.disclosures.materials if m.code == code), None)
            if known is None:
                self._set(self._materials_screen(matter, "该材料不属于本事项，请核对"), prompt=False)
            else:
                self._citizen.checked.add(code)
                self._set(self._materials_screen(matter, f"已确认：{known.name}"), prompt=False)
        self._notify()
