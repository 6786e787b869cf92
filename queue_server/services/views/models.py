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


class GuideNote(Reply):
    """A visit issued at the guide desk: by whom, and who came along (services/queue/guide.py)."""

    clerk_name: str
    accompanied_by: str
    note: str


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
    guide: GuideNote | None = Field(None, description="issued at the guide desk: the clerk, who came along")


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


class CitizenAppointment(Reply):
    code: str
    slot_start: float
    slot_end: float


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
    # The visit in detail (views/citizen_visit.py): cancel while waiting, what to bring, the
    # one-time notice, the appointment the citizen came for.
    can_cancel: bool = False
    materials: list[MaterialLine] = Field(default_factory=list)
    notice_url: str | None = Field(None, description="the one-time notice (一次性告知书), if one was given")
    appointment: CitizenAppointment | None = None
    # Where the hall is and how to call it (hall file [hall] address, phone): the page's footer.
    hall_address: str = ""
    hall_phone: str = ""


class PauseFigure(Reply):
    count: int
    minutes: float


class StatsFigures(Reply):
    """The figures of one report row or its total (docs/design/DOMAIN.md, "Statistics"). Times in
    seconds, shares 0..1; None where nothing was measured or the figure does not exist in the grouping
    (window time and ratings: by day, window, staff, hall; appointments: by day, service, department,
    hall; cases: by day, department, hall; extended-hours tickets: by day and hall)."""

    issued: int = Field(description="tickets issued (a transfer's continuation is not a new ticket)")
    visits: int = Field(description="tickets called to a window (each queue a ticket passed through)")
    served: int
    no_show: int
    transferred: int
    voided: int
    abandoned: int = Field(description="still waiting when their service day ended")
    waiting: int = Field(description="still waiting now (today)")
    recalls: int
    called_in_target: int
    service_level: float | None = Field(
        description="called within target ÷ (called + never called after waiting past target + abandoned)"
    )
    wait_mean_s: float | None
    wait_median_s: float | None
    wait_p90_s: float | None
    wait_p95_s: float | None
    handling_mean_s: float | None
    handling_median_s: float | None
    handling_p90_s: float | None
    handling_p95_s: float | None
    weekend_issued: int | None = Field(default=None, description="issued on weekends and holidays")
    extended_tickets: int | None = Field(default=None, description="first called after closing time")
    extended_minutes: int | None = Field(default=None, description="minutes windows worked past closing")
    signed_in_minutes: float | None = None
    serving_minutes: float | None = None
    utilisation: float | None = Field(default=None, description="serving ÷ signed-in time")
    pauses: int | None = None
    pause_minutes: float | None = None
    pauses_by_reason: dict[str, PauseFigure] | None = None
    idle_waiting_minutes: float | None = Field(
        default=None,
        description="minutes a window was open and idle while a ticket it serves was waiting",
    )
    ratings: int | None = None
    ratings_by_level: dict[str, int] | None = Field(default=None, description="level 1 (worst) .. 5 (best)")
    bad_ratings: int | None = None
    satisfaction: float | None = Field(default=None, description="ratings of level 3-5 ÷ ratings")
    rectifications_closed: int | None = None
    rectifications_in_time: int | None = None
    appointments_booked: int | None = None
    appointments_kept: int | None = None
    appointments_late: int | None = None
    appointments_missed: int | None = None
    cases: int | None = None
    cases_by_type: dict[str, int] | None = None
    promised_due: int | None = Field(
        default=None, description="promised cases whose deadline is in the range"
    )
    promised_overdue: int | None = Field(default=None, description="of those, closed late or open past it")
    enquiries: int | None = Field(default=None, description="enquiries (咨询) recorded at the guide desk")
    enquiries_by_matter: dict[str, int] | None = Field(
        default=None, description='enquiries per matter code ("": no matter chosen, only a service)'
    )


class StatsRow(StatsFigures):
    key: str
    label: str


class StatsSubtotal(StatsRow):
    """A county's subtotal (小计) in a city's comparison of halls: its hall and its townships."""

    halls: list[str] = Field(description="the keys of the rows it adds up, in the rows' order")


class StatsResult(Reply):
    hall: str
    date_from: date
    date_to: date
    group: str
    rows: list[StatsRow]
    total: StatsFigures
    subtotals: list[StatsSubtotal] = Field(
        default_factory=list,
        description="group hall of a city: a subtotal per county, each after its last row; counts and "
        "minutes added up, mean wait, satisfaction and utilisation recomputed from them, medians, "
        "percentiles, service level and mean handling left out (null: not derivable from the rows)",
    )


class Heatmap(Reply):
    measure: str
    weekdays: list[str]
    hours: list[int]
    cells: list[tuple[int, int, float | None]] = Field(description="[weekday 0=Monday, hour, value]")


class EvaluationRow(StatsRow):
    """One person's period (考核): the staff figures of the report plus their overdue cases."""

    login: str
    overdue_cases: int


class Evaluation(Reply):
    hall: str
    date_from: date
    date_to: date
    rows: list[EvaluationRow]


class RotationRow(Reply):
    login: str
    name: str
    window: str
    window_name: str
    since: date
    days: int


class Rotation(Reply):
    hall: str
    today: date
    years: int
    rows: list[RotationRow]


class QualificationRow(Reply):
    login: str
    name: str
    role: str
    qualification_no: str | None
    expires: date | None
    status: str = Field(description="expired | expiring (within 90 days) | valid | none")
    days_left: int | None


class Qualifications(Reply):
    hall: str
    today: date
    rows: list[QualificationRow]
