"""When to prompt the rating pad, and for which visit (pure).

A visit ends when the finish reply comes back ok, or when the window's state moves away from serving
that ticket (finished at the counter console, or while this agent was offline). Either way the pad is
prompted once per visit: the two signals usually both arrive, and a retained state comes again after
every reconnect. An open prompt is withdrawn when the window starts serving someone else, so the next
citizen cannot rate the previous visit.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from devices.ratingpad.protocol import VISIT_ID
from queue_server.protocol.messages import WindowState, WindowStatus

REMEMBERED_VISITS = 512


def pad_visit_id(ticket_id: str) -> str:
    """The id the rating pad's protocol can carry (``[A-Za-z0-9_-]{1,32}``) for a ticket id.

    Ticket ids are 22 url-safe characters today and pass through unchanged; anything else gets a
    stable hash so the pad protocol never limits what the server may use as an id.
    """
    if VISIT_ID.fullmatch(ticket_id):
        return ticket_id
    return "h" + hashlib.sha256(ticket_id.encode()).hexdigest()[:31]


@dataclass(frozen=True, slots=True)
class PadAction:
    """What to do with the pad after an event: prompt for a visit, withdraw the open prompt, or nothing."""

    prompt: str | None = None
    cancel: bool = False


NOTHING = PadAction()


class VisitTracker:
    """Thread-safe: window states come from the MQTT thread, finish replies from the outbox worker."""

    def __init__(self, remember: int = REMEMBERED_VISITS) -> None:
        self._lock = threading.Lock()
        self._serving: str | None = None
        self._open: str | None = None
        self._prompted: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    @property
    def open_prompt(self) -> str | None:
        """The ticket id of the visit the pad is waiting for, if any."""
        return self._open

    def on_state(self, state: WindowState) -> PadAction:
        with self._lock:
            serving = state.ticket_id if state.status is WindowStatus.SERVING else None
            ended, self._serving = self._serving, serving
            if ended is not None and ended != serving:
                return self._prompt(ended)
            if serving is not None and self._open is not None and serving != self._open:
                self._open = None
                return PadAction(cancel=True)
            return NOTHING

    def on_finished(self, ticket_id: str) -> PadAction:
        with self._lock:
            if self._serving == ticket_id:
                self._serving = None
            return self._prompt(ticket_id)

    def on_rated(self, ticket_id: str) -> None:
        with self._lock:
            self._seen(ticket_id)
            if self._open == ticket_id:
                self._open = None

    def restore(self, ticket_id: str) -> PadAction:
        """After a restart: the prompt that was open before (kept on disk) is open again."""
        with self._lock:
            self._seen(ticket_id)
            self._open = ticket_id
            return PadAction(prompt=ticket_id)

    def _prompt(self, ticket_id: str) -> PadAction:
        if ticket_id in self._prompted:
            return NOTHING
        self._seen(ticket_id)
        self._open = ticket_id
        return PadAction(prompt=ticket_id)

    def _seen(self, ticket_id: str) -> None:
        self._prompted[ticket_id] = None
        self._prompted.move_to_end(ticket_id)
        while len(self._prompted) > self._remember:
            self._prompted.popitem(last=False)
