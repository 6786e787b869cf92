"""Requests and results of the window's use cases (console, cases, documents, ratings, citizen page).

Requests are strict (unknown fields refused); results are frozen. Dates are hall-local ``date``s,
instants are UNIX seconds (as in the MQTT contract), texts meant for people are zh-CN.
"""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from queue_server.protocol.messages import (
    MaterialLine,
    TicketResult,
    TicketStatusResult,
    WindowOpResult,
    WindowState,
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- requests -------------------------------------------------------------------------------------


class CaseRequest(_Body):
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


class CallNumberRequest(_Body):
    """Call a ticket out of order by the number the citizen shows (today's, waiting or held)."""

    number: str = Field(pattern=r"^[A-Z]{1,3}[0-9]{3,}$")
    reason: str = Field(min_length=1, max_length=200)


class TransferRequest(_Body):
    """Exactly one target: a service, a window, or a person (the window they are signed in at)."""

    to_service: str | None = Field(None, max_length=3)
    to_window: str | None = Field(None, max_length=16)
    to_staff: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=200)


class PartDoneRequest(_Body):
    note: str = Field("", max_length=500)


class CloseCaseRequest(_Body):
    result: str = Field("", max_length=500, description="the outcome (办结结果)")


class CitizenRatingRequest(_Body):
    score: int = Field(ge=1, le=5)


class AssignRequest(_Body):
    assignee: str = Field(min_length=1, max_length=64, description="staff login")


class NoteRequest(_Body):
    text: str = Field(min_length=1, max_length=1000)


class CloseRectificationRequest(_Body):
    measures: str = Field(min_length=1, max_length=2000, description="what was done (整改措施)")


class SpecialRequest(_Body):
    service: str = Field(min_length=1, max_length=3)
    reason: str = Field(min_length=1, max_length=200)


class DoorVisitRequest(_Body):
    service: str = Field(min_length=1, max_length=3)
    matter: str | None = Field(None, max_length=64)
    applicant_name: str = Field(min_length=1, max_length=64)
    phone: str = Field(pattern=r"^[0-9+\- ]{5,20}$")
    address: str = Field(min_length=1, max_length=300)
    start: AwareDatetime
    end: AwareDatetime
    staff: str | None = Field(None, max_length=64, description="who goes (staff login)")
    note: str = Field("", max_length=500)


# --- cases and documents --------------------------------------------------------------------------


class DocumentInfo(_Model):
    id: int
    kind: str
    title: str
    issued_at: float
    print_count: int
    printed_at: float | None
    print_error: str | None
    url: str = Field(description="the A4 page for staff")


class PrintOutcome(_Model):
    document_id: int
    kind: str
    printed: bool
    error: str | None = None


class CasePartInfo(_Model):
    department: str
    department_name: str
    state: str
    done_at: float | None = None
    done_by: str | None = None
    note: str = ""


class MissingInfo(_Model):
    code: str | None
    name: str
    requirement: str = ""


class CaseBrief(_Model):
    case_number: str
    case_type: str
    case_type_label: str
    accepted_on: date
    deadline: date | None
    closed: bool
    matter_name: str
    ticket: str | None = None
    missing: list[str] = Field(default_factory=list)


class CaseView(_Model):
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


class FinishResult(_Model):
    op: WindowOpResult
    case: CaseView
    printing: list[PrintOutcome] = Field(default_factory=list)


class PromisedCase(_Model):
    case_number: str
    case_type_label: str
    matter_name: str
    accepted_on: date
    deadline: date
    state: str = Field(description="overdue | due_soon | on_track")
    overdue_working_days: int
    message: str
    parts_pending: int


class DepartmentCases(_Model):
    department: str
    department_name: str
    overdue: list[PromisedCase]
    due: list[PromisedCase]
    pending: list[PromisedCase]


class PromisedCases(_Model):
    today: date
    departments: list[DepartmentCases]


# --- console ------------------------------------------------------------------------------------


class QueueService(_Model):
    code: str
    name: str
    waiting: int
    longest_wait_min: int | None
    target_wait_min: int
    weight: int


