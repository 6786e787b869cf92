"""Out of service and health: the printer and server checks, the network's inputs, the status published.

The kiosk is out of service while the broker is gone, the server does not answer a probe or the
printer cannot print; the out-of-service screen then covers every screen but a ticket transaction.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from kiosk.ports import PrinterStatus
from kiosk.screens import OutOfServiceScreen, Screen, View
from queue_server.protocol.client import RequestTimeoutError
from queue_server.protocol.messages import CatalogGetArgs, CatalogResult, DeviceConfig, HallState, Op

from .core import MODEL_LOGGER, PROMPTS, KioskCore
from .state import Citizen

log = logging.getLogger(MODEL_LOGGER)

_PRINTER_TEXT: dict[PrinterStatus, str] = {
    PrinterStatus.PAPER_OUT: "打印纸已用完",
    PrinterStatus.COVER_OPEN: "打印机仓盖未关闭",
    PrinterStatus.OFFLINE: "打印机未连接",
    PrinterStatus.UNKNOWN: "打印机无响应",
}

# Screens in the middle of (or just after) a ticket transaction: an outage does not cover them.
_TRANSACTION_VIEWS = frozenset({View.ISSUING, View.TICKET, View.GUIDE_DESK})


class ServiceHealth:
    """Whether the kiosk can serve, and what its retained status tells the server and the managers."""

    def __init__(self, core: KioskCore) -> None:
        self.core = core
        self.state = core.state
        self.ports = core.ports

    # --- what the UI reads ------------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        """The screen to draw now: the out-of-service screen covers everything but a transaction."""
        s = self.state
        with s.lock:
            reasons = self.out_reasons()
            if reasons and s.screen.view not in _TRANSACTION_VIEWS:
                return OutOfServiceScreen(tuple(reasons))
            return s.screen

    @property
    def in_service(self) -> bool:
        with self.state.lock:
            return not self.out_reasons()

    def health(self) -> dict[str, str]:
        """What the kiosk's retained status tells the server and the managers."""
        s = self.state
        with s.lock:
            reasons = self.out_reasons()
            return {
                "printer": s.printer.value,
                "server": "ok" if s.server_ok else "unreachable",
                "service": "out_of_service" if reasons else "ok",
                "elderly_mode": "on" if s.elderly else "off",
            }

    # --- inputs from the network and hardware -----------------------------------------------------

    # These three run on paho's network thread: they only record and schedule (the next ``tick``
    # probes), never wait for a reply, which that very thread would have to deliver.

    def hall_state(self, hall_state: HallState) -> None:
        s = self.state
        with s.lock:
            s.hall_state = hall_state
            stale = bool(hall_state.catalog_etag) and hall_state.catalog_etag != self.ports.catalog.etag
            if stale:
                s.next_probe = self.ports.clock.monotonic()
            self.core.refresh_home()
        self.core.notify()

    def device_config(self, config: DeviceConfig) -> None:
        s = self.state
        with s.lock:
            if s.config is not None and config.version < s.config.version:
                # An older config (a retained copy replayed by a broker, a server behind another):
                # the newest one wins, as docs/design/PROTOCOL.md asks of every device.
                log.info("config version %d ignored: %d is newer", config.version, s.config.version)
                return
        # The hall file names this kiosk's paper (default 80 mm): the config is where the kiosk
        # learns it, so the ``--printer-width`` it started with only holds until the first config.
        # First, so that whoever sees the new screen also gets tickets on the new paper.
        self.ports.printer.use_width(config.printer_width_mm)
        with s.lock:
            s.config = config
            self.core.refresh_home()
        self.core.notify()

    def connection(self, up: bool) -> None:
        s = self.state
        with s.lock:
            was_out = bool(self.out_reasons())
            s.connected = up
            if up:
                s.next_probe = self.ports.clock.monotonic()
            self._after_service_change(was_out)
        self.core.notify()
        self.publish_health()

    def printer_changed(self, status: PrinterStatus) -> None:
        s = self.state
        with s.lock:
            if status == s.printer and s.printer_checked:
                return
            was_out = bool(self.out_reasons())
            s.printer = status
            s.printer_checked = True
            self._after_service_change(was_out)
        log.info("printer status: %s", status.value)
        self.core.notify()
        self.publish_health()

    def refresh_printer(self) -> None:
        """Ask the printer now (on the background worker), e.g. after staff changed the paper."""
        self.ports.run_background(self.poll_printer)

    # --- checks: what ``KioskModel.start`` and ``tick`` run ---------------------------------------

    def claim_checks(self, now: float) -> tuple[bool, bool]:
        """Whether a server probe and a printer poll are due, each claimed for the caller to run.

        The caller holds the lock.
        """
        s = self.state
        probe = s.connected and not s.probing and now >= s.next_probe
        poll = not s.polling and now >= s.next_poll
        if probe:
            s.probing = True
        if poll:
            s.polling = True
        return probe, poll

    def printer_ready(self) -> bool:
        """Ask the printer right before a ticket: no ticket is issued that cannot be printed."""
        self.poll_printer()
        return self.printer_usable()

    def printer_usable(self) -> bool:
        printer = self.state.printer
        if printer is PrinterStatus.UNKNOWN:
            return not self.ports.settings.require_printer_status
        return printer.can_print

    def poll_claimed(self) -> None:
        """A printer poll that ``claim_checks`` claimed."""
        try:
            self.poll_printer()
        finally:
            with self.state.lock:
                self.state.polling = False

    def poll_printer(self) -> None:
        try:
            status = self.ports.printer.status()
        except Exception:
            log.exception("printer status failed")
            status = PrinterStatus.UNKNOWN
        with self.state.lock:
            self.state.next_poll = self.ports.clock.monotonic() + self.ports.settings.printer_poll_s
        self.printer_changed(status)

    def probe(self) -> None:
        """A server probe now, unless one is running."""
        with self.state.lock:
            if self.state.probing:
                return
            self.state.probing = True
        self.probe_claimed()

    def probe_claimed(self) -> None:
        """``catalog.get`` with the cached etag: refreshes the catalog and proves the server answers."""
        try:
            if not self.ports.server.connected:
                return
            ok, changed = self._ask_catalog()
            s = self.state
            with s.lock:
                was_out = bool(self.out_reasons())
                s.server_ok = ok
                wait = self.ports.settings.probe_every_s if ok else self.ports.settings.probe_retry_s
                s.next_probe = self.ports.clock.monotonic() + wait
                if changed:
                    self.core.refresh_home()
                self._after_service_change(was_out)
            self.core.notify()
            self.publish_health()
        finally:
            with self.state.lock:
                self.state.probing = False

    def server_unreachable(self) -> None:
        """A request got no answer: out of service until a probe (sooner than usual) gets one."""
        s = self.state
        with s.lock:
            s.server_ok = False
            s.next_probe = self.ports.clock.monotonic() + self.ports.settings.probe_retry_s

    def publish_health(self) -> None:
        health = self.health()
        with self.state.lock:
            if health == self.state.last_health:
                return
            self.state.last_health = health
        try:
            self.ports.server.publish_status()
        except Exception:
            log.exception("status not published")

    def out_reasons(self) -> list[str]:
        """Why the kiosk cannot serve now, in the citizen's words (empty: in service)."""
        s = self.state
        reasons: list[str] = []
        if not s.connected:
            reasons.append("网络连接中断")
        elif not s.server_ok:
            reasons.append("取号系统暂时无法连接")
        if not s.printer_checked:
            reasons.append("正在检查打印机")
        elif not self.printer_usable():
            reasons.append(_PRINTER_TEXT.get(s.printer, "打印机故障"))
        return reasons

    # --- internals --------------------------------------------------------------------------------

    def _ask_catalog(self) -> tuple[bool, bool]:
        """Whether the server answered, and whether its answer changed the cached catalog."""
        server, catalog = self.ports.server, self.ports.catalog
        args = CatalogGetArgs(etag=catalog.etag).model_dump(exclude_none=True)
        try:
            resp = server.request(
                Op.CATALOG_GET.value,
                args,
                request_id=server.new_request_id(),
                timeout=self.ports.settings.probe_timeout_s,
                attempts=1,
            )
        except RequestTimeoutError:
            return False, False
        if not resp.ok or resp.result is None:
            return True, False
        try:
            return True, catalog.update(CatalogResult.model_validate(resp.result))
        except ValidationError:
            log.exception("catalog reply unreadable")
            return True, False

    def _after_service_change(self, was_out: bool) -> None:
        """Entering an outage ends the citizen's visit; leaving it shows a fresh home screen.

        The caller holds the lock.
        """
        s = self.state
        out = bool(self.out_reasons())
        if out != was_out and s.screen.view not in _TRANSACTION_VIEWS:
            s.citizen = Citizen()
            self.core.set(self.core.home_screen(), prompt=not out)
        if out and not was_out:
            self.core.say(PROMPTS[View.OUT_OF_SERVICE])
