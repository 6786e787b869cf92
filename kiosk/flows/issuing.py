"""Taking a ticket: the priority options page (ID card, age and declared priority), the ticket
transaction on the citizen worker and the screen its outcome leads to.

The ticket rule itself is :class:`kiosk.tickets.TicketDesk`'s: journal the request, send it, resend the
SAME id when no reply comes, print only what the server answered. Here the outcome becomes a screen:
the ticket, the server's refusal in the citizen's words, or the guide desk when nothing got through.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
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

from .core import GUIDE_DESK_TEXT, MODEL_LOGGER, STILL_ISSUING_TEXT, KioskCore
from .health import ServiceHealth

log = logging.getLogger(MODEL_LOGGER)


class TicketFlow:
    """The options page and the ticket; check-in and the materials flow end here too."""

    def __init__(self, core: KioskCore, health: ServiceHealth) -> None:
        self.core = core
        self.state = core.state
        self.ports = core.ports
        self.health = health
        # Run on the citizen worker once a ticket is issued (the captured pages' upload, ``capture``);
        # its line goes on the ticket screen.
        self.after_issue: Callable[[TicketResult], str] | None = None

    # --- ticket options and the ticket ------------------------------------------------------------

    def choose_priority(self, code: str | None) -> None:
        """Select a priority class (tap again to clear); a declared class is confirmed at the window."""
        s = self.state
        with s.lock:
            self.core.touch()
            if s.screen.view is not View.OPTIONS:
                return
            if code is None or code == s.citizen.priority:
                s.citizen.priority = None
            elif code == priority.ELDERLY and not self._age_priority():
                return  # only an ID card's birth date grants it here
            elif priority.option(code) is not None and code in self._granted():
                s.citizen.priority = code
            self.core.set(self.options_screen(), prompt=False)
        self.core.notify()

    def take_ticket(self) -> None:
        """取号: ask the server, then print exactly what it answered."""
        s = self.state
        with s.lock:
            self.core.touch()
            if s.busy or s.screen.view is not View.OPTIONS or self.health.out_reasons():
                return
            c = s.citizen
            matter = self.core.matter()
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
                self.core.set(GuideDeskScreen(f"取号信息有误，{GUIDE_DESK_TEXT}"))
                self.core.notify()
                return
            target = matter.name if matter is not None else self.core.service_name(c.service)
            s.busy = True
            self.core.set(IssuingScreen(target))
        self.core.notify()
        wire = args.model_dump(mode="json", exclude_none=True)
        self.ports.run_citizen(lambda: self.transact(Op.TICKET_ISSUE, wire))

    def id_read(self, read: IdRead) -> None:
        """An ID card on the options page: its birth date may offer the age priority."""
        s = self.state
        with s.lock:
            self.core.touch()
            if s.screen.view is not View.OPTIONS:
                return
            c = s.citizen
            c.id_hash, c.birth_date = read.id_hash, read.birth_date
            age = self._age_priority()
            if age and c.priority is None:
                c.priority = priority.ELDERLY  # offered automatically; one tap removes it
            # The masked name (张*) greets the citizen on this page only; it is kept nowhere else.
            greeting = f"{read.masked_name}，您好！" if read.masked_name else ""
            c.message = greeting + "已读取身份证" + ("，已为您选择老年人优先" if age else "")
            self.core.set(self.options_screen(), prompt=False)
            if age:
                self.core.say("已为您选择老年人优先")
        self.core.notify()

    def options_screen(self) -> OptionsScreen:
        """The priority options page for the citizen as they stand. The caller holds the lock."""
        c = self.state.citizen
        matter = self.core.matter()
        target = matter.name if matter is not None else self.core.service_name(c.service)
        age = self._age_priority()
        granted = self._granted()
        offered = ((priority.AGE,) if age else ()) + tuple(o for o in priority.DECLARED if o.code in granted)
        choices = tuple(PriorityChoice(o.code, o.label, o.code == c.priority) for o in offered)
        chosen = priority.option(c.priority) if c.priority else None
        if chosen is None:
            note = ""
        elif chosen.needs_confirmation:
            note = f"您选择了{chosen.label}优先，请在窗口出示相关证件确认"
        else:
            note = "已根据身份证为您选择老年人优先"
        return OptionsScreen(target, c.id_hash is not None, age, choices, c.priority, note, c.message)

    # --- transactions (on the citizen worker) -----------------------------------------------------

    def transact(self, op: Op, args: dict[str, Any]) -> None:
        """The ticket rule (``kiosk.tickets``) on the citizen worker, then the screen it leads to."""
        try:
            if not self.health.printer_ready():
                self.core.finish(GuideDeskScreen(f"打印机暂不可用，{GUIDE_DESK_TEXT}"))
                return
            self._show(self.ports.desk.issue(op, args, on_wait=self._still_issuing))
        except Exception:
            log.exception("%s failed unexpectedly", op.value)
            self.core.finish(GuideDeskScreen(f"系统异常，{GUIDE_DESK_TEXT}"))

    def recover(self) -> None:
        """After a restart: finish what the journal left open, showing each ticket as it prints."""
        s = self.state
        with s.lock:
            s.busy = True
        try:
            self.ports.desk.recover(self._show)
        finally:
            with s.lock:
                s.busy = False

    # --- internals --------------------------------------------------------------------------------

    def _still_issuing(self) -> None:
        """No reply yet after the first attempts: the desk goes on (same id); the citizen is asked
        to stay rather than walk off and leave a ticket the server may hold unprinted."""
        with self.state.lock:
            screen = self.state.screen
            target = screen.target_name if isinstance(screen, IssuingScreen) else ""
            self.core.set(IssuingScreen(target, STILL_ISSUING_TEXT), prompt=False)
            self.core.say(STILL_ISSUING_TEXT)
        self.core.notify()

    def _show(self, outcome: Outcome) -> None:
        if isinstance(outcome, AlreadyPrinting):
            return
        if isinstance(outcome, Unreachable):
            self.health.server_unreachable()
            self.core.finish(GuideDeskScreen(f"暂时无法连接取号系统，{GUIDE_DESK_TEXT}"))
            self.health.publish_health()
            return
        with self.state.lock:
            self.state.server_ok = True
        if isinstance(outcome, Refused):
            self.core.finish(self._refusal(outcome.op, outcome.response))
        elif isinstance(outcome, Broken):
            self.core.finish(GuideDeskScreen(f"{outcome.reason}，{GUIDE_DESK_TEXT}"))
        else:
            ticket, note = outcome.ticket, _confirm_note(outcome.ticket)
            if not outcome.printed:
                self.health.poll_printer()
                text = f"号票打印失败，请记下您的号码 {ticket.number}，或到导办台补打"
            elif outcome.recovered:
                text = "已为您补打上次未完成的号票，请取走"
            else:
                text = "请取走号票，留意叫号屏和语音提示"
            uploaded = self.after_issue(ticket) if self.after_issue is not None else ""
            if uploaded:
                text = f"{text}\n{uploaded}"
            self.core.finish(TicketScreen(ticket, outcome.printed, text, note))

    def _refusal(self, op: Op, resp: Response) -> Screen:
        error = resp.error
        code = error.code if error is not None else ErrorCode.INTERNAL.value
        message = error.message if error is not None and error.message else _zh(code)
        detail = error.detail if error is not None else {}
        if op is Op.APPOINTMENT_CHECKIN:
            return self._checkin_refusal(code, message, detail)
        if code in (ErrorCode.SERVICE_CLOSED, ErrorCode.CUTOFF_PASSED):
            with self.state.lock:
                tile = self.core.tile(self.state.citizen.service or "")
            if tile is not None and not tile.open:
                message = f"{message}\n{tile.status_text}"
        return RefusedScreen("暂时无法取号", message, code)

    def _checkin_refusal(self, code: str, message: str, detail: dict[str, Any]) -> Screen:
        if code in (ErrorCode.TOO_LATE, "checkin_too_late"):
            with self.state.lock:
                self.state.citizen.message = message
            return CheckinLateScreen(message)
        if code in (ErrorCode.TOO_EARLY, "checkin_too_early"):
            opens = detail.get("opens_at")
            if isinstance(opens, int | float | str):
                with contextlib.suppress(ValueError):
                    message += f"（签到开始时间：{describe_opening(_moment(opens), self.ports.clock.now())}）"
            return RefusedScreen("尚未到签到时间", message, code)
        if code == ErrorCode.NOT_FOUND:
            return CheckinScreen(self.state.citizen.checkin_code, "未找到该预约，请核对预约码或到导办台咨询")
        return RefusedScreen("无法签到", message, code)

    def _age_priority(self) -> bool:
        if priority.ELDERLY not in self._granted():
            return False
        today = local(self.ports.clock.now()).date()
        return priority.age_priority(self.state.citizen.birth_date, today, self._elderly_age())

    def _granted(self) -> frozenset[str]:
        """The priority classes the hall grants (``extra.priority_classes`` of the device config); every
        class while the config has not said (an older server, or none yet)."""
        config = self.state.config
        value = config.extra.get("priority_classes") if config is not None else None
        if isinstance(value, list) and all(isinstance(code, str) for code in value):
            return frozenset(value)
        return frozenset(o.code for o in priority.ALL)

    def _elderly_age(self) -> int:
        config = self.state.config
        if config is not None:
            value = config.extra.get("elderly_age")
            if isinstance(value, int) and 50 <= value <= 80:
                return value
        return self.ports.settings.elderly_age


def _confirm_note(ticket: TicketResult) -> str:
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
