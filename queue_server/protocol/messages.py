"""Payloads of the hallq MQTT contract v1, as pydantic models (docs/design/PROTOCOL.md).

Incoming payloads are parsed once at the edge with ``codec.decode``; nothing deeper sees a raw dict.
Models accept unknown fields from newer peers (forward compatible) except request ``args``,
which are strict: a misspelt argument is a ``bad_request``, not a silently ignored wish.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, model_validator

from queue_server.protocol.codec import REQUEST_ID_MAX, ProtocolError, explain

# Re-exported: doors and devices import the error codes from this module, as before.
from queue_server.protocol.errors import ERROR_MESSAGES_ZH as ERROR_MESSAGES_ZH
from queue_server.protocol.errors import ErrorCode as ErrorCode


class _Msg(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- device status and config -------------------------------------------------------------------


class DeviceKind(StrEnum):
    KIOSK = "kiosk"
    HALL_DISPLAY = "hall_display"
    WINDOW_DISPLAY = "window_display"
    WINDOW_AGENT = "window_agent"
    SERVER = "server"


class DeviceStatus(_Msg):
    """Retained on ``dev/{id}/status``; the Last Will is the same with state offline."""

    state: Literal["online", "offline"]
    boot: int = Field(ge=0)
    kind: str | None = None
    version: str | None = None
    ts: float | None = None
    health: dict[str, str] = Field(default_factory=dict)

    def supersedes(self, older: DeviceStatus | None) -> bool:
        """Whether this status should replace ``older``: a stale Last Will must not win."""
        if older is None:
            return True
        if self.boot != older.boot:
            return self.boot > older.boot
        return True


class DeviceConfig(_Msg):
    """Retained on ``dev/{id}/config``: what a device needs to know about its place in the hall."""

    version: int = Field(ge=0)
    kind: str
    hall_name: str = ""
    window: str | None = None
    services: list[str] = Field(default_factory=list)
    printer_width_mm: Literal[58, 80] = 80
    language: str = "zh-CN"
    citizen_base_url: str = ""
    extra: dict[str, Any] = Field(default_factory=dict)
    # Window devices: the window's department as a narrow screen names it (the hall file's short
    # name, else its name); "" for hall devices and from a server that does not say.
    department: str = ""


# --- requests and replies -----------------------------------------------------------------------


class Op(StrEnum):
    CATALOG_GET = "catalog.get"
    TICKET_ISSUE = "ticket.issue"
    APPOINTMENT_CHECKIN = "appointment.checkin"
    TICKET_STATUS = "ticket.status"
    CALLS_SINCE = "calls.since"
    WINDOW_NEXT = "window.next"
    WINDOW_RECALL = "window.recall"
    WINDOW_START = "window.start"
    WINDOW_FINISH = "window.finish"
    WINDOW_NO_SHOW = "window.no_show"
    WINDOW_PAUSE = "window.pause"
    WINDOW_RESUME = "window.resume"
    RATING_SUBMIT = "rating.submit"


WINDOW_OPS = frozenset(op for op in Op if op.value.startswith("window."))


class Request(_Msg):
    """The envelope of every request on ``dev/{id}/req``. ``args`` is checked per op by ``parse_args``."""

    id: Annotated[str, Field(min_length=1, max_length=REQUEST_ID_MAX)]
    op: str
    args: dict[str, Any] = Field(default_factory=dict)
    ts: float | None = None


class CatalogGetArgs(_Args):
    etag: str | None = None


class TicketIssueArgs(_Args):
    service: str | None = Field(default=None, min_length=1, max_length=16)
    matter: str | None = Field(default=None, min_length=1, max_length=64)
    priority: str | None = Field(default=None, max_length=32)
    id_hash: str | None = Field(default=None, min_length=16, max_length=128)
    birth_date: date | None = None
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")
    materials: list[str] = Field(default_factory=list, max_length=100)
    # As AppointmentCheckinArgs.code, which it becomes: "" was accepted here and failed there (a 500).
    appointment: str | None = Field(default=None, min_length=1, max_length=64)
    return_for: str | None = Field(
        default=None, max_length=64, description="case number of a one-time notice: a linked return visit"
    )

    @model_validator(mode="after")
    def _service_or_matter(self) -> TicketIssueArgs:
        # A return visit names its first case; the server finds the matter and queue from it.
        if self.service is None and self.matter is None and self.return_for is None:
            raise ValueError("one of service, matter or return_for is required")
        return self


class AppointmentCheckinArgs(_Args):
    code: str | None = Field(default=None, min_length=1, max_length=64)
    id_hash: str | None = Field(default=None, min_length=16, max_length=128)
    walk_in_if_late: bool = False

    @model_validator(mode="after")
    def _code_or_id(self) -> AppointmentCheckinArgs:
        if self.code is None and self.id_hash is None:
            raise ValueError("one of code or id_hash is required")
        return self


class TicketStatusArgs(_Args):
    ticket_id: str = Field(min_length=1, max_length=64)


class CallsSinceArgs(_Args):
    seq: int = Field(ge=0)
    limit: int = Field(default=100, ge=1, le=500)


class NoArgs(_Args):
    pass


class WindowFinishArgs(_Args):
    outcome: str | None = Field(default=None, max_length=32)


class WindowPauseArgs(_Args):
    reason: str = Field(min_length=1, max_length=100)


class RatingSubmitArgs(_Args):
    """A rating pad's rating, kept by the agent until the reply (exactly once across server restarts)."""

    score: int = Field(ge=1, le=5)
    visit: str | None = Field(default=None, min_length=1, max_length=64, description="ticket_id rated")


