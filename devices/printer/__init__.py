"""The thermal printer: pure renderers of tickets and window documents, and the Printer service."""

from devices.errors import PrinterError, PrinterNotReadyError, PrinterOfflineError, PrinterWriteError
from devices.escpos.layout import ChineseMode, PaperLayout, QrMode
from devices.escpos.status import PrinterStatus, decode_status
from devices.printer.config import (
    FileTransportConfig,
    NetworkTransportConfig,
    PrinterConfig,
    SerialTransportConfig,
    UsbTransportConfig,
)
from devices.printer.documents import (
    ChecklistItem,
    MissingMaterial,
    NoticePrint,
    ReceiptPrint,
    RejectionPrint,
    TicketPrint,
)
from devices.printer.render import (
    render_acceptance_receipt,
    render_missing_materials_notice,
    render_rejection_notice,
    render_ticket,
)
from devices.printer.service import Printer, make_transport, open_printer
from devices.printer.transport import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    Transport,
    UsbTransport,
)

__all__ = [
    "ChecklistItem",
    "ChineseMode",
    "FileTransport",
    "FileTransportConfig",
    "MissingMaterial",
    "NetworkTransport",
    "NetworkTransportConfig",
    "NoticePrint",
    "PaperLayout",
    "Printer",
    "PrinterConfig",
    "PrinterError",
    "PrinterNotReadyError",
    "PrinterOfflineError",
    "PrinterStatus",
    "PrinterWriteError",
    "QrMode",
    "ReceiptPrint",
    "RejectionPrint",
    "SerialTransport",
    "SerialTransportConfig",
    "TicketPrint",
    "Transport",
    "UsbTransport",
    "UsbTransportConfig",
    "decode_status",
    "make_transport",
    "open_printer",
    "render_acceptance_receipt",
    "render_missing_materials_notice",
    "render_rejection_notice",
    "render_ticket",
]
