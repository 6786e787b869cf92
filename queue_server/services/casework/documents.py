"""Documents of a case: issue them (content stored as issued), print them on the window's thermal
printer, show them as A4 pages; and the window printers' configuration.

Issuing happens in the finishing transaction. Printing is I/O and happens after commit: a printer out
of paper never undoes a case. Each attempt is recorded on the document row (count, time, error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlmodel import col, select

from devices.errors import PrinterError, PrinterNotReadyError, PrinterOfflineError
from devices.printer import (
    NetworkTransportConfig,
    Printer,
    PrinterConfig,
    UsbTransportConfig,
    open_printer,
    render_acceptance_receipt,
    render_missing_materials_notice,
    render_rejection_notice,
)
from queue_server.documents import (
    AnyContent,
    MissingItem,
    NoticeContent,
    ReceiptContent,
    RejectionContent,
    WrongPageItem,
    load_content,
    render_a4,
)
from queue_server.documents.content import NOTICE_REGULATION, REJECTION_REGULATION
from queue_server.domain.cases import CaseType, DocumentKind
from queue_server.errors import NotFoundError
from queue_server.services.casework import materials
from queue_server.services.casework.models import DocumentInfo, PrintOutcome
from queue_server.services.engine.access import require_admin, require_printer_target
from queue_server.services.engine.lookup import window_by_number
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor
from queue_server.store.tables import Case, Department, Material, Matter, Ticket, Window
from queue_server.store.tables.casework import (
    CaseDetail,
    CaseDocument,
    CaseMissingMaterial,
    CaseReturnReason,
    WindowPrinter,
)

log = logging.getLogger(__name__)

PrinterFactory = Callable[[PrinterConfig], Printer]

_PRINT_ERRORS_ZH = {
    PrinterOfflineError: "打印机未连接",
    PrinterNotReadyError: "打印机未就绪（缺纸、开盖或故障）",
}


def staff_url(document_id: int) -> str:
    return f"/console/documents/{document_id}"


def citizen_url(token: str, document_id: int) -> str:
    return f"/t/{token}/documents/{document_id}"


# --- issuing ------------------------------------------------------------------------------------


def issue_for_case(tx: Tx, case: Case, detail: CaseDetail, ticket: Ticket | None) -> list[CaseDocument]:
    """The documents the case type requires (docs/design/DOMAIN.md), stored as issued now."""
    rows = []
    for kind in CaseType(case.case_type).documents:
        content = build_content(tx, kind, case, detail, ticket)
        row = CaseDocument(
            hall_id=tx.hall_id,
            case_id=pk(case),
            kind=kind.value,
            issued_at=tx.now,
            window_id=detail.window_id,
            content=content.model_dump(mode="json"),
        )
        tx.session.add(row)
        rows.append(row)
    tx.session.flush()
    return rows


def build_content(
    tx: Tx, kind: DocumentKind, case: Case, detail: CaseDetail, ticket: Ticket | None
) -> AnyContent:
    session = tx.session
    matter = None if case.matter_id is None else session.get(Matter, case.matter_id)
    department = None if case.department_id is None else session.get(Department, case.department_id)
    window = None if detail.window_id is None else session.get(Window, detail.window_id)
    common = {
        "hall_name": tx.hall.name,
        "case_no": case.case_number,
        "matter_name": "（未指定事项）" if matter is None else matter.name,
        "applicant_name": detail.applicant_name,
        "department": tx.hall.name if department is None else department.name,
        "window": None if window is None else window.number,
        "issued_at": tx.now,
        "time_zone": tx.hall.tz,
    }
    basis = _lines(matter.legal_basis if matter is not None else "")
    if kind is DocumentKind.ACCEPTANCE_RECEIPT:
        case_type = CaseType(case.case_type)
        promised = None if matter is None or not case_type.has_deadline else matter.promised_days
        return ReceiptContent(
            **common,
            case_type_label=case_type.label_zh,
            promised_days=promised,
            deadline=case.deadline,
            materials_received=tuple(_received(tx, matter, ticket)),
            query_url=None if ticket is None else _citizen_page(tx, ticket),
            co_departments=tuple(_names(tx, case.co_departments)),
        )
    if kind is DocumentKind.ONE_TIME_NOTICE:
        missing = session.exec(
            select(CaseMissingMaterial)
            .where(CaseMissingMaterial.case_id == case.id)
            .order_by(col(CaseMissingMaterial.position))
        ).all()
        wrong = materials.wrong_pages(tx, ticket)
        return NoticeContent(
            **common,
            missing=tuple(MissingItem(name=m.name, requirement=m.requirement) for m in missing),
            legal_basis=(*basis, NOTICE_REGULATION),
            wrong_pages=tuple(
                WrongPageItem(material_name=p.material_name, page=p.page, reason=p.reason) for p in wrong
            ),
        )
    reasons = session.exec(
        select(CaseReturnReason.reason)
        .where(CaseReturnReason.case_id == case.id)
        .order_by(col(CaseReturnReason.position))
    ).all()
    return RejectionContent(**common, reasons=tuple(reasons), legal_basis=(*basis, REJECTION_REGULATION))


def _names(tx: Tx, department_ids: list[int]) -> list[str]:
    """The departments' names, in the case's order."""
    rows = [tx.session.get(Department, department_id) for department_id in department_ids]
    return [row.name for row in rows if row is not None]


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _received(tx: Tx, matter: Matter | None, ticket: Ticket | None) -> list[str]:
    """The materials taken in: every required one (the case was accepted) and optional ones ticked."""
    if matter is None:
        return []
    checked = set() if ticket is None else set(ticket.materials)
    rows = tx.session.exec(
        select(Material).where(Material.matter_id == matter.id).order_by(col(Material.position))
    ).all()
    return [m.name for m in rows if m.required or m.code in checked]


def _citizen_page(tx: Tx, ticket: Ticket) -> str:
    return f"{tx.settings.public_base_url.rstrip('/')}/t/{ticket.citizen_token}"


def document_infos(tx: Tx, case_id: int) -> list[DocumentInfo]:
    rows = tx.session.exec(
        select(CaseDocument).where(CaseDocument.case_id == case_id).order_by(col(CaseDocument.id))
    ).all()
    return [document_info(row) for row in rows]


def document_info(row: CaseDocument) -> DocumentInfo:
    return DocumentInfo(
        id=pk(row),
        kind=row.kind,
        title=DocumentKind(row.kind).label_zh,
        issued_at=row.issued_at.timestamp(),
        print_count=row.print_count,
        printed_at=None if row.printed_at is None else row.printed_at.timestamp(),
        print_error=row.print_error,
        url=staff_url(pk(row)),
    )


# --- reading ------------------------------------------------------------------------------------


def document_row(tx: Tx, document_id: int) -> CaseDocument:
    row = tx.session.get(CaseDocument, document_id)
    if row is None or row.hall_id != tx.hall_id:
        raise NotFoundError("未找到该文书。", what="document")
    return row


def a4_page(tx: Tx, document_id: int) -> str:
    return render_a4(load_content(document_row(tx, document_id).content))


def escpos_bytes(content: AnyContent, printer: Printer) -> bytes:
    """The thermal print of a document in the printer's paper layout."""
    if isinstance(content, ReceiptContent):
        return render_acceptance_receipt(content.to_print(), printer.layout)
    if isinstance(content, NoticeContent):
        return render_missing_materials_notice(content.to_print(), printer.layout)
    return render_rejection_notice(content.to_print(), printer.layout)


