"""Documents of cases: print one (again) on its window's printer. The A4 pages are web pages
(``/console/documents/{id}`` for staff, ``/t/{token}/documents/{id}`` for the citizen)."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.routes.desk_deps import DeskDep
from queue_server.services.desk_models import PrintOutcome

router = APIRouter(prefix="/api/halls/{hall}/documents", tags=["documents"], responses=PROBLEM_RESPONSES)


@router.post(
    "/{document_id}/print", response_model=PrintOutcome, summary="print on the window's thermal printer"
)
def print_document(hall: HallDep, document_id: int, staff: HallStaff, desk: DeskDep) -> PrintOutcome:
    return desk.print_document(hall, document_id)
