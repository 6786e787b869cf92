"""The kiosk's view model: every flow a citizen can walk through, in plain Python (no Kivy).

The Kivy app calls the actions (``open_service``, ``toggle_material``, ``take_ticket``, …) and redraws
``model.screen`` whenever a listener fires. Network and printer work runs on the injected runners
(worker threads in the app, inline in tests); the model is safe to call from any thread.

The ticket rule lives in :meth:`KioskModel._transact`: journal the request, send it, resend the SAME
id when no reply comes, print only what the server answered, and send the citizen to the guide desk
when nothing gets through within a few seconds.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from devices.errors import DeviceError
from queue_server.protocol.client import RequestTimeoutError
from queue_server.protocol.messages import (
    ERROR_MESSAGES_ZH,
    AppointmentCheckinArgs,
    CatalogGetArgs,
    CatalogResult,
    DeviceConfig,
    ErrorCode,
    HallState,
    MatterInfo,
    Op,
    Response,
    TicketIssueArgs,
    TicketResult,
)

from . import priority
from .catalog import CatalogCache
from .clock import Clock, describe_opening, local
from .home import (
    check_lines,
    disclosure_sections,
    matter_hits,
    missing_required,
    service_tiles,
)
from .link import ServerPort
from .outbox import Outbox
from .ports import (
    AppointmentRead,
    IdRead,
    MissingNotice,
    PrinterStatus,
    Read,
    TicketPrinter,
    UnusableRead,
    Voice,
)
from .screens import (
    CheckinLateScreen,
    CheckinScreen,
    GuideDeskScreen,
    HomeScreen,
    IssuingScreen,
    MaterialsScreen,
    MatterScreen,
    MissingScreen,
    NoticePrintedScreen,
    OptionsScreen,
    OutOfServiceScreen,
    PickScreen,
    PriorityChoice,
    Purpose,
    RefusedScreen,
    Screen,
    ServiceScreen,
    ServiceTile,
    TicketScreen,
    View,
)
from .tickets import AlreadyPrinting, Broken, Outcome, Refused, TicketDesk, Unreachable

log = logging.getLogger(__name__)

Runner = Callable[[Callable[[], None]], None]
Undo = Callable[[], None]

GUIDE_DESK_TEXT = "请到导办台咨询"
CODE_MAX = 32


def run_inline(job: Callable[[], None]) -> None:
    job()


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """Timing of the kiosk's flows. The defaults are the field values; tests shorten them."""

    # One attempt waits this long for the reply, then the same request id is sent again.
    issue_timeout_s: float = 1.0
    # 3 x 1 s: "a request that cannot get through within a few seconds" goes to the guide desk.
    issue_attempts: int = 3
    probe_timeout_s: float = 2.0
    probe_every_s: float = 30.0
    probe_retry_s: float = 5.0
    printer_poll_s: float = 5.0
    idle_timeout_s: float = 90.0
    # Older citizens read slower and tap slower: give them twice the time before the reset.
    elderly_idle_timeout_s: float = 180.0
    result_screen_s: float = 30.0
    # A journaled request older than this is not resent after a restart: its citizen has gone.
    outbox_max_age_s: float = 600.0
    outbox_keep_s: float = 7 * 24 * 3600.0
    elderly_age: int = priority.DEFAULT_ELDERLY_AGE
    # A printer that never answers status queries (a write-only USB node) is UNKNOWN, not broken:
    # like ``PrinterConfig.require_status``, only a kiosk configured so treats it as out of service.
    require_printer_status: bool = False


class OutReason(StrEnum):
    BROKER = "broker"
    SERVER = "server"
    PRINTER = "printer"


_PRINTER_TEXT: dict[PrinterStatus, str] = {
    PrinterStatus.PAPER_OUT: "打印纸已用完",
    PrinterStatus.COVER_OPEN: "打印机仓盖未关闭",
    PrinterStatus.OFFLINE: "打印机未连接",
    PrinterStatus.UNKNOWN: "打印机无响应",
}

# Screens in the middle of (or just after) a ticket transaction: an outage does not cover them.
_TRANSACTION_VIEWS = frozenset({View.ISSUING, View.TICKET, View.GUIDE_DESK})
# Result screens go home by themselves after ``result_screen_s``.
_RESULT_VIEWS = frozenset({View.TICKET, View.GUIDE_DESK, View.REFUSED, View.NOTICE_PRINTED})