ARGS_BY_OP: dict[Op, type[_Args]] = {
    Op.CATALOG_GET: CatalogGetArgs,
    Op.TICKET_ISSUE: TicketIssueArgs,
    Op.APPOINTMENT_CHECKIN: AppointmentCheckinArgs,
    Op.TICKET_STATUS: TicketStatusArgs,
    Op.CALLS_SINCE: CallsSinceArgs,
    Op.WINDOW_NEXT: NoArgs,
    Op.WINDOW_RECALL: NoArgs,
    Op.WINDOW_START: NoArgs,
    Op.WINDOW_FINISH: WindowFinishArgs,
    Op.WINDOW_NO_SHOW: NoArgs,
    Op.WINDOW_PAUSE: WindowPauseArgs,
    Op.WINDOW_RESUME: NoArgs,
    Op.RATING_SUBMIT: RatingSubmitArgs,
}


def parse_args(request: Request) -> tuple[Op, _Args]:
    """The typed op and arguments of a request; ProtocolError for an unknown op or bad args."""
    try:
        op = Op(request.op)
    except ValueError:
        raise ProtocolError(f"unknown op {request.op!r}") from None
    try:
        return op, ARGS_BY_OP[op].model_validate(request.args)
    except ValidationError as exc:
        raise ProtocolError(explain(exc)) from None


class ErrorBody(_Msg):
    code: str
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class Response(_Msg):
    id: str
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorBody | None = None

    @classmethod
    def success(cls, request_id: str, result: BaseModel | dict[str, Any]) -> Response:
        body = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        return cls(id=request_id, ok=True, result=body)

    @classmethod
    def failure(
        cls, request_id: str, code: ErrorCode | str, message: str | None = None, **detail: Any
    ) -> Response:
        code = str(code)
        if message is None:
            known = ErrorCode(code) if code in ErrorCode.__members__.values() else ErrorCode.INTERNAL
            message = ERROR_MESSAGES_ZH[known]
        return cls(id=request_id, ok=False, error=ErrorBody(code=code, message=message, detail=detail))


class ResultReply(_Msg):
    """A successful :class:`Response` to send, its result still a model: the same wire form as
    ``Response.success``, encoded in one pass instead of through a dict first. Receivers decode
    :class:`Response`."""

    id: str
    ok: Literal[True] = True
    result: SerializeAsAny[BaseModel]
    error: None = None


# --- results ------------------------------------------------------------------------------------


class MaterialLine(_Msg):
    code: str
    name: str
    required: bool = True
    checked: bool = False
    note: str = ""


class TicketResult(_Msg):
    """The answer to ``ticket.issue`` and ``appointment.checkin``: everything a kiosk prints."""

    ticket_id: str
    number: str
    service: str
    service_name: str
    matter: str | None = None
    matter_name: str | None = None
    hall_name: str
    issued_at: float
    people_ahead: int
    eta_min: int | None
    priority: str | None = None
    priority_label: str | None = None
    citizen_url: str
    materials: list[MaterialLine] = Field(default_factory=list)
    appointment: str | None = None
    notice: str = ""
    # The ticket's header and footer (hall file [hall]); empty from a server that does not say.
    hall_short_name: str = ""
    hall_address: str = ""
    hall_phone: str = ""


class TicketState(StrEnum):
    WAITING = "waiting"
    HELD = "held"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    TRANSFERRED = "transferred"
    VOID = "void"


