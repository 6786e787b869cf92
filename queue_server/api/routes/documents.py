"""Documents of cases: print one (again) on its window's printer. The A4 pages are web pages
(``/console/documents/{id}`` for staff, ``/t/{token}/documents/{id}`` for the citizen).

The one write without an ``Idempotency-Key``: printing is the printer's I/O before the write that
records its outcome, so a key could not keep a repeat from printing; asking again prints again (what
the console's 重新打印 is for)."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.casework.models import PrintOutcome

router = APIRouter(prefix="/api/halls/{hall}/documents", tags=["documents"], responses=PROBLEM_RESPONSES)


@router.post(
    "/{document_id}/print", response_model=PrintOutcome, summary="print on the window's thermal printer"
)
def print_document(hall: HallDep, document_id: int, staff: HallStaff, services: ServicesDep) -> PrintOutcome:
    return services.print_document(hall, document_id)