class QueueTicket(_Model):
    ticket_id: str
    number: str
    service: str
    service_name: str
    matter_name: str | None
    priority_label: str | None
    special: bool
    appointment: bool
    waited_min: int


class PriorityInfo(_Model):
    code: str
    label: str
    basis: str | None
    basis_label: str
    confirmed: bool | None
    needs_confirmation: bool


class CurrentCitizen(_Model):
    ticket_id: str
    number: str
    state: str
    service: str
    service_name: str
    matter: str | None
    matter_name: str | None
    matter_case_type: str | None
    department: str | None = Field(description="the matter's department (code): a joint case's lead")
    promised_days: int | None
    priority: PriorityInfo | None
    special_reason: str | None
    appointment: str | None
    materials: list[MaterialLine]
    return_for: CaseBrief | None
    return_for_number: str | None
    earlier_cases: list[CaseBrief]
    waited_min: int
    recall_count: int
    called_at: float | None
    started_at: float | None
    deadlines: dict[str, date | None] = Field(description="deadline per case type if finished now")


class Option(_Model):
    code: str
    name: str
    note: str = ""


class CaseTypeOption(_Model):
    code: str
    label: str
    accepted: bool
    has_deadline: bool
    documents: list[str]


class ConsoleView(_Model):
    hall: str
    hall_name: str
    window: WindowState
    department: str
    licensing: bool
    services: list[QueueService]
    next_tickets: list[QueueTicket]
    held: list[QueueTicket]
    current: CurrentCitizen | None
    recent_cases: list[CaseBrief]
    transfer_services: list[Option]
    transfer_windows: list[Option]
    transfer_staff: list[Option]
    departments: list[Option]
    case_types: list[CaseTypeOption]
    open_rectifications: int
    has_printer: bool
    ts: float
    version: int = Field(
        ge=0,
        description="the database's latest event id when this picture was read (0: none yet). Every "
        "change appends an event, so a picture read later never has a smaller version: the console "
        "never replaces what it shows by a picture of a smaller version",
    )


class ConsoleReply(_Model):
    """A console action's answer: the window's picture read right after the action committed, which
    the console shows at once (no refresh that might land later), and what the action answered."""

    view: ConsoleView
    op: WindowOpResult | None = Field(None, description="a window action's result")
    ticket: TicketStatusResult | None = Field(None, description="hold or resume: the ticket now")
    finished: FinishResult | None = Field(None, description="finish as a case: the case and its printing")


# --- citizen page -------------------------------------------------------------------------------


class CitizenDocument(_Model):
    id: int
    kind: str
    title: str
    url: str


class CitizenView(_Model):
    hall_name: str
    number: str
    service_name: str
    matter_name: str | None
    state: str
    message: str = Field(description="the one sentence the page shows large")
    position: int | None
    people_ahead: int | None
    eta_min: int | None
    window: str | None
    window_name: str | None
    case_number: str | None
    case_type_label: str | None
    deadline: date | None
    documents: list[CitizenDocument]
    can_rate: bool
    rating: int | None
    rating_label: str | None


# --- ratings, rectification, special tickets, door-to-door ----------------------------------------


class RatingAck(_Model):
    score: int
    label: str
    bad: bool
    rectification_due: date | None


class RectificationStep(_Model):
    ts: float
    staff: str | None
    kind: str
    text: str


class RectificationView(_Model):
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


class RectificationList(_Model):
    items: list[RectificationView]
    open: int
    overdue: int


class RatingRow(_Model):
    ticket: str
    window: str | None
    staff: str | None
    score: int
    label: str
    bad: bool
    ts: float
    source: str


class SpecialTicket(_Model):
    ticket: TicketResult
    granted_by: str
    reason: str


class SpecialGrantView(_Model):
    number: str
    service: str
    reason: str
    granted_by: str
    granted_at: float
    state: str


class DoorVisitView(_Model):
    id: int
    service: str
    service_name: str
    matter: str | None
    matter_name: str | None
    applicant_name: str
    phone: str
    address: str
    start: float
    end: float
    staff: str | None
    staff_name: str | None
    state: str
    state_label: str
    note: str
    case: CaseView | None
