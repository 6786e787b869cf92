"""The printer as a service: print a job or say clearly why not; report a status that is never a guess."""

from __future__ import annotations

import logging
from types import TracebackType

from devices.errors import PrinterNotReadyError, PrinterOfflineError
from devices.escpos.commands import STATUS_QUERY
from devices.escpos.layout import PaperLayout
from devices.escpos.status import PrinterStatus, decode_status
from devices.printer.config import (
    FileTransportConfig,
    NetworkTransportConfig,
    PrinterConfig,
    SerialTransportConfig,
    UsbTransportConfig,
)
from devices.printer.documents import TicketPrint
from devices.printer.render import render_ticket
from devices.printer.transport import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    Transport,
    UsbTransport,
)

log = logging.getLogger(__name__)


class Printer:
    """A thermal printer behind one transport. Thread-compatible, not thread-safe: one owner prints."""

    def __init__(
        self,
        transport: Transport,
        layout: PaperLayout,
        *,
        status_timeout: float = 0.5,
        check_before_print: bool = True,
        require_status: bool = False,
    ) -> None:
        self.transport = transport
        self.layout = layout
        self.status_timeout = status_timeout
        self.check_before_print = check_before_print
        self.require_status = require_status

    def _query_status(self) -> PrinterStatus:
        """Ask DLE EOT 1, 2, 4; PrinterOfflineError when the printer cannot be reached at all."""
        reply = self.transport.query(STATUS_QUERY, len(STATUS_QUERY) // 3, self.status_timeout)
        status = decode_status(reply)
        if status is PrinterStatus.UNKNOWN:
            log.info("printer %s gave no usable status reply (%d bytes)", self.transport.target, len(reply))
        return status

    def status(self) -> PrinterStatus:
        """OFFLINE when the transport cannot connect, UNKNOWN when the printer stays silent; never a guess."""
        try:
            return self._query_status()
        except PrinterOfflineError as exc:
            log.info("printer %s offline: %s", self.transport.target, exc)
            return PrinterStatus.OFFLINE

    def print_job(self, data: bytes) -> None:
        """Send one job or raise: PrinterOfflineError, PrinterNotReadyError (nothing sent) or
        PrinterWriteError (the link broke mid-job)."""
        if self.check_before_print:
            status = self._query_status()
            if not status.can_print and (status is not PrinterStatus.UNKNOWN or self.require_status):
                target = self.transport.target
                raise PrinterNotReadyError(f"printer {target} is {status.value}", status=status)
        self.transport.write(data)
        log.debug("printed %d bytes on %s", len(data), self.transport.target)

    def print_ticket(self, ticket: TicketPrint) -> None:
        self.print_job(render_ticket(ticket, self.layout))

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Printer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def make_transport(config: PrinterConfig) -> Transport:
    t = config.transport
    if isinstance(t, NetworkTransportConfig):
        return NetworkTransport(t.host, t.port, t.connect_timeout_s, t.io_timeout_s)
    if isinstance(t, SerialTransportConfig):
        return SerialTransport(t.path, t.baudrate)
    if isinstance(t, FileTransportConfig):
        return FileTransport(t.path)
    if isinstance(t, UsbTransportConfig):
        return UsbTransport(t.vendor_id, t.product_id, t.in_ep, t.out_ep, t.timeout_ms)
    raise AssertionError(f"unhandled transport {t!r}")


def open_printer(config: PrinterConfig) -> Printer:
    """A Printer for this config. Connects lazily: a kiosk starts even while its printer is off."""
    return Printer(
        make_transport(config),
        config.layout(),
        status_timeout=config.status_timeout_s,
        check_before_print=config.check_before_print,
        require_status=config.require_status,
    )
