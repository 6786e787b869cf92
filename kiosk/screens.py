"""What the kiosk shows: one frozen value per screen, built by the model, drawn by the UI.

A screen value holds everything its drawing needs, already in the citizen's words (zh-CN), so the
Kivy layer makes no decisions and tests can read exactly what a citizen would read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from queue_server.protocol.messages import TicketResult


class View(StrEnum):
    HOME = "home"
    SERVICE = "service"
    PICK = "pick"
    MATTER = "matter"
    MATERIALS = "materials"
    MISSING = "missing"
    NOTICE_PRINTED = "notice_printed"
    OPTIONS = "options"
    ISSUING = "issuing"
    TICKET = "ticket"
    REFUSED = "refused"
    GUIDE_DESK = "guide_desk"
    CHECKIN = "checkin"
    CHECKIN_LATE = "checkin_late"
    CAPTURE = "capture"
    OUT_OF_SERVICE = "out_of_service"


class Purpose(StrEnum):
    """Why the citizen is looking at a matter's materials: to queue, or only to get the list."""

    QUEUE = "queue"
    CHECKLIST = "checklist"


@dataclass(frozen=True, slots=True)
class ServiceTile:
    code: str
    name: str
    open: bool
    waiting: int
    eta_min: int | None
    status_text: str  # 等候 12 人 · 约 18 分钟 / 今日取号已截止 · 明天 08:30 开始取号
    description: str = ""  # the subtitle under the name (hall file service.description)


@dataclass(frozen=True, slots=True)
class MatterHit:
    code: str
    name: str
    service_name: str


@dataclass(frozen=True, slots=True)
class HomeScreen:
    hall_name: str
    notice: str
    tiles: tuple[ServiceTile, ...]
    query: str
    results: tuple[MatterHit, ...]
    catalog_ready: bool
    view: View = View.HOME


@dataclass(frozen=True, slots=True)
class ServiceScreen:
    tile: ServiceTile
    matters: tuple[MatterHit, ...]
    view: View = View.SERVICE


@dataclass(frozen=True, slots=True)
class PickScreen:
    """Choose a matter to see (and print) its materials checklist."""

    query: str
    matters: tuple[MatterHit, ...]
    view: View = View.PICK


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class MatterScreen:
    code: str
    name: str
    department: str
    sections: tuple[Section, ...]  # the eight disclosures, in the regulation's order
    can_queue: bool
    closed_text: str
    view: View = View.MATTER


@dataclass(frozen=True, slots=True)
class CheckLine:
    code: str
    name: str
    required: bool
    checked: bool
    note: str


@dataclass(frozen=True, slots=True)
class MaterialsScreen:
    matter_name: str
    lines: tuple[CheckLine, ...]
    purpose: Purpose
    missing: tuple[str, ...]  # names of required materials not ticked
    message: str = ""
    view: View = View.MATERIALS


@dataclass(frozen=True, slots=True)
class MissingScreen:
    matter_name: str
    missing: tuple[str, ...]
    view: View = View.MISSING


@dataclass(frozen=True, slots=True)
class NoticePrintedScreen:
    matter_name: str
    missing: tuple[str, ...]
    printed: bool
    message: str
    can_queue: bool
    view: View = View.NOTICE_PRINTED


@dataclass(frozen=True, slots=True)
class PriorityChoice:
    code: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class OptionsScreen:
    target_name: str
    id_read: bool
    age_priority: bool  # offered automatically from the ID card's birth date
    choices: tuple[PriorityChoice, ...]
    selected: str | None
    confirm_note: str  # "请到窗口出示相关证件确认优先资格" for a declared class
    message: str
    view: View = View.OPTIONS


@dataclass(frozen=True, slots=True)
class IssuingScreen:
    target_name: str
    message: str = ""  # set when the first attempts went unanswered: the citizen is asked to wait
    view: View = View.ISSUING


@dataclass(frozen=True, slots=True)
class TicketScreen:
    ticket: TicketResult
    printed: bool
    message: str
    confirm_note: str
    view: View = View.TICKET


@dataclass(frozen=True, slots=True)
class RefusedScreen:
    title: str
    message: str
    code: str
    view: View = View.REFUSED


@dataclass(frozen=True, slots=True)
class GuideDeskScreen:
    message: str
    view: View = View.GUIDE_DESK


@dataclass(frozen=True, slots=True)
class CheckinScreen:
    code: str
    message: str
    view: View = View.CHECKIN


@dataclass(frozen=True, slots=True)
class CheckinLateScreen:
    message: str
    view: View = View.CHECKIN_LATE


@dataclass(frozen=True, slots=True)
class CaptureScreen:
    """Photograph one material with the document camera: place, capture, confirm or retake."""

    matter_name: str
    material_name: str
    index: int  # this material's place among those to photograph, from 1
    total: int
    page: int  # the page the next capture becomes, from 1
    taken: int  # pages of this material confirmed so far
    preview: bytes | None = field(default=None, repr=False)  # the captured page awaiting confirmation
    message: str = ""
    busy: bool = False  # the camera is taking the picture
    view: View = View.CAPTURE


@dataclass(frozen=True, slots=True)
class OutOfServiceScreen:
    reasons: tuple[str, ...] = field(default_factory=tuple)
    view: View = View.OUT_OF_SERVICE


Screen = (
    HomeScreen
    | ServiceScreen
    | PickScreen
    | MatterScreen
    | MaterialsScreen
    | MissingScreen
    | NoticePrintedScreen
    | OptionsScreen
    | IssuingScreen
    | TicketScreen
    | RefusedScreen
    | GuideDeskScreen
    | CheckinScreen
    | CheckinLateScreen
    | CaptureScreen
    | OutOfServiceScreen
)
