"""What every kiosk flow uses: the settings, the ports to the outside world, and :class:`KioskCore`,
the shared state with the few things all flows do with it.

:class:`KioskCore` holds the one :class:`~kiosk.flows.state.KioskState` and the :class:`KioskPorts`;
it tells listeners after a change, speaks prompts and builds the home and pick screens (the
out-of-service and catalog updates redraw them). Each flow object receives the core (and the other
flows it hands over to); :class:`kiosk.model.KioskModel` builds them and delegates to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kiosk import priority
from kiosk.catalog import CatalogCache
from kiosk.clock import Clock
from kiosk.home import matter_hits, service_tiles
from kiosk.link import ServerPort, Undo
from kiosk.outbox import Outbox
from kiosk.ports import MaterialUploader, PageCamera, TicketPrinter, Voice
from kiosk.screens import (
    HomeScreen,
    PickScreen,
    RefusedScreen,
    Screen,
    ServiceTile,
    TicketScreen,
    View,
)
from kiosk.tickets import TicketDesk
from queue_server.protocol.defaults import DEFAULT_HALL_NAME
from queue_server.protocol.messages import DeviceConfig, HallState, MatterInfo

from .state import KioskState

# The flows are parts of one model: they log under its name, as the kiosk always has.
MODEL_LOGGER = "kiosk.model"
log = logging.getLogger(MODEL_LOGGER)

Runner = Callable[[Callable[[], None]], None]

GUIDE_DESK_TEXT = "请到导办台咨询"
# Shown (and said) while a ticket request goes on past its first attempts.
STILL_ISSUING_TEXT = "网络繁忙，正在继续为您取号，请稍候，不要离开"
CODE_MAX = 32


def run_inline(job: Callable[[], None]) -> None:
    job()


@dataclass(frozen=True, slots=True)
class KioskSettings:
    """Timing of the kiosk's flows. The defaults are the field values; tests shorten them."""

    # One attempt waits this long for the reply, then the same request id is sent again.
    issue_timeout_s: float = 1.0
    # After 3 x 1 s without a reply the screen asks the citizen to wait ...
    issue_attempts: int = 3
    # ... and the same id keeps going out until 15 s in all: a city's server failing over (its halls
    # move in 6-8 s) or a broker node lost (up to ~10 s) is outlasted, and the ticket the dead server
    # committed is answered from its stored reply and printed. Then the guide desk.
    issue_patience_s: float = 15.0
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


@dataclass(frozen=True, slots=True)
class KioskPorts:
    """The kiosk's outside world as the flows reach it: network, disk, printer, clock, voice, workers.

    ``run_citizen`` runs a citizen's transaction (a ticket, a notice) in tap order; ``run_background``
    runs checks (printer polls, server probes) that must not wait behind one. Both are worker threads
    in the app and inline in tests.
    """

    server: ServerPort
    catalog: CatalogCache
    outbox: Outbox
    printer: TicketPrinter
    clock: Clock
    voice: Voice | None
    settings: KioskSettings
    desk: TicketDesk
    run_citizen: Runner
    run_background: Runner
    # The document camera and the pages' way to the server; None: the kiosk has no camera and the
    # capture step is skipped.
    camera: PageCamera | None = None
    uploader: MaterialUploader | None = None


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
    View.CAPTURE: "请将材料平放在高拍仪下，点击拍摄",
    View.OUT_OF_SERVICE: "本机暂停服务，请到导办台咨询",
}