# --- printing -----------------------------------------------------------------------------------


def print_job(tx: Tx, document_id: int) -> tuple[CaseDocument, PrinterConfig | None]:
    """The document and the config of the printer at its window (None: the window has none)."""
    row = document_row(tx, document_id)
    if row.window_id is None:
        return row, None
    printer = tx.session.get(WindowPrinter, row.window_id)
    return row, None if printer is None else PrinterConfig.model_validate(printer.config)


def send(row: CaseDocument, config: PrinterConfig, factory: PrinterFactory = open_printer) -> str | None:
    """Print one document; None when it printed, else the reason in words for the console."""
    printer = factory(config)
    try:
        printer.print_job(escpos_bytes(load_content(row.content), printer))
    except PrinterError as exc:
        log.warning("document %s not printed on %s: %s", row.id, printer.transport.target, exc)
        return next((text for cls, text in _PRINT_ERRORS_ZH.items() if isinstance(exc, cls)), "打印失败")
    finally:
        printer.close()
    return None


def record_print(tx: Tx, document_id: int, error: str | None) -> PrintOutcome:
    row = document_row(tx, document_id)
    if error is None:
        row.print_count += 1
        row.printed_at = tx.now
        row.print_error = None
    else:
        row.print_error = error[:300]
    tx.event("document_print", document=row.id, document_kind=row.kind, printed=error is None, error=error)
    return PrintOutcome(document_id=pk(row), kind=row.kind, printed=error is None, error=error)


# --- window printers ----------------------------------------------------------------------------


def set_window_printer(tx: Tx, window_no: str, config: PrinterConfig | None, actor: Actor) -> bool:
    """Configure (or, with None, remove) the thermal printer of a window: administrators, and only a
    target on the allow-list (``access.printer_target_refused``); audited with its target."""
    require_admin(actor)
    if config is not None:
        require_printer_target(config, tx.settings.printer_addresses)
    window = window_by_number(tx, window_no)
    row = tx.session.get(WindowPrinter, pk(window))
    if config is None:
        if row is not None:
            tx.session.delete(row)
        tx.event("window_printer", window=window, removed=True)
        return False
    if row is None:
        row = WindowPrinter(window_id=pk(window), hall_id=tx.hall_id, updated_at=tx.now)
        tx.session.add(row)
    row.config = config.model_dump(mode="json")
    row.updated_at = tx.now
    tx.event("window_printer", window=window, transport=config.transport.kind, target=_target(config))
    return True


def _target(config: PrinterConfig) -> str:
    transport = config.transport
    if isinstance(transport, NetworkTransportConfig):
        return f"{transport.host}:{transport.port}"
    if isinstance(transport, UsbTransportConfig):
        return f"usb:{transport.vendor_id:04x}:{transport.product_id:04x}"
    return transport.path


def window_printer(tx: Tx, window_no: str) -> PrinterConfig | None:
    window = window_by_number(tx, window_no)
    row = tx.session.get(WindowPrinter, pk(window))
    return None if row is None else PrinterConfig.model_validate(row.config)


def pending_documents(tx: Tx, case_number: str) -> list[int]:
    """Documents of a case never sent to a printer (nor failed): what a finish still has to print."""
    rows = tx.session.exec(
        select(CaseDocument.id)
        .join(Case, col(Case.id) == col(CaseDocument.case_id))
        .where(
            Case.hall_id == tx.hall_id,
            Case.case_number == case_number,
            CaseDocument.print_count == 0,
            col(CaseDocument.print_error).is_(None),
        )
        .order_by(col(CaseDocument.id))
    ).all()
    return [int(i) for i in rows if i is not None]
