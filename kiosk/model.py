"""The kiosk's view model: every flow a citizen can walk through, in plain Python (no Kivy).

The Kivy app calls the actions (``open_service``, ``toggle_material``, ``take_ticket``, …) and redraws
``model.screen`` whenever a listener fires. Network and printer work runs on the injected runners
(worker threads in the app, inline in tests); the model is safe to call from any thread.

:class:`KioskModel` is put together from one mixin per flow (``kiosk.flows``): home and search with
the elderly mode and the idle reset (``home``), service, matter and materials (``matter``), the ticket
options and the ticket transaction (``issuing``), appointment check-in (``checkin``), all over the
out-of-service checks and health (``health``) and the shared state (``core``). What stays here is what
crosses them: the start, the once-a-second tick and the scanner, whose read means something different
on each screen.

The ticket rule lives in :mod:`kiosk.tickets`, run by ``TicketFlow._transact`` (``kiosk.flows.issuing``):
journal the request, send it, resend the SAME id when no reply comes, print only what the server
answered, and send the citizen to the guide desk when nothing gets through within a few seconds.
"""

from __future__ import annotations

from .flows.checkin import CheckinFlow
from .flows.core import CODE_MAX, GUIDE_DESK_TEXT, KioskSettings, Runner, run_inline
from .flows.home import HomeFlow
from .flows.matter import MatterFlow
from .ports import AppointmentRead, IdRead, Read, UnusableRead
from .screens import CheckinScreen, MaterialsScreen, OptionsScreen, View

__all__ = [
    "CODE_MAX",
    "GUIDE_DESK_TEXT",
    "KioskModel",
    "KioskSettings",
    "Runner",
    "run_inline",
]


class KioskModel(HomeFlow, MatterFlow, CheckinFlow):
    """The kiosk's flows and state. Thread-safe; listeners are told after every change."""

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """First printer check and server probe, then finish whatever the journal left open."""
        self._run_background(self._poll_printer)
        self._run_background(self._probe)
        self._run_citizen(self._recover)

    def tick(self) -> None:
        """Called about once a second: idle reset, result screens, probes and printer polls."""
        now = self.clock.monotonic()
        with self._lock:
            go_home = self._idle_over(now)
            probe, poll = self._claim_checks(now)
        if go_home:
            self.reset()
        if probe:
            self._run_background(self._probe_claimed)
        if poll:
            self._run_background(self._poll_claimed)

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


def _replace_message(screen: MaterialsScreen, text: str) -> MaterialsScreen:
    return MaterialsScreen(screen.matter_name, screen.lines, screen.purpose, screen.missing, text)