_PROMPTS: dict[View, str] = {
    View.HOME: "欢迎使用自助取号机，请选择要办理的业务",
    View.SERVICE: "请选择具体办理的事项",
    View.PICK: "请选择要查看材料清单的事项",
    View.MATTER: "这是该事项的办事指南，确认后请点击开始取号",
    View.MATERIALS: "请逐项核对您带齐的材料，已带的请打勾",
    View.MISSING: "您还缺少部分材料，可以打印一次性告知单，或者仍然取号",
    View.OPTIONS: "如需优先办理，可以刷身份证或选择优先类别，然后点击取号",
    View.ISSUING: "正在取号，请稍候",
    View.GUIDE_DESK: "暂时无法取号，请到导办台咨询",
    View.CHECKIN: "请扫描预约二维码，或输入预约码",
    View.CHECKIN_LATE: "您已超过预约签到时间，可以现场取号办理",
    View.OUT_OF_SERVICE: "本机暂停服务，请到导办台咨询",
}


@dataclass
class _Citizen:
    """Everything the kiosk knows about the person in front of it; forgotten on every reset."""

    query: str = ""
    service: str | None = None
    matter: str | None = None
    purpose: Purpose = Purpose.QUEUE
    checked: set[str] = field(default_factory=set)
    id_hash: str | None = None
    birth_date: date | None = None
    priority: str | None = None
    checkin_code: str = ""
    late_code: str | None = None
    late_id_hash: str | None = None
    message: str = ""


