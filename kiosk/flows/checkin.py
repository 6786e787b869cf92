"""Appointment check-in: a typed or scanned code (or an ID card), and a walk-in ticket after a late one."""

from __future__ import annotations

from pydantic import ValidationError

from kiosk.screens import CheckinScreen, IssuingScreen, View
from queue_server.protocol.messages import AppointmentCheckinArgs, Op

from .core import CODE_MAX, Citizen
from .issuing import TicketFlow


class CheckinFlow(TicketFlow):
    """预约签到: the server's check-in answer is a ticket, printed like any other."""

    # --- appointment check-in ---------------------------------------------------------------------

    def open_checkin(self) -> None:
        with self._lock:
            self._touch()
            self._citizen = Citizen()
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

    # --- internals: transactions ------------------------------------------------------------------

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
