"""The kiosk's view model: every flow a citizen can walk through, in plain Python (no Kivy).

The Kivy app calls the actions (``open_service``, ``toggle_material``, ``take_ticket``, …) and redraws
``model.screen`` whenever a listener fires. Network and printer work runs on the injected runners
(worker threads in the app, inline in tests); the model is safe to call from any thread.

:class:`KioskModel` is a controller over one flow object per concern (``kiosk.flows``): home and
search with the elderly mode and the idle reset (``home``), service, matter and materials
(``matter``), the ticket options and the ticket transaction (``issuing``), appointment check-in
(``checkin``), and the out-of-service checks and health (``health``). They all share one
:class:`~kiosk.flows.state.KioskState` through one :class:`~kiosk.flows.core.KioskCore`; the model
builds them and delegates each action to its flow. What stays here is what crosses them: the start,
the once-a-second tick and the scanner, whose read means something different on each screen.

The ticket rule lives in :mod:`kiosk.tickets`, run by ``TicketFlow.transact`` (``kiosk.flows.issuing``):
journal the request, send it, resend the SAME id when no reply comes, print only what the server
answered, and send the citizen to the guide desk when nothing gets through within a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from queue_server.protocol.messages import DeviceConfig, HallState

from .catalog import CatalogCache
from .clock import Clock
from .flows.capture import CaptureFlow
from .flows.checkin import CheckinFlow
from .flows.core import CODE_MAX, GUIDE_DESK_TEXT, KioskCore, KioskPorts, KioskSettings, Runner, run_inline
from .flows.health import ServiceHealth
from .flows.home import HomeFlow
from .flows.issuing import TicketFlow
from .flows.matter import MatterFlow
from .flows.state import KioskState
from .link import ServerPort, Undo
from .outbox import Outbox
from .ports import (
    AppointmentRead,
    IdRead,
    MaterialUploader,
    PageCamera,
    PrinterStatus,
    Read,
    TicketPrinter,
    UnusableRead,
    Voice,
)
from .screens import CheckinScreen, MaterialsScreen, OptionsScreen, Screen, View
from .tickets import TicketDesk

__all__ = [
    "CODE_MAX",
    "GUIDE_DESK_TEXT",
    "KioskModel",
    "KioskSettings",
    "Runner",
    "run_inline",
]


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
        camera: PageCamera | None = None,
        uploader: MaterialUploader | None = None,
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
            patience_s=self.settings.issue_patience_s,
            max_age_s=self.settings.outbox_max_age_s,
            keep_s=self.settings.outbox_keep_s,
        )
        ports = KioskPorts(
            server=server,
            catalog=catalog,
            outbox=outbox,
            printer=printer,
            clock=clock,
            voice=voice,
            settings=self.settings,
            desk=self.desk,
            run_citizen=run_citizen,
            run_background=run_background,
            camera=camera,
            uploader=uploader,
        )
        self.core = KioskCore(ports)
        self.state: KioskState = self.core.state
        self.service_health = ServiceHealth(self.core)
        self.home_flow = HomeFlow(self.core, self.service_health)
        self.ticket_flow = TicketFlow(self.core, self.service_health)
        self.capture_flow = CaptureFlow(self.core, self.ticket_flow)
        self.matter_flow = MatterFlow(self.core, self.service_health, self.ticket_flow, self.capture_flow)
        self.checkin_flow = CheckinFlow(self.core, self.service_health, self.ticket_flow)

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """First printer check and server probe, then finish whatever the journal left open."""
        ports, health = self.core.ports, self.service_health
        ports.run_background(health.poll_printer)
        ports.run_background(health.probe)
        ports.run_citizen(self.ticket_flow.recover)

    def tick(self) -> None:
        """Called about once a second: idle reset, result screens, probes and printer polls."""
        now = self.clock.monotonic()
        with self.state.lock:
            go_home = self.home_flow.idle_over(now)
            probe, poll = self.service_health.claim_checks(now)
        if go_home:
            self.reset()
        if probe:
            self.core.ports.run_background(self.service_health.probe_claimed)
        if poll:
            self.core.ports.run_background(self.service_health.poll_claimed)

    # --- the scanner ------------------------------------------------------------------------------

    def scan(self, read: Read) -> None:
        """A scanner read: an ID card, an appointment code or a material's barcode, by screen."""
        self.touch()
        if isinstance(read, UnusableRead):
            self._message(read.message)
            return
        view = self.screen.view
        if isinstance(read, IdRead):
            if view is View.CHECKIN:
                self.checkin_flow.start_checkin(code=None, id_hash=read.id_hash)
            elif view is View.OPTIONS:
                self.ticket_flow.id_read(read)
            else:
                self._message("请在取号前的优先选项页刷身份证")
        elif isinstance(read, AppointmentRead):
            if view in (View.HOME, View.CHECKIN):
                self.checkin_flow.start_checkin(code=read.code, id_hash=None)
        elif view is View.MATERIALS:
            self.matter_flow.tick_scanned(read.code)

    def _message(self, text: str) -> None:
        s = self.state
        with s.lock:
            screen = s.screen
            if isinstance(screen, MaterialsScreen):
                self.core.set(_replace_message(screen, text), prompt=False)
            elif isinstance(screen, OptionsScreen):
                s.citizen.message = text
                self.core.set(self.ticket_flow.options_screen(), prompt=False)
            elif isinstance(screen, CheckinScreen):
                self.core.set(CheckinScreen(screen.code, text), prompt=False)
        self.core.notify()

    # --- what the UI reads ------------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        """The screen to draw now: the out-of-service screen covers everything but a transaction."""
        return self.service_health.screen

    @property
    def hall_name(self) -> str:
        with self.state.lock:
            return self.core.hall_name()

    @property
    def elderly(self) -> bool:
        return self.state.elderly

    @property
    def voice_on(self) -> bool:
        return self.state.voice_on

    @property
    def in_service(self) -> bool:
        return self.service_health.in_service

    def on_change(self, listener: Callable[[], None]) -> Undo:
        return self.core.on_change(listener)

    def health(self) -> dict[str, str]:
        """What the kiosk's retained status tells the server and the managers."""
        return self.service_health.health()

    # --- inputs from the network and hardware (ServiceHealth) -------------------------------------

    def hall_state(self, hall_state: HallState) -> None:
        self.service_health.hall_state(hall_state)

    def device_config(self, config: DeviceConfig) -> None:
        self.service_health.device_config(config)

    def connection(self, up: bool) -> None:
        self.service_health.connection(up)

    def printer_changed(self, status: PrinterStatus) -> None:
        self.service_health.printer_changed(status)

    def refresh_printer(self) -> None:
        self.service_health.refresh_printer()

    # --- home, search, elderly mode, idle (HomeFlow) ----------------------------------------------

    def touch(self) -> None:
        self.home_flow.touch()

    def home(self) -> None:
        self.home_flow.home()

    def reset(self) -> None:
        self.home_flow.reset()

    def toggle_elderly(self) -> None:
        self.home_flow.toggle_elderly()

    def toggle_voice(self) -> None:
        self.home_flow.toggle_voice()

    def type_search(self, text: str) -> None:
        self.home_flow.type_search(text)

    def set_search(self, text: str) -> None:
        self.home_flow.set_search(text)

    def backspace_search(self) -> None:
        self.home_flow.backspace_search()

    # --- service, matter, materials, notice (MatterFlow) ------------------------------------------

    def open_service(self, code: str) -> None:
        self.matter_flow.open_service(code)

    def take_service_ticket(self) -> None:
        self.matter_flow.take_service_ticket()

    def open_checklist(self) -> None:
        self.matter_flow.open_checklist()

    def open_matter(self, code: str) -> None:
        self.matter_flow.open_matter(code)

    def start_materials(self) -> None:
        self.matter_flow.start_materials()

    def toggle_material(self, code: str) -> None:
        self.matter_flow.toggle_material(code)

    def materials_done(self) -> None:
        self.matter_flow.materials_done()

    def queue_anyway(self) -> None:
        self.matter_flow.queue_anyway()

    def back_to_materials(self) -> None:
        self.matter_flow.back_to_materials()

    def print_missing_notice(self) -> None:
        self.matter_flow.print_missing_notice()

    # --- priority options and the ticket (TicketFlow) ---------------------------------------------

    def choose_priority(self, code: str | None) -> None:
        self.ticket_flow.choose_priority(code)

    def take_ticket(self) -> None:
        self.ticket_flow.take_ticket()

    # --- the document camera (CaptureFlow) -------------------------------------------------------

    def capture_page(self) -> None:
        self.capture_flow.capture()

    def confirm_page(self) -> None:
        self.capture_flow.confirm()

    def next_material(self) -> None:
        self.capture_flow.next_material()

    def skip_capture(self) -> None:
        self.capture_flow.skip_all()

    # --- appointment check-in (CheckinFlow) -------------------------------------------------------

    def open_checkin(self) -> None:
        self.checkin_flow.open_checkin()

    def checkin_key(self, ch: str) -> None:
        self.checkin_flow.checkin_key(ch)

    def checkin_backspace(self) -> None:
        self.checkin_flow.checkin_backspace()

    def submit_checkin(self) -> None:
        self.checkin_flow.submit_checkin()

    def walk_in(self) -> None:
        self.checkin_flow.walk_in()


def _replace_message(screen: MaterialsScreen, text: str) -> MaterialsScreen:
    return MaterialsScreen(screen.matter_name, screen.lines, screen.purpose, screen.missing, text)