class KioskCore:
    """The shared state and its primitives. Methods documented "the caller holds the lock" expect
    ``state.lock`` held; the others take it themselves."""

    def __init__(self, ports: KioskPorts) -> None:
        self.ports = ports
        connected = ports.server.connected
        first = self._home_screen_of("", None, None)
        self.state = KioskState.at_start(first, connected=connected, now=ports.clock.monotonic())

    @property
    def settings(self) -> KioskSettings:
        return self.ports.settings

    def on_change(self, listener: Callable[[], None]) -> Undo:
        s = self.state
        with s.lock:
            s.listeners.append(listener)

        def undo() -> None:
            with s.lock:
                if listener in s.listeners:
                    s.listeners.remove(listener)

        return undo

    # --- screens ----------------------------------------------------------------------------------

    def set(self, screen: Screen, *, prompt: bool = True) -> None:
        """Show ``screen`` (and speak its prompt when voice is on). The caller holds the lock."""
        self.state.screen = screen
        self.state.screen_since = self.ports.clock.monotonic()
        if prompt:
            self.say(self._prompt(screen))

    def touch(self) -> None:
        """Activity now: the idle reset counts from here. The caller holds the lock."""
        self.state.last_touch = self.ports.clock.monotonic()

    def notify(self) -> None:
        """Tell every listener that something changed; called without the lock held."""
        with self.state.lock:
            listeners = list(self.state.listeners)
        for listener in listeners:
            try:
                listener()
            except Exception:
                log.exception("screen listener failed")

    def say(self, text: str) -> None:
        voice = self.ports.voice
        if text and self.state.voice_on and voice is not None:
            try:
                voice.say(text)
            except Exception:
                log.exception("voice prompt failed")

    def finish(self, screen: Screen) -> None:
        """A transaction on the citizen worker ended: show its result and tell the listeners."""
        with self.state.lock:
            self.state.busy = False
            self.touch()
            self.set(screen)
        self.notify()

    def _prompt(self, screen: Screen) -> str:
        if isinstance(screen, TicketScreen):
            t = screen.ticket
            return f"您的号码是{t.number}，前面还有{t.people_ahead}人，请留意叫号"
        if isinstance(screen, RefusedScreen):
            return screen.message
        return PROMPTS.get(screen.view, "")

    # --- what the hall offers (the caller holds the lock) ------------------------------------------

    def hall_name(self) -> str:
        return self._hall_name_of(self.state.hall_state, self.state.config)

    def tiles(self) -> tuple[ServiceTile, ...]:
        return self._tiles_of(self.state.hall_state, self.state.config)

    def tile(self, code: str) -> ServiceTile | None:
        return next((t for t in self.tiles() if t.code == code), None)

    def service_name(self, code: str | None) -> str:
        tile = self.tile(code or "")
        return tile.name if tile is not None else (code or "")

    def matter(self) -> MatterInfo | None:
        """The matter the citizen chose, if any."""
        code = self.state.citizen.matter
        return self.ports.catalog.matter(code) if code is not None else None

    def home_screen(self) -> HomeScreen:
        s = self.state
        return self._home_screen_of(s.citizen.query, s.hall_state, s.config)

    def pick_screen(self) -> PickScreen:
        query = self.state.citizen.query
        cache = self.ports.catalog
        catalog = cache.catalog
        matters = cache.search(query, limit=50) if query else list(catalog.matters if catalog else [])
        return PickScreen(query, matter_hits(_offered(matters, self.tiles()), catalog))

    def refresh_home(self) -> None:
        """Redraw the home or pick screen after what they show changed (state, config, catalog)."""
        view = self.state.screen.view
        if view is View.HOME:
            self.state.screen = self.home_screen()
        elif view is View.PICK:
            self.state.screen = self.pick_screen()

    # --- builders over explicit inputs (the first home screen exists before the state) -------------

    def _hall_name_of(self, hall_state: HallState | None, config: DeviceConfig | None) -> str:
        if config is not None and config.hall_name:
            return config.hall_name
        if hall_state is not None and hall_state.hall_name:
            return hall_state.hall_name
        catalog = self.ports.catalog.catalog
        return catalog.hall_name if catalog is not None and catalog.hall_name else DEFAULT_HALL_NAME

    def _tiles_of(self, hall_state: HallState | None, config: DeviceConfig | None) -> tuple[ServiceTile, ...]:
        return service_tiles(hall_state, self.ports.catalog.catalog, config, self.ports.clock.now())

    def _home_screen_of(
        self, query: str, hall_state: HallState | None, config: DeviceConfig | None
    ) -> HomeScreen:
        cache = self.ports.catalog
        tiles = self._tiles_of(hall_state, config)
        found = _offered(cache.search(query), tiles) if query else []
        return HomeScreen(
            hall_name=self._hall_name_of(hall_state, config),
            notice=hall_state.notice if hall_state is not None else "",
            tiles=tiles,
            query=query,
            results=matter_hits(found, cache.catalog) if query else (),
            catalog_ready=cache.catalog is not None,
        )


def _offered(matters: Iterable[MatterInfo], tiles: tuple[ServiceTile, ...]) -> list[MatterInfo]:
    """The matters of services this kiosk offers (its config may name a subset of the hall's)."""
    offered = {tile.code for tile in tiles}
    return [matter for matter in matters if matter.service in offered]
