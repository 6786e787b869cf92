"""The kiosk's printer and scanner, from ``devices``: server replies become print jobs, scans become reads.

- :class:`KioskPrinter` serialises the one ``devices.printer.Printer`` between the status poller and
  the citizen worker (the driver is not thread-safe) and turns a ``TicketResult`` into a ``TicketPrint``,
  laid out for the paper width the device config names (``use_width``).
- :func:`read_of` reduces a ``devices.scanner`` scan to what the model may know: a resident ID becomes
  its keyed hash and birth date here, so the number never leaves this function in clear.
- :func:`card_read` does the same for a card on the ID card reader (``devices.idreader``), keeping
  the masked name to greet the citizen with; :func:`open_id_reader` wires a reader to the model.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from devices.escpos.builder import EscposBuilder
from devices.escpos.commands import Align
from devices.escpos.layout import PaperLayout
from devices.idreader import IdCard, IdCardReader, IdCardReadError, IdReaderConfig
from devices.printer import (
    ChecklistItem,
    MissingMaterial,
    NoticePrint,
    Printer,
    PrinterStatus,
    TicketPrint,
    render_missing_materials_notice,
    render_ticket,
)
from devices.scanner import (
    AppointmentScan,
    InvalidResidentIdScan,
    NoticeScan,
    OtherScan,
    ResidentIdScan,
    Scan,
    TicketScan,
)
from queue_server.protocol.messages import TicketResult

from .clock import HALL_TZ
from .ports import AppointmentRead, IdRead, MaterialRead, MissingNotice, Read, UnusableRead

log = logging.getLogger(__name__)

CARD_UNREADABLE_TEXT = "身份证读取失败，请取下身份证后重新放置"
KIOSK_RETURN_TEXT = "请补齐上述全部材料后，再到自助取号机取号办理；如有疑问请到导办台咨询。"


def ticket_print(ticket: TicketResult) -> TicketPrint:
    """What goes on paper for a server's ticket reply (nothing the server did not say)."""
    return TicketPrint(
        hall_name=ticket.hall_name,
        number=ticket.number,
        service_name=ticket.service_name,
        issued_at=datetime.fromtimestamp(ticket.issued_at, UTC),
        people_ahead=ticket.people_ahead,
        estimated_wait_min=ticket.eta_min,
        matter_name=ticket.matter_name,
        priority=ticket.priority is not None,
        priority_label=ticket.priority_label,
        appointment=ticket.appointment is not None,
        materials=tuple(ChecklistItem(m.name, m.checked, m.required, m.note) for m in ticket.materials),
        citizen_url=ticket.citizen_url or None,
        hall_short_name=ticket.hall_short_name,
        hall_address=ticket.hall_address,
        hall_phone=ticket.hall_phone,
    )


def notice_number(device_id: str, at: datetime) -> str:
    """A kiosk notice has no case yet; its number names the kiosk and the moment (printed, not stored)."""
    return f"ZZ{at.astimezone(HALL_TZ):%Y%m%d%H%M%S}-{device_id}"[:64]


def render_notice(notice: MissingNotice, layout: PaperLayout, device_id: str) -> bytes:
    """The one-time notice of all missing materials, or the plain checklist of a matter's materials."""
    if notice.checklist_only or not notice.missing:
        return render_checklist(notice, layout)
    return render_missing_materials_notice(
        NoticePrint(
            hall_name=notice.hall_name,
            case_no=notice_number(device_id, notice.issued_at),
            matter_name=notice.matter_name,
            applicant_name="",
            issued_at=notice.issued_at,
            department=notice.department,
            missing=tuple(MissingMaterial(m.name, m.note) for m in notice.missing),
            legal_basis=(notice.legal_basis,) if notice.legal_basis else (),
            return_instructions=KIOSK_RETURN_TEXT,
        ),
        layout,
    )


