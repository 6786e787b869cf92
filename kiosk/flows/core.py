"""The state every kiosk flow shares, and the few things all of them do with it.

:class:`KioskCore` holds the citizen in front of the kiosk, the screen, the hall's state and config and
the lock; it tells listeners after a change, speaks prompts and builds the home and pick screens (the
out-of-service and catalog updates redraw them). The flows in this package are mixins over it;
:class:`kiosk.model.KioskModel` puts them together.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from kiosk import priority
from kiosk.catalog import CatalogCache
from kiosk.clock import Clock
from kiosk.home import matter_hits, service_tiles
from kiosk.link import ServerPort, Undo
from kiosk.outbox import Outbox
from kiosk.ports import PrinterStatus, TicketPrinter, Voice
from kiosk.screens import (
    HomeScreen,
    PickScreen,
    Purpose,
    RefusedScreen,
    Screen,
    ServiceTile,
    TicketScreen,
    View,
)
from kiosk.tickets import TicketDesk
from queue_server.protocol.defaults import DEFAULT_HALL_NAME
from queue_server.protocol.messages import DeviceConfig, HallState, MatterInfo

# The flows are parts of one model: they log under its name, as the kiosk always has.
MODEL_LOGGER = "kiosk.model"
log = logging.getLogger(MODEL_LOGGER)

Runner = Callable[[Callable[[], None]], None]

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


PROMPTS: dict[View, str] = {
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
class Citizen:
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


class KioskCore:
    """The kiosk's shared state and its primitives. Thread-safe; listeners are told after every change."""

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
        self._citizen = Citizen()
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

    # --- what the UI reads ------------------------------------------------------------------------

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

    def on_change(self, listener: Callable[[], None]) -> Undo:
        with self._lock:
            self._listeners.append(listener)

        def undo() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return undo

    # --- internals: screens -----------------------------------------------------------------------

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
        return PROMPTS.get(screen.view, "")

    def _finish(self, screen: Screen) -> None:
        with self._lock:
            self._busy = False
            self._touch()
            self._set(screen)
        self._notify()

    # --- internals: what the hall offers ----------------------------------------------------------

    def _hall_name(self) -> str:
        if self._config is not None and self._config.hall_name:
            return self._config.hall_name
        if self._state is not None and self._state.hall_name:
            return self._state.hall_name
        catalog = self.catalog.catalog
        return catalog.hall_name if catalog is not None and catalog.hall_name else DEFAULT_HALL_NAME

    def _tiles(self) -> tuple[ServiceTile, ...]:
        return service_tiles(self._state, self.catalog.catalog, self._config, self.clock.now())

    def _offered(
        self, matters: Iterable[MatterInfo], tiles: tuple[ServiceTile, ...] | None = None
    ) -> list[MatterInfo]:
        """The matters of services this kiosk offers (its config may name a subset of the hall's);
        ``tiles``: the service tiles when the caller has them already."""
        offered = {tile.code for tile in (self._tiles() if tiles is None else tiles)}
        return [matter for matter in matters if matter.service in offered]

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
        tiles = self._tiles()
        found = self._offered(self.catalog.search(query), tiles) if query else []
        return HomeScreen(
            hall_name=self._hall_name(),
            notice=self._state.notice if self._state is not None else "",
            tiles=tiles,
            query=query,
            results=matter_hits(found, self.catalog.catalog) if query else (),
            catalog_ready=self.catalog.catalog is not None,
        )

    def _pick_screen(self) -> PickScreen:
        query = self._citizen.query
        catalog = self.catalog.catalog
        matters = self.catalog.search(query, limit=50) if query else list(catalog.matters if catalog else [])
        return PickScreen(query, matter_hits(self._offered(matters), catalog))

    def _refresh_home(self) -> None:
        if self._screen.view is View.HOME:
            self._screen = self._home_screen()
        elif self._screen.view is View.PICK:
            self._screen = self._pick_screen()