class KioskModel:
    """The kiosk's flows and state. Thread-safe; listeners are told after every change."""

    def __init__(
        self,
        *,
        server: ServerPort,
        catalog: CatalogCache,
        outbox: Outbox,
        printer: TicketPrinter,
        clock: Clock,
        voice: Voice | None = None,
        settings: KioskSettings | None = None,
        run_citizen: Runner = run_inline,
        run_background: Runner = run_inline,
    ) -> None:
        self.server = server
        self.catalog = catalog
        self.outbox = outbox
        self.printer = printer
        self.clock = clock
        self.voice = voice
        self.settings = settings or KioskSettings()
        self.desk = TicketDesk(
            server=server,
            outbox=outbox,
            printer=printer,
            clock=clock,
            timeout_s=self.settings.issue_timeout_s,
            attempts=self.settings.issue_attempts,
            max_age_s=self.settings.outbox_max_age_s,
            keep_s=self.settings.outbox_keep_s,
        )
        self._run_citizen = run_citizen
        self._run_background = run_background
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self._state: HallState | None = None
        self._config: DeviceConfig | None = None
        self._connected = server.connected
        self._server_ok = True  # until a probe says otherwise
        self._printer = PrinterStatus.UNKNOWN
        self._printer_checked = False  # out of service until the printer was asked once
        self._citizen = _Citizen()
        self._screen: Screen = self._home_screen()
        self._elderly = False
        self._voice_on = False
        self._busy = False
        self._probing = False
        self._polling = False
        now = clock.monotonic()
        self._last_touch = now
        self._screen_since = now
        self._next_probe = now
        self._next_poll = now
        self._last_health: dict[str, str] = {}

    # --- what the UI reads ----------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        """The screen to draw now: the out-of-service screen covers everything but a transaction."""
        with self._lock:
            reasons = self._out_reasons()
            if reasons and self._screen.view not in _TRANSACTION_VIEWS:
                return OutOfServiceScreen(tuple(reasons))
            return self._screen

    @property
    def hall_name(self) -> str:
        with self._lock:
            return self._hall_name()

    @property
    def elderly(self) -> bool:
        return self._elderly

    @property
    def voice_on(self) -> bool:
        return self._voice_on

    @property
    def printer_status(self) -> PrinterStatus:
        return self._printer

    @property
    def in_service(self) -> bool:
        with self._lock:
            return not self._out_reasons()

    def health(self) -> dict[str, str]:
        """What the kiosk's retained status tells the server and the managers."""
        with self._lock:
            reasons = self._out_reasons()
            return {
                "printer": self._printer.value,
                "server": "ok" if self._server_ok else "unreachable",
                "service": "out_of_service" if reasons else "ok",
                "elderly_mode": "on" if self._elderly else "off",
            }

    def on_change(self, listener: Callable[[], None]) -> Undo:
        with self._lock:
            self._listeners.append(listener)

        def undo() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return undo

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """First printer check and server probe, then finish whatever the journal left open."""
        self._run_background(self._poll_printer)
        self._run_background(self._probe)
        self._run_citizen(self._recover)

    def tick(self) -> None:
        """Called about once a second: idle reset, result screens, probes and printer polls."""
        now = self.clock.monotonic()
        with self._lock:
            view = self._screen.view
            idle = now - self._last_touch
            limit = self.settings.elderly_idle_timeout_s if self._elderly else self.settings.idle_timeout_s
            if view in _RESULT_VIEWS:
                limit = min(limit, self.settings.result_screen_s)
            go_home = not self._busy and view is not View.HOME and idle >= limit
            if not go_home and view is View.HOME and idle >= limit and (self._elderly or self._citizen.query):
                go_home = True  # forget a half-typed search and the elderly mode too
            probe = self._connected and not self._probing and now >= self._next_probe
            poll = not self._polling and now >= self._next_poll
            if probe:
                self._probing = True
            if poll:
                self._polling = True
        if go_home:
            self.reset()
        if probe:
            self._run_background(self._probe_claimed)
        if poll:
            self._run_background(self._poll_claimed)

    # --- inputs from the network and hardware ------------------------------------------------------

    # These three run on paho's network thread: they only record and schedule (the next ``tick``
    # probes), never wait for a reply, which that very thread would have to deliver.

    def hall_state(self, state: HallState) -> None:
        with self._lock:
            self._state = state
            stale = bool(state.catalog_etag) and state.catalog_etag != self.catalog.etag
            if stale:
                self._next_probe = self.clock.monotonic()
            self._refresh_home()
        self._notify()

    def device_config(self, config: DeviceConfig) -> None:
        with self._lock:
            self._config = config
            self._refresh_home()
        self._notify()

    def connection(self, up: bool) -> None:
        with self._lock:
            was_out = bool(self._out_reasons())
            self._connected = up
            if up:
                self._next_probe = self.clock.monotonic()
            self._after_service_change(was_out)
        self._notify()
        self._publish_health()

    def printer_changed(self, status: PrinterStatus) -> None:
        with self._lock:
            if status == self._printer and self._printer_checked:
                return
            was_out = bool(self._out_reasons())
            self._printer = status
            self._printer_checked = True
            self._after_service_change(was_out)
        log.info("printer status: %s", status.value)
        self._notify()
        self._publish_health()

    def refresh_printer(self) -> None:
        """Ask the printer now (on the background worker), e.g. after staff changed the paper."""
        self._run_background(self._poll_printer)

    def refresh_catalog(self) -> None:
        """Ask ``catalog.get`` with the cached etag (also the server probe) on a background worker."""
        with self._lock:
            if self._probing:
                return
            self._probing = True
        self._run_background(self._probe_claimed)

    def scan(self, read: Read) -> None:
        """A scanner read: an ID card, an appointment code or a material's barcode, by screen."""
        self.touch()
        if isinstance(read, UnusableRead):
            self._message(read.message)
            return
        view = self.screen.view
        if isinstance(read, IdRead):
            if view is View.CHECKIN:
                self._start_checkin(code=None, id_hash=read.id_hash)
            elif view is View.OPTIONS:
                self._id_read(read)
            else:
                self._message("请在取号前的优先选项页刷身份证")
        elif isinstance(read, AppointmentRead):
            if view in (View.HOME, View.CHECKIN):
                self._start_checkin(code=read.code, id_hash=None)
        elif view is View.MATERIALS:
            self._tick_scanned(read.code)

    # --- home, search, elderly mode -----------------------------------------------------------------

    def touch(self) -> None:
        """Any touch on the screen counts as activity (scrolling a long disclosure too)."""
        with self._lock:
            self._last_touch = self.clock.monotonic()

    def home(self) -> None:
        """The citizen pressed 返回首页: forget what they entered, keep the elderly mode."""
        with self._lock:
            elderly, voice = self._elderly, self._voice_on
            self._citizen = _Citizen()
            self._elderly, self._voice_on = elderly, voice
            self._set(self._home_screen())
        self._notify()

    def reset(self) -> None:
        """Idle or end of a visit: home, the citizen's data forgotten, normal mode."""
        with self._lock:
            self._citizen = _Citizen()
            self._elderly = False
            self._voice_on = False
            self._set(self._home_screen())
        self._notify()

    def toggle_elderly(self) -> None:
        """One tap: large fonts and high contrast, and voice prompts with it (适老化)."""
        with self._lock:
            self._elderly = not self._elderly
            self._voice_on = self._elderly
            self._touch()
            self._say(_PROMPTS[View.HOME] if self._elderly else "")
        self._notify()
        self._publish_health()

    def toggle_voice(self) -> None:
        with self._lock:
            self._voice_on = not self._voice_on
            self._touch()
            self._say(_PROMPTS.get(self._screen.view, ""))
        self._notify()

    def type_search(self, text: str) -> None:
        """Append letters or characters to the search (the on-screen keyboard sends one at a time)."""
        with self._lock:
            self._citizen.query = (self._citizen.query + text)[:CODE_MAX]
            self._touch()
            self._refresh_search()
        self._notify()

    def set_search(self, text: str) -> None:
        with self._lock:
            self._citizen.query = text[:CODE_MAX]
            self._touch()
            self._refresh_search()
        self._notify()

    def backspace_search(self) -> None:
        with self._lock:
            self._citizen.query = self._citizen.query[:-1]
            self._touch()
            self._refresh_search()
        self._notify()

    # --- service, matter, materials ------------------------------------------------------------

    def open_service(self, code: str) -> None:
        with self._lock:
            self._touch()
            tile = self._tile(code)
            if tile is None:
                return
            if not tile.open:
                self._set(RefusedScreen("该业务暂停取号", tile.status_text, ErrorCode.SERVICE_CLOSED.value))
            else:
                matters = self.catalog.matters_of(code)
                self._citizen.service = code
                self._citizen.matter = None
                self._citizen.purpose = Purpose.QUEUE
                if matters:
                    self._set(ServiceScreen(tile, matter_hits(matters, self.catalog.catalog)))
                else:
                    self._set(self._options_screen())
        self._notify()

    def take_service_ticket(self) -> None:
        """From a service's matter list: queue for the service without choosing a matter."""
        with self._lock:
            self._touch()
            self._citizen.matter = None
            self._citizen.checked.clear()
            self._set(self._options_screen())
        self._notify()

    def open_checklist(self) -> None:
        """Home's 材料清单 button: pick a matter to see and print what to bring."""
        with self._lock:
            self._touch()
            self._citizen = _Citizen(purpose=Purpose.CHECKLIST)
            self._set(self._pick_screen())
        self._notify()

    def open_matter(self, code: str) -> None:
        with self._lock:
            self._touch()
            matter = self.catalog.matter(code)
            if matter is None:
                return
            self._citizen.matter = code
            self._citizen.service = matter.service
            self._citizen.checked = set()
            if self._citizen.purpose is Purpose.CHECKLIST:
                self._set(self._materials_screen(matter))
            else:
                self._set(self._matter_screen(matter))
        self._notify()

    def start_materials(self) -> None:
        """From the matter page: check the materials before queueing."""
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None:
                return
            if not matter.disclosures.materials:
                self._set(self._options_screen())
            else:
                self._set(self._materials_screen(matter))
        self._notify()

    def toggle_material(self, code: str) -> None:
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None or self._screen.view is not View.MATERIALS:
                return
            if code in self._citizen.checked:
                self._citizen.checked.discard(code)
            elif any(m.code == code for m in matter.disclosures.materials):
                self._citizen.checked.add(code)
            self._set(self._materials_screen(matter), prompt=False)
        self._notify()

    def materials_done(self) -> None:
        """继续: all required materials ticked goes on to the ticket; missing ones are named first."""
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None:
                return
            missing = missing_required(matter, frozenset(self._citizen.checked))
            if missing:
                self._set(MissingScreen(matter.name, tuple(m.name for m in missing)))
            else:
                self._set(self._options_screen())
        self._notify()

    def queue_anyway(self) -> None:
        with self._lock:
            self._touch()
            self._set(self._options_screen())
        self._notify()

    def back_to_materials(self) -> None:
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is not None:
                self._set(self._materials_screen(matter))
        self._notify()

    def print_missing_notice(self) -> None:
        """Print the one-time notice of ALL missing required materials (checklist: all unticked ones)."""
        with self._lock:
            self._touch()
            matter = self._matter()
            if matter is None:
                return
            checklist = self._citizen.purpose is Purpose.CHECKLIST
            checked = frozenset(self._citizen.checked)
            lines = (
                tuple(m for m in matter.disclosures.materials if m.code not in checked)
                if checklist
                else missing_required(matter, checked)
            )
            notice = MissingNotice(
                hall_name=self._hall_name(),
                matter_code=matter.code,
                matter_name=matter.name,
                department=matter.department,
                legal_basis=matter.disclosures.legal_basis,
                missing=lines,
                issued_at=self.clock.now(),
                checklist_only=checklist,
            )
            names = tuple(m.name for m in lines)
            if not self._printer_usable():
                text = "打印机暂不可用，请拍照记录所缺材料"
                self._set(NoticePrintedScreen(matter.name, names, False, text, not checklist))
                self._notify()
                return
            if self._busy:
                return
            self._busy = True
            self._set(IssuingScreen("正在打印"), prompt=False)
        self._notify()
        self._run_citizen(lambda: self._print_notice(notice, names, checklist))

    def _print_notice(self, notice: MissingNotice, names: tuple[str, ...], checklist: bool) -> None:
        try:
            self.printer.print_notice(notice)
            text = "请取走材料清单" if checklist else "请取走告知单，备齐材料后再来办理"
            screen = NoticePrintedScreen(notice.matter_name, names, True, text, not checklist)
        except DeviceError as exc:
            log.warning("notice not printed: %s", exc)
            self._poll_printer()
            text = "打印失败，请拍照记录所缺材料"
            screen = NoticePrintedScreen(notice.matter_name, names, False, text, not checklist)
        self._finish(screen)

    # --- ticket options and the ticket -------------------------------------------------------------

    def choose_priority(self, code: str | None) -> None:
        """Select a priority class (tap again to clear); a declared class is confirmed at the window."""
        with self._lock:
            self._touch()
            if self._screen.view is not View.OPTIONS:
                return
            if code is None or code == self._citizen.priority:
                self._citizen.priority = None
            elif code == priority.ELDERLY and not self._age_priority():
                return  # only an ID card's birth date grants it here
            elif priority.option(code) is not None:
                self._citizen.priority = code
            self._set(self._options_screen(), prompt=False)
        self._notify()

    def read_id(self, read: IdRead) -> None:
        """An ID card read delivered directly (the scanner path goes through :meth:`scan`)."""
        self._id_read(read)

    def take_ticket(self) -> None:
        """取号: ask the server, then print exactly what it answered."""
        with self._lock:
            self._touch()
            if self._busy or self._screen.view is not View.OPTIONS or self._out_reasons():
                return
            c = self._citizen
            matter = self._matter()
            try:
                args = TicketIssueArgs(
                    service=c.service,
                    matter=c.matter,
                    priority=c.priority,
                    id_hash=c.id_hash,
                    birth_date=c.birth_date,
                    materials=sorted(c.checked),
                )
            except ValidationError:
                log.exception("ticket arguments rejected before sending")
                self._set(GuideDeskScreen(f"取号信息有误，{GUIDE_DESK_TEXT}"))
                self._notify()
                return
            target = matter.name if matter is not None else self._service_name(c.service)
            self._busy = True
            self._set(IssuingScreen(target))
        self._notify()
        wire = args.model_dump(mode="json", exclude_none=True)
        self._run_citizen(lambda: self._transact(Op.TICKET_ISSUE, wire))

    # --- appointment check-in -----------------------------------------------------------------------

    def open_checkin(self) -> None:
        with self._lock:
            self._touch()
            self._citizen = _Citizen()
            self._set(CheckinScreen("", ""))
        self._notify()

    def checkin_key(self, ch: str) -> None:
        with self._lock:
            self._touch()
            if self._screen.view is not View.CHECKIN:
                return
            self._citizen.checkin_code = (self._citizen.checkin_code + ch.upper())[:CODE_MAX]
            self._set(CheckinScreen(self._citizen.checkin_code, ""), prompt=False)
        self._notify()

    def checkin_backspace(self) -> None:
        with self._lock:
            self._touch()
            if self._screen.view is not View.CHECKIN:
                return
            self._citizen.checkin_code = self._citizen.checkin_code[:-1]
            self._set(CheckinScreen(self._citizen.checkin_code, ""), prompt=False)
        self._notify()

    def submit_checkin(self) -> None:
        code = self._citizen.checkin_code.strip()
        if not code:
            with self._lock:
                self._set(CheckinScreen("", "请先输入预约码"), prompt=False)
            self._notify()
            return
        self._start_checkin(code=code, id_hash=None)

    def walk_in(self) -> None:
        """After a too-late check-in: the same appointment becomes a walk-in ticket."""
        with self._lock:
            self._touch()
            if self._screen.view is not View.CHECKIN_LATE:
                return
            code, id_hash = self._citizen.late_code, self._citizen.late_id_hash
        self._start_checkin(code=code, id_hash=id_hash, walk_in=True)

    # --- internals: transactions ---------------------------------------------------------------

    def _start_checkin(self, *, code: str | None, id_hash: str | None, walk_in: bool = False) -> None:
        with self._lock:
            self._touch()
            if self._busy or self._out_reasons():
                return
            try:
                args = AppointmentCheckinArgs(code=code, id_hash=id_hash, walk_in_if_late=walk_in)
            except ValidationError:
                self._set(CheckinScreen(self._citizen.checkin_code, "预约码格式不正确，请核对"), prompt=False)
                self._notify()
                return
            self._citizen.late_code, self._citizen.late_id_hash = code, id_hash
            self._busy = True
            self._set(IssuingScreen("预约签到"))
        self._notify()
        self._run_citizen(
            lambda: self._transact(Op.APPOINTMENT_CHECKIN, args.model_dump(mode="json", exclude_none=True))
        )

    def _transact(self, op: Op, args: dict[str, Any]) -> None:
        """The ticket rule (``kiosk.tickets``) on the citizen worker, then the screen it leads to."""
        try:
            if not self._printer_ready():
                self._finish(GuideDeskScreen(f"打印机暂不可用，{GUIDE_DESK_TEXT}"))
                return
            self._show(self.desk.issue(op, args))
        except Exception:
            log.exception("%s failed unexpectedly", op.value)
            self._finish(GuideDeskScreen(f"系统异常，{GUIDE_DESK_TEXT}"))

    def _recover(self) -> None:
        """After a restart: finish what the journal left open, showing each ticket as it prints."""
        with self._lock:
            self._busy = True
        try:
            self.desk.recover(self._show)
        finally:
            with self._lock:
                self._busy = False

    def _show(self, outcome: Outcome) -> None:
        if isinstance(outcome, AlreadyPrinting):
            return
        if isinstance(outcome, Unreachable):
            with self._lock:
                self._server_ok = False
                self._next_probe = self.clock.monotonic() + self.settings.probe_retry_s
            self._finish(GuideDeskScreen(f"暂时无法连接取号系统，{GUIDE_DESK_TEXT}"))
            self._publish_health()
            return
        with self._lock:
            self._server_ok = True
        if isinstance(outcome, Refused):
            self._finish(self._refusal(outcome.op, outcome.response))
        elif isinstance(outcome, Broken):
            self._finish(GuideDeskScreen(f"{outcome.reason}，{GUIDE_DESK_TEXT}"))
        else:
            ticket, note = outcome.ticket, self._confirm_note(outcome.ticket)
            if not outcome.printed:
                self._poll_printer()
                text = f"号票打印失败，请记下您的号码 {ticket.number}，或到导办台补打"
            elif outcome.recovered:
                text = "已为您补打上次未完成的号票，请取走"
            else:
                text = "请取走号票，留意叫号屏和语音提示"
            self._finish(TicketScreen(ticket, outcome.printed, text, note))

    def _finish(self, screen: Screen) -> None:
        with self._lock:
            self._busy = False
            self._touch()
            self._set(screen)
        self._notify()

    def _refusal(self, op: Op, resp: Response) -> Screen:
        error = resp.error
        code = error.code if error is not None else ErrorCode.INTERNAL.value
        message = error.message if error is not None and error.message else _zh(code)
        detail = error.detail if error is not None else {}
        if op is Op.APPOINTMENT_CHECKIN:
            if code in (ErrorCode.TOO_LATE, "checkin_too_late"):
                with self._lock:
                    self._citizen.message = message
                return CheckinLateScreen(message)
            if code in (ErrorCode.TOO_EARLY, "checkin_too_early"):
                opens = detail.get("opens_at")
                if isinstance(opens, int | float | str):
                    with contextlib.suppress(ValueError):
                        message += f"（签到开始时间：{describe_opening(_moment(opens), self.clock.now())}）"
                return RefusedScreen("尚未到签到时间", message, code)
            if code == ErrorCode.NOT_FOUND:
                return CheckinScreen(self._citizen.checkin_code, "未找到该预约，请核对预约码或到导办台咨询")
            return RefusedScreen("无法签到", message, code)
        if code in (ErrorCode.SERVICE_CLOSED, ErrorCode.CUTOFF_PASSED):
            tile = self._tile(self._citizen.service or "")
            if tile is not None and not tile.open:
                message = f"{message}\n{tile.status_text}"
        return RefusedScreen("暂时无法取号", message, code)

    # --- internals: hardware and server checks ---------------------------------------------------

    def _printer_ready(self) -> bool:
        """Ask the printer right before a ticket: no ticket is issued that cannot be printed."""
        self._poll_printer()
        return self._printer_usable()

    def _printer_usable(self) -> bool:
        if self._printer is PrinterStatus.UNKNOWN:
            return not self.settings.require_printer_status
        return self._printer.can_print

    def _poll_claimed(self) -> None:
        try:
            self._poll_printer()
        finally:
            with self._lock:
                self._polling = False

    def _poll_printer(self) -> None:
        try:
            status = self.printer.status()
        except Exception:
            log.exception("printer status failed")
            status = PrinterStatus.UNKNOWN
        with self._lock:
            self._next_poll = self.clock.monotonic() + self.settings.printer_poll_s
        self.printer_changed(status)

    def _probe(self) -> None:
        with self._lock:
            if self._probing:
                return
            self._probing = True
        self._probe_claimed()

    def _probe_claimed(self) -> None:
        """``catalog.get`` with the cached etag: refreshes the catalog and proves the server answers."""
        try:
            if not self.server.connected:
                return
            args = CatalogGetArgs(etag=self.catalog.etag).model_dump(exclude_none=True)
            try:
                resp = self.server.request(
                    Op.CATALOG_GET.value,
                    args,
                    request_id=self.server.new_request_id(),
                    timeout=self.settings.probe_timeout_s,
                    attempts=1,
                )
                ok = True
            except RequestTimeoutError:
                ok = False
                resp = None
            changed = False
            if resp is not None and resp.ok and resp.result is not None:
                try:
                    changed = self.catalog.update(CatalogResult.model_validate(resp.result))
                except ValidationError:
                    log.exception("catalog reply unreadable")
            with self._lock:
                was_out = bool(self._out_reasons())
                self._server_ok = ok
                wait = self.settings.probe_every_s if ok else self.settings.probe_retry_s
                self._next_probe = self.clock.monotonic() + wait
                if changed:
                    self._refresh_home()
                self._after_service_change(was_out)
            self._notify()
            self._publish_health()
        finally:
            with self._lock:
                self._probing = False

    def _publish_health(self) -> None:
        health = self.health()
        with self._lock:
            if health == self._last_health:
                return
            self._last_health = health
        try:
            self.server.publish_status()
        except Exception:
            log.exception("status not published")

    def _out_reasons(self) -> list[str]:
        reasons: list[str] = []
        if not self._connected:
            reasons.append("网络连接中断")
        elif not self._server_ok:
            reasons.append("取号系统暂时无法连接")
        if not self._printer_checked:
            reasons.append("正在检查打印机")
        elif not self._printer_usable():
            reasons.append(_PRINTER_TEXT.get(self._printer, "打印机故障"))
        return reasons

    def _after_service_change(self, was_out: bool) -> None:
        """Entering an outage ends the citizen's visit; leaving it shows a fresh home screen."""
        out = bool(self._out_reasons())
        if out != was_out and self._screen.view not in _TRANSACTION_VIEWS:
            self._citizen = _Citizen()
            self._set(self._home_screen(), prompt=not out)
        if out and not was_out:
            self._say(_PROMPTS[View.OUT_OF_SERVICE])

    # --- internals: screens ------------------------------------------------------------------------

    def _set(self, screen: Screen, *, prompt: bool = True) -> None:
        self._screen = screen
        self._screen_since = self.clock.monotonic()
        if prompt:
            self._say(self._prompt(screen))

    def _touch(self) -> None:
        self._last_touch = self.clock.monotonic()

    def _notify(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                log.exception("screen listener failed")

    def _message(self, text: str) -> None:
        with self._lock:
            screen = self._screen
            if isinstance(screen, MaterialsScreen):
                self._set(_replace_message(screen, text), prompt=False)
            elif isinstance(screen, OptionsScreen):
                self._citizen.message = text
                self._set(self._options_screen(), prompt=False)
            elif isinstance(screen, CheckinScreen):
                self._set(CheckinScreen(screen.code, text), prompt=False)
        self._notify()

    def _say(self, text: str) -> None:
        if text and self._voice_on and self.voice is not None:
            try:
                self.voice.say(text)
            except Exception:
                log.exception("voice prompt failed")

    def _prompt(self, screen: Screen) -> str:
        if isinstance(screen, TicketScreen):
            t = screen.ticket
            return f"您的号码是{t.number}，前面还有{t.people_ahead}人，请留意叫号"
        if isinstance(screen, RefusedScreen):
            return screen.message
        return _PROMPTS.get(screen.view, "")

    def _hall_name(self) -> str:
        if self._config is not None and self._config.hall_name:
            return self._config.hall_name
        if self._state is not None and self._state.hall_name:
            return self._state.hall_name
        catalog = self.catalog.catalog
        return catalog.hall_name if catalog is not None and catalog.hall_name else "政务服务中心"

    def _tiles(self) -> tuple[ServiceTile, ...]:
        return service_tiles(self._state, self.catalog.catalog, self._config, self.clock.now())

    def _tile(self, code: str) -> ServiceTile | None:
        return next((t for t in self._tiles() if t.code == code), None)

    def _service_name(self, code: str | None) -> str:
        tile = self._tile(code or "")
        return tile.name if tile is not None else (code or "")

    def _matter(self) -> MatterInfo | None:
        code = self._citizen.matter
        return self.catalog.matter(code) if code is not None else None

    def _home_screen(self) -> HomeScreen:
        query = self._citizen.query
        return HomeScreen(
            hall_name=self._hall_name(),
            notice=self._state.notice if self._state is not None else "",
            tiles=self._tiles(),
            query=query,
            results=matter_hits(self.catalog.search(query), self.catalog.catalog) if query else (),
            catalog_ready=self.catalog.catalog is not None,
        )

    def _pick_screen(self) -> PickScreen:
        query = self._citizen.query
        catalog = self.catalog.catalog
        matters = self.catalog.search(query, limit=50) if query else list(catalog.matters if catalog else [])
        return PickScreen(query, matter_hits(matters, catalog))

    def _refresh_home(self) -> None:
        if self._screen.view is View.HOME:
            self._screen = self._home_screen()
        elif self._screen.view is View.PICK:
            self._screen = self._pick_screen()

    def _refresh_search(self) -> None:
        if self._screen.view is View.PICK:
            self._screen = self._pick_screen()
        else:
            self._screen = self._home_screen()

    def _matter_screen(self, matter: MatterInfo) -> MatterScreen:
        tile = self._tile(matter.service)
        can_queue = tile is not None and tile.open
        closed = "" if can_queue else (tile.status_text if tile is not None else "本机不提供该业务取号")
        return MatterScreen(
            matter.code, matter.name, matter.department, disclosure_sections(matter), can_queue, closed
        )

    def _materials_screen(self, matter: MatterInfo, message: str = "") -> MaterialsScreen:
        checked = frozenset(self._citizen.checked)
        return MaterialsScreen(
            matter_name=matter.name,
            lines=check_lines(matter, checked),
            purpose=self._citizen.purpose,
            missing=tuple(m.name for m in missing_required(matter, checked)),
            message=message,
        )

    def _age_priority(self) -> bool:
        today = local(self.clock.now()).date()
        return priority.age_priority(self._citizen.birth_date, today, self._elderly_age())

    def _elderly_age(self) -> int:
        if self._config is not None:
            value = self._config.extra.get("elderly_age")
            if isinstance(value, int) and 50 <= value <= 80:
                return value
        return self.settings.elderly_age

    def _options_screen(self) -> OptionsScreen:
        c = self._citizen
        matter = self._matter()
        target = matter.name if matter is not None else self._service_name(c.service)
        age = self._age_priority()
        offered = ((priority.AGE,) if age else ()) + priority.DECLARED
        choices = tuple(PriorityChoice(o.code, o.label, o.code == c.priority) for o in offered)
        chosen = priority.option(c.priority) if c.priority else None
        if chosen is None:
            note = ""
        elif chosen.needs_confirmation:
            note = f"您选择了{chosen.label}优先，请在窗口出示相关证件确认"
        else:
            note = "已根据身份证为您选择老年人优先"
        return OptionsScreen(target, c.id_hash is not None, age, choices, c.priority, note, c.message)

    def _id_read(self, read: IdRead) -> None:
        with self._lock:
            self._touch()
            if self._screen.view is not View.OPTIONS:
                return
            c = self._citizen
            c.id_hash, c.birth_date = read.id_hash, read.birth_date
            age = self._age_priority()
            if age and c.priority is None:
                c.priority = priority.ELDERLY  # offered automatically; one tap removes it
            c.message = "已读取身份证" + ("，已为您选择老年人优先" if age else "")
            self._set(self._options_screen(), prompt=False)
            if age:
                self._say("已为您选择老年人优先")
        self._notify()

    def _tick_scanned(self, code: str) -> None:
        with self._lock:
            matter = self._matter()
            if matter is None:
                return
            known = next((m for m in matter.disclosures.materials if m.code == code), None)
            if known is None:
                self._set(self._materials_screen(matter, "该材料不属于本事项，请核对"), prompt=False)
            else:
                self._citizen.checked.add(code)
                self._set(self._materials_screen(matter, f"已确认：{known.name}"), prompt=False)
        self._notify()

    def _confirm_note(self, ticket: TicketResult) -> str:
        chosen = priority.option(ticket.priority) if ticket.priority else None
        if chosen is not None and chosen.needs_confirmation:
            return f"{ticket.priority_label or chosen.label}优先：请在窗口出示相关证件确认"
        return ""


def _replace_message(screen: MaterialsScreen, text: str) -> MaterialsScreen:
    return MaterialsScreen(screen.matter_name, screen.lines, screen.purpose, screen.missing, text)


def _zh(code: str) -> str:
    try:
        return ERROR_MESSAGES_ZH[ErrorCode(code)]
    except ValueError:
        return ERROR_MESSAGES_ZH[ErrorCode.INTERNAL]


def _moment(value: float | int | str) -> float:
    if isinstance(value, str):
        from datetime import datetime

        return datetime.fromisoformat(value).timestamp()
    return float(value)
