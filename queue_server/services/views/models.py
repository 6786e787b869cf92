"""The read models: the counter console, the citizen page and the statistics."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from queue_server.protocol.messages import (
    MaterialLine,
    TicketStatusResult,
    WindowOpResult,
    WindowState,
)
from queue_server.services.casework.models import CaseBrief, FinishResult
from queue_server.services.engine.models import Reply


class QueueService(Reply):
    code: str
    name: str
    waiting: int
    longest_wait_min: int | None
    target_wait_min: int
    weight: int


class QueueTicket(Reply):
    ticket_id: str
    number: str
    service: str
    service_name: str
    matter_name: str | None
    priority_label: str | None
    special: bool
    appointment: bool
    waited_min: int


class PriorityInfo(Reply):
    code: str
    label: str
    basis: str | None
    basis_label: str
    confirmed: bool | None
    needs_confirmation: bool


class CurrentCitizen(Reply):
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


class Option(Reply):
    code: str
    name: str
    note: str = ""


class CaseTypeOption(Reply):
    code: str
    label: str
    accepted: bool
    has_deadline: bool
    documents: list[str]


class ConsoleView(Reply):
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


class ConsoleReply(Reply):
    """A console action's answer: the window's picture read right after the action committed, which
    the console shows at once (no refresh that might land later), and what the action answered."""

    view: ConsoleView
    op: WindowOpResult | None = Field(None, description="a window action's result")
    ticket: TicketStatusResult | None = Field(None, description="hold or resume: the ticket now")
    finished: FinishResult | None = Field(None, description="finish as a case: the case and its printing")


class CitizenDocument(Reply):
    id: int
    kind: str
    title: str
    url: str


class CitizenView(Reply):
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


class StatsRow(Reply):
    """One service or window over the period. Times in seconds; None when nothing to measure."""

    key: str
    name: str
    tickets: int
    served: int
    no_shows: int
    transferred: int
    mean_wait_s: float | None
    p90_wait_s: float | None
    mean_handling_s: float | None
    within_target: float | None = Field(description="share (0..1) of called tickets called within target")


class StatsResult(Reply):
    hall: str
    date_from: date
    date_to: date
    total: StatsRow
    services: list[StatsRow]
    windows: list[StatsRow]
