"""Taking a ticket: the priority options page (ID card, age and declared priority), the ticket
transaction on the citizen worker and the screen its outcome leads to.

The ticket rule itself is :class:`kiosk.tickets.TicketDesk`'s: journal the request, send it, resend the
SAME id when no reply comes, print only what the server answered. Here the outcome becomes a screen:
the ticket, the server's refusal in the citizen's words, or the guide desk when nothing got through.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from pydantic import ValidationError

from kiosk import priority
from kiosk.clock import describe_opening, local
from kiosk.ports import IdRead
from kiosk.screens import (
    CheckinLateScreen,
    CheckinScreen,
    GuideDeskScreen,
    IssuingScreen,
    OptionsScreen,
    PriorityChoice,
    RefusedScreen,
    Screen,
    TicketScreen,
    View,
)
from kiosk.tickets import AlreadyPrinting, Broken, Outcome, Refused, Unreachable
from queue_server.protocol.messages import (
    ERROR_MESSAGES_ZH,
    ErrorCode,
    Op,
    Response,
    TicketIssueArgs,
    TicketResult,
)

from .core import GUIDE_DESK_TEXT, MODEL_LOGGER
from .health import ServiceHealth

log = logging.getLogger(MODEL_LOGGER)


class TicketFlow(ServiceHealth):
    """The options page and the ticket; check-in and the materials flow end here too."""

    # --- ticket options and the ticket ------------------------------------------------------------

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
        """An ID card read delivered directly (the scanner path goes through ``KioskModel.scan``)."""
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

    # --- internals: transactions ------------------------------------------------------------------

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

    # --- internals: the options page --------------------------------------------------------------

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

    def _confirm_note(self, ticket: TicketResult) -> str:
        chosen = priority.option(ticket.priority) if ticket.priority else None
        if chosen is not None and chosen.needs_confirmation:
            return f"{ticket.priority_label or chosen.label}优先：请在窗口出示相关证件确认"
        return ""


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
