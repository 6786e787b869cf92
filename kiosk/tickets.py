"""The ticket rule, alone: one citizen, one ticket, one print.

:class:`TicketDesk` journals a request in the outbox, sends it, resends the SAME id when no reply
comes, prints only what the server answered, and finishes after a restart what the journal left
open. It decides nothing about screens: each call returns an :class:`Outcome` the model shows.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from devices.errors import DeviceError
from queue_server.protocol.client import RequestTimeoutError
from queue_server.protocol.messages import Op, Response, TicketResult

from .clock import Clock
from .link import ServerPort
from .outbox import EntryState, Outbox, OutboxEntry
from .ports import TicketPrinter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Unreachable:
    """No reply after every attempt: nothing was printed; the server may or may not hold a ticket."""


@dataclass(frozen=True, slots=True)
class Refused:
    op: Op
    response: Response


@dataclass(frozen=True, slots=True)
class Issued:
    ticket: TicketResult
    printed: bool
    recovered: bool


@dataclass(frozen=True, slots=True)
class Broken:
    """A reply that is no ticket, or an unexpected failure: nothing printed."""

    reason: str


@dataclass(frozen=True, slots=True)
class AlreadyPrinting:
    """The journal says this ticket went to the printer already: never print it twice."""


Outcome = Unreachable | Refused | Issued | Broken | AlreadyPrinting


class TicketDesk:
    def __init__(
        self,
        *,
        server: ServerPort,
        outbox: Outbox,
        printer: TicketPrinter,
        clock: Clock,
        timeout_s: float,
        attempts: int,
        max_age_s: float,
        keep_s: float,
        patience_s: float = 0.0,
    ) -> None:
        self.server = server
        self.outbox = outbox
        self.printer = printer
        self.clock = clock
        self.timeout_s = timeout_s
        self.attempts = attempts
        # The total wait before giving up: past ``attempts`` × ``timeout_s`` the same id keeps going
        # out every ``timeout_s`` (a city's server failing over takes 6–8 s), the citizen told to wait.
        self.patience_s = max(patience_s, timeout_s * attempts)
        self.max_age_s = max_age_s
        self.keep_s = keep_s

    def issue(self, op: Op, args: dict[str, Any], on_wait: Callable[[], None] | None = None) -> Outcome:
        """Journal a new request, then send it and print the answer. ``on_wait`` is called once when
        the first attempts went unanswered and the desk keeps trying (the screen asks to wait)."""
        rid = self.server.new_request_id()
        self.outbox.add(rid, op.value, args, self._now())
        return self._send_and_print(rid, op, args, recovered=False, on_wait=on_wait)

    def recover(self, each: Callable[[Outcome], None]) -> None:
        """After a restart: resend in-flight requests (same id), print answered ones, once each."""
        now = self._now()
        self.outbox.prune(now - self.keep_s)
        for entry in self.outbox.open_entries():
            if now - entry.created_at > self.max_age_s:
                log.warning("outbox %s is %.0f s old; not resent", entry.request_id, now - entry.created_at)
                self.outbox.move(entry.request_id, EntryState.ABANDONED, now)
                continue
            each(self._finish_entry(entry))

    def _finish_entry(self, entry: OutboxEntry) -> Outcome:
        log.info("outbox: finishing %s %s (%s)", entry.op, entry.request_id, entry.state.value)
        if entry.state is EntryState.ANSWERED and entry.response is not None:
            return self._print_answer(entry.request_id, entry.response, recovered=True)
        return self._send_and_print(entry.request_id, Op(entry.op), entry.args, recovered=True)

    def _request(
        self, rid: str, op: Op, args: dict[str, Any], on_wait: Callable[[], None] | None
    ) -> Response:
        """The reply to ``rid``, resent with the same id for up to ``patience_s``; RequestTimeoutError
        when none came. A reply lost between the two phases is not lost: the resend is answered from
        the server's stored reply (its request log)."""
        try:
            return self.server.request(
                op.value, args, request_id=rid, timeout=self.timeout_s, attempts=self.attempts
            )
        except RequestTimeoutError:
            more = math.ceil(self.patience_s / self.timeout_s - self.attempts - 1e-9)
            if more <= 0:
                raise
        log.info("%s %s: no reply after %d attempts; %d more (same id)", op, rid, self.attempts, more)
        if on_wait is not None:
            on_wait()
        return self.server.request(op.value, args, request_id=rid, timeout=self.timeout_s, attempts=more)

    def _send_and_print(
        self,
        rid: str,
        op: Op,
        args: dict[str, Any],
        *,
        recovered: bool,
        on_wait: Callable[[], None] | None = None,
    ) -> Outcome:
        try:
            resp = self._request(rid, op, args, on_wait)
        except RequestTimeoutError:
            log.warning(
                "%s %s: no reply within %.0f s; citizen sent to the guide desk", op, rid, self.patience_s
            )
            self.outbox.move(rid, EntryState.ABANDONED, self._now())
            return Unreachable()
        self.outbox.answered(rid, resp, self._now())
        if not resp.ok:
            return Refused(op, resp)
        return self._print_answer(rid, resp, recovered=recovered)

    def _print_answer(self, rid: str, resp: Response, *, recovered: bool) -> Outcome:
        try:
            ticket = TicketResult.model_validate(resp.result or {})
        except ValidationError:
            log.exception("reply %s is not a ticket", rid)
            self.outbox.move(rid, EntryState.PRINT_FAILED, self._now())
            return Broken("取号结果异常")
        if not self.outbox.move(rid, EntryState.PRINTING, self._now()):
            log.warning("ticket %s of %s already printing or printed; not printing again", ticket.number, rid)
            return AlreadyPrinting()
        try:
            self.printer.print_ticket(ticket)
        except DeviceError as exc:
            log.warning("ticket %s not printed: %s", ticket.number, exc)
            self.outbox.move(rid, EntryState.PRINT_FAILED, self._now())
            return Issued(ticket, printed=False, recovered=recovered)
        self.outbox.move(rid, EntryState.PRINTED, self._now())
        return Issued(ticket, printed=True, recovered=recovered)

    def _now(self) -> float:
        return self.clock.now().timestamp()
