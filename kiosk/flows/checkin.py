"""Appointment check-in: a typed or scanned code (or an ID card), and a walk-in ticket after a late one."""

from __future__ import annotations

from pydantic import ValidationError

from kiosk.screens import CheckinScreen, IssuingScreen, View
from queue_server.protocol.messages import AppointmentCheckinArgs, Op

from .core import CODE_MAX, KioskCore
from .health import ServiceHealth
from .issuing import TicketFlow
from .state import Citizen


class CheckinFlow:
    """预约签到: the server's check-in answer is a ticket, printed like any other."""

    def __init__(self, core: KioskCore, health: ServiceHealth, tickets: TicketFlow) -> None:
        self.core = core
        self.state = core.state
        self.ports = core.ports
        self.health = health
        self.tickets = tickets

    # --- appointment check-in ---------------------------------------------------------------------

    def open_checkin(self) -> None:
        with self.state.lock:
            self.core.touch()
            self.state.citizen = Citizen()
            self.core.set(CheckinScreen("", ""))
        self.core.notify()

    def checkin_key(self, ch: str) -> None:
        s = self.state
        with s.lock:
            self.core.touch()
            if s.screen.view is not View.CHECKIN:
                return
            s.citizen.checkin_code = (s.citizen.checkin_code + ch.upper())[:CODE_MAX]
            self.core.set(CheckinScreen(s.citizen.checkin_code, ""), prompt=False)
        self.core.notify()

    def checkin_backspace(self) -> None:
        s = self.state
        with s.lock:
            self.core.touch()
            if s.screen.view is not View.CHECKIN:
                return
            s.citizen.checkin_code = s.citizen.checkin_code[:-1]
            self.core.set(CheckinScreen(s.citizen.checkin_code, ""), prompt=False)
        self.core.notify()

    def submit_checkin(self) -> None:
        code = self.state.citizen.checkin_code.strip()
        if not code:
            with self.state.lock:
                self.core.set(CheckinScreen("", "请先输入预约码"), prompt=False)
            self.core.notify()
            return
        self.start_checkin(code=code, id_hash=None)

    def walk_in(self) -> None:
        """After a too-late check-in: the same appointment becomes a walk-in ticket."""
        s = self.state
        with s.lock:
            self.core.touch()
            if s.screen.view is not View.CHECKIN_LATE:
                return
            code, id_hash = s.citizen.late_code, s.citizen.late_id_hash
        self.start_checkin(code=code, id_hash=id_hash, walk_in=True)

    def start_checkin(self, *, code: str | None, id_hash: str | None, walk_in: bool = False) -> None:
        """Check in by appointment code or ID card (typed, scanned, or the walk-in after a late one)."""
        s = self.state
        with s.lock:
            self.core.touch()
            if s.busy or self.health.out_reasons():
                return
            try:
                args = AppointmentCheckinArgs(code=code, id_hash=id_hash, walk_in_if_late=walk_in)
            except ValidationError:
                self.core.set(CheckinScreen(s.citizen.checkin_code, "预约码格式不正确，请核对"), prompt=False)
                self.core.notify()
                return
            s.citizen.late_code, s.citizen.late_id_hash = code, id_hash
            s.busy = True
            self.core.set(IssuingScreen("预约签到"))
        self.core.notify()
        wire = args.model_dump(mode="json", exclude_none=True)
        self.ports.run_citizen(lambda: self.tickets.transact(Op.APPOINTMENT_CHECKIN, wire))