def render_checklist(notice: MissingNotice, layout: PaperLayout) -> bytes:
    """材料清单: what to bring for a matter, to take home (not a notice: no case, no seal)."""
    b = EscposBuilder(layout).init()
    b.style(align=Align.CENTER, bold=True, scale=2).line("材料清单")
    b.style(align=Align.CENTER).text(notice.hall_name)
    b.style().rule()
    b.pair("办理事项：", notice.matter_name)
    b.pair("承办部门：", notice.department)
    b.pair("打印时间：", f"{notice.issued_at.astimezone(HALL_TZ):%Y-%m-%d %H:%M}")
    b.rule()
    if notice.missing:
        for i, m in enumerate(notice.missing, 1):
            kind = "" if m.required else "（如有）"
            extra = f"（{m.note}）" if m.note else ""
            b.text(f"{m.name}{extra}{kind}", first_prefix=f"{i}. ", next_prefix="   ")
    else:
        b.text("您已勾选全部材料。")
    b.rule()
    b.text("材料以窗口审核为准。")
    return b.cut().build()


class KioskPrinter:
    """The kiosk's :class:`~kiosk.ports.TicketPrinter` over one ``devices`` printer."""

    def __init__(self, printer: Printer, device_id: str) -> None:
        self.printer = printer
        self.device_id = device_id
        self._lock = threading.Lock()
        # Rendering reads this once per job; ``use_width`` swaps it whole (no lock: it must not wait
        # for a job in progress, it runs on the network thread).
        self._layout = printer.layout

    @property
    def layout(self) -> PaperLayout:
        """The paper layout the next job is rendered for."""
        return self._layout

    def use_width(self, width_mm: Literal[58, 80]) -> None:
        """Render for ``width_mm`` paper from now on, keeping how Chinese text and QR codes print."""
        layout = self._layout
        if layout.width_mm != width_mm:
            self._layout = PaperLayout.for_width(width_mm, layout.chinese_mode, layout.qr_mode)
            log.info("printer paper width now %d mm (device config)", width_mm)

    def status(self) -> PrinterStatus:
        with self._lock:
            return self.printer.status()

    def print_ticket(self, ticket: TicketResult) -> None:
        data = render_ticket(ticket_print(ticket), self._layout)
        with self._lock:
            self.printer.print_job(data)

    def print_notice(self, notice: MissingNotice) -> None:
        data = render_notice(notice, self._layout, self.device_id)
        with self._lock:
            self.printer.print_job(data)

    def close(self) -> None:
        with self._lock:
            self.printer.close()


def read_of(scan: Scan, id_key: bytes) -> Read | None:
    """What the model may learn from a scan; None for codes a kiosk has no use for."""
    if isinstance(scan, ResidentIdScan):
        rid = scan.resident_id
        return IdRead(id_hash=rid.hash(id_key), birth_date=rid.birth_date)
    if isinstance(scan, InvalidResidentIdScan):
        return UnusableRead("身份证号码读取有误，请重新刷卡")
    if isinstance(scan, AppointmentScan):
        return AppointmentRead(scan.code)
    if isinstance(scan, OtherScan):
        return MaterialRead(scan.data)
    if isinstance(scan, TicketScan | NoticeScan):
        return UnusableRead("该二维码请到导办台或窗口使用")
    return None


def card_read(card: IdCard, id_key: bytes) -> IdRead:
    """What the model may learn from an ID card on the reader: what a scanned ID number gives (keyed
    hash, birth date) and the masked name. The card itself goes no further than this function."""
    return IdRead(
        id_hash=card.resident_id.hash(id_key), birth_date=card.birth_date, masked_name=card.masked_name
    )


def card_failure(_error: IdCardReadError) -> UnusableRead:
    return UnusableRead(CARD_UNREADABLE_TEXT)


def open_id_reader(config: IdReaderConfig, id_key: bytes, deliver: Callable[[Read], None]) -> IdCardReader:
    """An ID card reader (not started) whose cards reach ``deliver`` as reads, like the scanner's."""
    return IdCardReader(
        config,
        on_card=lambda card: deliver(card_read(card, id_key)),
        on_failure=lambda error: deliver(card_failure(error)),
    )
