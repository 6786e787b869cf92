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

from .core import MODEL_LOGGER, PROMPTS, Citizen, KioskCore

log = logging.getLogger(MODEL_LOGGER)

_PRINTER_TEXT: dict[PrinterStatus, str] = {
    PrinterStatus.PAPER_OUT: "打印纸已用完",
    PrinterStatus.COVER_OPEN: "打印机仓盖未关闭",
    PrinterStatus.OFFLINE: "打印机未连接",
    PrinterStatus.UNKNOWN: "打印机无响应",
}

# Screens in the middle of (or just after) a ticket transaction: an outage does not cover them.
_TRANSACTION_VIEWS = frozenset({View.ISSUING, View.TICKET, View.GUIDE_DESK})


class ServiceHealth(KioskCore):
    """Whether the kiosk can serve, and what its retained status tells the server and the managers."""

    # --- what the UI reads ------------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        """The screen to draw now: the out-of-service screen covers everything but a transaction."""
        with self._lock:
            reasons = self._out_reasons()
            if reasons and self._screen.view not in _TRANSACTION_VIEWS:
                return OutOfServiceScreen(tuple(reasons))
            return self._screen

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

    # --- inputs from the network and hardware -----------------------------------------------------

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
            if self._config is not None and config.version < self._config.version:
                # An older config (a retained copy replayed by a broker, a server behind another):
                # the newest one wins, as PROTOCOL.md asks of every device.
                log.info("config version %d ignored: %d is newer", config.version, self._config.version)
                return
        # The hall file names this kiosk's paper (default 80 mm): the config is where the kiosk
        # learns it, so the ``--printer-width`` it started with only holds until the first config.
        # First, so that whoever sees the new screen also gets tickets on the new paper.
        self.printer.use_width(config.printer_width_mm)
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

    # --- internals: hardware and server checks ----------------------------------------------------

    def _claim_checks(self, now: float) -> tuple[bool, bool]:
        """Whether a server probe and a printer poll are due, each claimed for the caller to run.

        The caller holds the lock.
        """
        probe = self._connected and not self._probing and now >= self._next_probe
        poll = not self._polling and now >= self._next_poll
        if probe:
            self._probing = True
        if poll:
            self._polling = True
        return probe, poll

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
            self._citizen = Citizen()
            self._set(self._home_screen(), prompt=not out)
        if out and not was_out:
            self._say(PROMPTS[View.OUT_OF_SERVICE])
