"""Printing a case's documents at its window: the printer I/O between two transactions.

The document is read in one transaction, sent to the window's thermal printer outside any (a printer
may take seconds to answer, or never), and the outcome is written back in a transaction of its own.
"""

from __future__ import annotations

from queue_server.services.casework import documents
from queue_server.services.casework.documents import PrinterFactory
from queue_server.services.casework.models import PrintOutcome
from queue_server.services.engine.access import printer_target_refused
from queue_server.services.engine.runner import Runner
from queue_server.services.usecases import UseCase

NO_PRINTER = "该窗口未配置打印机，请打印A4文书。"


class DocumentPrinter:
    def __init__(self, runner: Runner, factory: PrinterFactory) -> None:
        self.runner = runner
        self.factory = factory

    def print(self, hall: str, document_id: int) -> PrintOutcome:
        """Print the document at its window's printer; the outcome says why not, in words."""
        row, config = self.runner.read(hall, lambda tx: documents.print_job(tx, document_id))
        if config is None:
            return PrintOutcome(document_id=document_id, kind=row.kind, printed=False, error=NO_PRINTER)
        # Checked again here: a printer stored before the allow-list (or since struck off it) is
        # never opened.
        error = printer_target_refused(config, self.runner.settings.printer_addresses)
        if error is None:
            error = documents.send(row, config, self.factory)
        return self.runner.write(
            hall,
            UseCase.RECORD_PRINT,
            lambda tx: documents.record_print(tx, document_id, error),
            PrintOutcome,
            request_id=None,
        )
