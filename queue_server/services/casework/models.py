"""Requests and replies of casework: cases, documents, ratings and rectification."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from queue_server.protocol.messages import (
    WindowOpResult,
)
from queue_server.services.engine.models import Reply, Request


class CaseRequest(Request):
    """What the window records when it closes a visit as a case (七件管理制)."""

    case_type: str = Field(max_length=16, description="immediate, promised, joint, approval, returned, …")
    applicant_name: str = Field("", max_length=64, description="printed masked on the documents")
    result: str = Field("", max_length=500, description="即办件: the result issued on the spot")
    lead_department: str | None = Field(None, max_length=32, description="联办件: default the matter's")
    co_departments: list[str] = Field(default_factory=list, max_length=20, description="联办件: codes")
    approval_authority: str = Field("", max_length=200, description="报批件: where it goes for approval")
    reasons: list[str] = Field(default_factory=list, max_length=20, description="退回件: why not accepted")
    missing_materials: list[str] = Field(
        default_factory=list, max_length=100, description="补办件: material codes from the matter's list"
    )
    special_reason: str = Field("", max_length=200, description="特办件: default the special ticket's")
    note: str = Field("", max_length=500)


class PartDoneRequest(Request):
    note: str = Field("", max_length=500)


class CloseCaseRequest(Request):
    result: str = Field("", max_length=500, description="the outcome (办结结果)")


class CitizenRatingRequest(Request):
    score: int = Field(ge=1, le=5)


class AssignRequest(Request):
    assignee: str = Field(min_length=1, max_length=64, description="staff login")


class NoteRequest(Request):
    text: str = Field(min_length=1, max_length=1000)


class CloseRectificationRequest(Request):
    measures: str = Field(min_length=1, max_length=2000, description="what was done (整改措施)")


class DocumentInfo(Reply):
    id: int
    kind: str
    title: str
    issued_at: float
    print_count: int
    printed_at: float | None
    print_error: str | None
    url: str = Field(description="the A4 page for staff")


class PrintOutcome(Reply):
    document_id: int
    kind: str
    printed: bool
    error: str | None = None


class CasePartInfo(Reply):
    department: str
    department_name: str
    state: str
    done_at: float | None = None
    done_by: str | None = None
    note: str = ""


class MissingInfo(Reply):
    code: str | None
    name: str
    requirement: str = ""


class CaseBrief(Reply):
    case_number: str
    case_type: str
    case_type_label: str
    accepted_on: date
    deadline: date | None
    closed: bool
    matter_name: str
    ticket: str | None = None
    missing: list[str] = Field(default_factory=list)


class CaseView(Reply):
    case_number: str
    case_type: str
    case_type_label: str
    accepted: bool
    accepted_on: date
    deadline: date | None
    due_state: str = Field(description="closed | overdue | due_soon | on_track | none")
    closed_at: float | None
    matter: str | None
    matter_name: str
    department: str | None
    department_name: str
    ticket: str | None
    window: str | None
    staff: str | None
    applicant: str = Field(description="masked")
    result: str
    approval_authority: str
    special_reason: str
    note: str
    parts: list[CasePartInfo]
    missing: list[MissingInfo]
    reasons: list[str]
    documents: list[DocumentInfo]
    return_for: str | None = Field(description="the earlier case this return visit completes")
    returns: list[str] = Field(description="later return visits of this case")
    has_details: bool


class FinishResult(Reply):
    op: WindowOpResult
    case: CaseView
    printing: list[PrintOutcome] = Field(default_factory=list)


class PromisedCase(Reply):
    case_number: str
    case_type_label: str
    matter_name: str
    accepted_on: date
    deadline: date
    state: str = Field(description="overdue | due_soon | on_track")
    overdue_working_days: int
    message: str
    parts_pending: int


class DepartmentCases(Reply):
    department: str
    department_name: str
    overdue: list[PromisedCase]
    due: list[PromisedCase]
    pending: list[PromisedCase]


class PromisedCases(Reply):
    today: date
    departments: list[DepartmentCases]


class RatingAck(Reply):
    score: int
    label: str
    bad: bool
    rectification_due: date | None


class RectificationStep(Reply):
    ts: float
    staff: str | None
    kind: str
    text: str


class RectificationView(Reply):
    id: int
    state: str
    state_label: str
    due: date
    overdue: bool
    opened_at: float
    closed_at: float | None
    score: int
    score_label: str
    ticket: str
    window: str | None
    rated_staff: str | None
    assignee: str | None
    assignee_name: str | None
    measures: str
    steps: list[RectificationStep]


class RectificationList(Reply):
    items: list[RectificationView]
    open: int
    overdue: int


class RatingRow(Reply):
    ticket: str
    window: str | None
    staff: str | None
    score: int
    label: str
    bad: bool
    ts: float
    source: str
