"""What a window or ticket action answers: its own result, or the counter console's picture after it.

The integrator API and the counter console share one route per action. The console adds
``?view=console`` and gets a ``ConsoleReply``: the action's result and the window's ``ConsoleView``
read right after the action committed (so its ``version`` is at least the action's event). The page
shows that picture at once instead of asking for one afterwards, and never replaces it by a picture of
a smaller ``version`` (a refresh that left before the action and lands after its answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Query
from typing_extensions import TypeAliasType

from queue_server.errors import InvalidStateError
from queue_server.protocol.messages import TicketStatusResult, WindowOpResult
from queue_server.services import Services
from queue_server.services.casework.models import FinishResult
from queue_server.services.ports import Actor
from queue_server.services.views.models import ConsoleReply, ConsoleView

from .deps import HallDep, HallStaff, ServicesDep

# The answers, named in the OpenAPI document: an action's own result, or the console's reply.
WindowReply = TypeAliasType("WindowReply", WindowOpResult | ConsoleReply)
TicketReply = TypeAliasType("TicketReply", TicketStatusResult | ConsoleReply)
FinishReply = TypeAliasType("FinishReply", WindowOpResult | FinishResult | ConsoleReply)


class ReplyView(StrEnum):
    """``?view=``: the picture the caller wants with the action's result."""

    CONSOLE = "console"


ViewQuery = Annotated[
    ReplyView | None,
    Query(
        description="`console`: answer with a ConsoleReply (the result and the window's console picture "
        "read after the action) instead of the action's result alone",
    ),
]


@dataclass(frozen=True, slots=True)
class Answer:
    """How one request answers: ``op``/``ticket``/``finished`` wrap the action's result."""

    services: Services
    hall: str
    window: str | None
    actor: Actor
    view: ReplyView | None

    def op(self, op: WindowOpResult) -> WindowReply:
        return op if self.view is None else ConsoleReply(view=self._picture(), op=op)

    def ticket(self, ticket: TicketStatusResult) -> TicketReply:
        return ticket if self.view is None else ConsoleReply(view=self._picture(), ticket=ticket)

    def finished(self, finished: FinishResult) -> FinishReply:
        return finished if self.view is None else ConsoleReply(view=self._picture(), finished=finished)

    def _picture(self) -> ConsoleView:
        # window_answer/ticket_answer refuse a console view without a window before the action runs.
        assert self.window is not None
        return self.services.console(self.hall, self.window, actor=self.actor)


def window_answer(
    hall: HallDep, window: str, staff: HallStaff, services: ServicesDep, view: ViewQuery = None
) -> Answer:
    """An action at the window in the path: the picture is that window's."""
    return Answer(services, hall, window, staff.actor, view)


def ticket_answer(hall: HallDep, staff: HallStaff, services: ServicesDep, view: ViewQuery = None) -> Answer:
    """An action on a ticket (no window in the path): the picture is of the window the person is
    signed in at; refused, before anything is done, if they are at none."""
    if view is not None and staff.info.window is None:
        raise InvalidStateError("您未在窗口签到，无法显示窗口工作台。", view=view.value)
    return Answer(services, hall, staff.info.window, staff.actor, view)


WindowAnswer = Annotated[Answer, Depends(window_answer)]
TicketAnswer = Annotated[Answer, Depends(ticket_answer)]