class TicketStatusResult(_Msg):
    ticket_id: str
    number: str
    state: TicketState
    service: str
    position: int | None
    people_ahead: int | None
    eta_min: int | None
    window: str | None = None
    window_name: str | None = None
    case_number: str | None = None


class Disclosures(_Msg):
    """The eight public disclosures of a matter (八公开)."""

    content: str
    legal_basis: str
    conditions: str
    materials: list[MaterialLine]
    procedure: str
    time_limit: str
    fees: str
    result: str


# Their names on every screen and page that shows them (kiosk, public catalog pages), in the order the
# regulation lists them.
DISCLOSURE_LABELS: tuple[tuple[str, str], ...] = (
    ("content", "事项内容"),
    ("legal_basis", "设定依据"),
    ("conditions", "申请条件"),
    ("materials", "申请材料"),
    ("procedure", "办理流程"),
    ("time_limit", "承诺时限"),
    ("fees", "收费标准"),
    ("result", "办理结果"),
)


class MatterInfo(_Msg):
    code: str
    name: str
    service: str
    department: str
    case_type: str
    promised_days: int | None = None
    pinyin_initials: str = ""
    disclosures: Disclosures


class ServiceInfo(_Msg):
    code: str
    name: str
    open: bool
    reason: str = ""
    next_open: float | None = None
    waiting: int = 0
    eta_min: int | None = None
    # The kiosk tile's subtitle (hall file service.description): in catalog.get replies; the retained
    # hall state leaves it empty to stay small (a kiosk takes it from its catalog).
    description: str = ""


class CatalogResult(_Msg):
    etag: str
    not_modified: bool = False
    hall_name: str = ""
    services: list[ServiceInfo] = Field(default_factory=list)
    matters: list[MatterInfo] = Field(default_factory=list)


class CallKind(StrEnum):
    CALL = "call"
    RECALL = "recall"


class CallEvent(_Msg):
    """One call on ``…/calls``; ``seq`` is per hall, from the database, and never repeats."""

    seq: int = Field(ge=1)
    kind: CallKind
    ticket: str
    window: str
    window_name: str
    say: str
    ts: float
    ticket_id: str | None = None
    service: str | None = None


class CallsSinceResult(_Msg):
    calls: list[CallEvent]
    more: bool = False


class WindowStatus(StrEnum):
    IDLE = "idle"
    CALLING = "calling"
    SERVING = "serving"
    PAUSED = "paused"
    CLOSED = "closed"


class WindowBrief(_Msg):
    status: WindowStatus
    ticket: str | None = None
    staff: str | None = None


class WindowState(_Msg):
    """Retained on ``window/{no}/state``."""

    window: str
    name: str
    status: WindowStatus
    ticket: str | None = None
    ticket_id: str | None = None
    staff: str | None = None
    staff_id: str | None = None
    pause_reason: str | None = None
    services: list[str] = Field(default_factory=list)
    ts: float


class HallMode(StrEnum):
    OPEN = "open"
    EXTENDED = "extended"
    CLOSED = "closed"
    WEEKEND = "weekend"
    LUNCH_BREAK = "lunch_break"


class HallState(_Msg):
    """Retained on ``…/state``: a rebooted screen paints from this at once."""

    seq: int = Field(ge=0)
    open: bool
    extended: bool
    mode: HallMode = HallMode.OPEN
    hall_name: str = ""
    recent_calls: list[CallEvent] = Field(default_factory=list)
    windows: dict[str, WindowBrief] = Field(default_factory=dict)
    waiting: dict[str, int] = Field(default_factory=dict)
    eta_min: dict[str, int | None] = Field(default_factory=dict)
    services: list[ServiceInfo] = Field(default_factory=list)
    notice: str = ""
    catalog_etag: str = ""
    ts: float = 0.0


class RatingEvent(_Msg):
    id: Annotated[str, Field(min_length=1, max_length=REQUEST_ID_MAX)]
    score: int = Field(ge=1, le=5)
    ts: float | None = None
    visit: str | None = None


class DeviceEvent(_Msg):
    """Any other device event (scan, printer, button): kept in the event log as it came."""

    id: Annotated[str, Field(min_length=1, max_length=REQUEST_ID_MAX)]
    ts: float | None = None


class ServerStatus(_Msg):
    state: Literal["online", "offline"]
    instance: str
    boot: int = 0
    version: str | None = None
    ts: float | None = None


class WindowOpResult(_Msg):
    """The answer to a ``window.*`` op: the window as it now is, and the ticket the op acted on."""

    window: WindowState
    ticket: TicketStatusResult | None = None
    call: CallEvent | None = None
