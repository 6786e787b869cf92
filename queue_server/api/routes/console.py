"""The counter console's own requests: the window's picture, finishing a visit as a case, transfer to
a person, and the window's thermal printer. The plain window actions (next, recall, start, no-show,
pause, resume, open, close, call a ticket, hold) are the core's ``windows``/``tickets`` routes.

The console itself acts through ``…/console/<action>``: the same use cases, answered with the
window's picture read right after the commit (``ConsoleReply``). The page shows that picture at once
instead of asking for one afterwards, and never replaces it by a picture of a smaller ``version`` (a
refresh that left before the action and lands after its answer).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from fastapi import APIRouter, Response

from devices.printer import PrinterConfig
from queue_server.api.deps import HallDep, HallStaff, HallSupervisor, IdempotencyKey, request_id
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.routes.desk_deps import DeskDep
from queue_server.api.schemas import PriorityRequest
from queue_server.errors import NotFoundError
from queue_server.protocol.messages import TicketStatusResult, WindowOpResult, WindowPauseArgs
from queue_server.services.desk import Desk
from queue_server.services.desk_models import (
    CallNumberRequest,
    CaseRequest,
    ConsoleReply,
    ConsoleView,
    FinishResult,
    TransferRequest,
)
from queue_server.services.hall import Services
from queue_server.services.ports import Actor

router = APIRouter(prefix="/api/halls/{hall}/windows/{window}", tags=["console"], responses=PROBLEM_RESPONSES)


@router.get("/console", response_model=ConsoleView, summary="the window as the counter console shows it")
def console(hall: HallDep, window: str, staff: HallStaff, desk: DeskDep) -> ConsoleView:
    return desk.console(hall, window, actor=staff.actor)


@router.post(
    "/finish-case",
    response_model=FinishResult,
    summary="finish the visit as a case (七件), issue and print documents",
)
def finish_case(
    hall: HallDep, window: str, body: CaseRequest, staff: HallStaff, desk: DeskDep, key: IdempotencyKey = None
) -> FinishResult:
    return desk.finish(hall, window, body, actor=staff.actor, request_id=key)


@router.post(
    "/transfer-to",
    response_model=WindowOpResult,
    summary="transfer the visit to a service, a window or a person",
)
def transfer_to(
    hall: HallDep,
    window: str,
    body: TransferRequest,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return desk.transfer(hall, window, body, actor=staff.actor, request_id=key)


@router.get("/printer", response_model=PrinterConfig, summary="the window's thermal printer")
def get_printer(hall: HallDep, window: str, staff: HallStaff, desk: DeskDep) -> PrinterConfig:
    config = desk.window_printer(hall, window)
    if config is None:
        raise NotFoundError("该窗口未配置打印机。", what="printer", window=window)
    return config


@router.put("/printer", response_model=PrinterConfig, summary="configure the window's thermal printer")
def put_printer(
    hall: HallDep, window: str, body: PrinterConfig, staff: HallSupervisor, desk: DeskDep
) -> PrinterConfig:
    desk.set_window_printer(hall, window, body, actor=staff.actor)
    return body


@router.delete("/printer", status_code=204, summary="the window has no printer any more")
def delete_printer(hall: HallDep, window: str, staff: HallSupervisor, desk: DeskDep) -> Response:
    desk.set_window_printer(hall, window, None, actor=staff.actor)
    return Response(status_code=204)


@router.post(
    "/call-number", response_model=WindowOpResult, summary="call a ticket by its number (reason audited)"
)
def call_number(
    hall: HallDep,
    window: str,
    body: CallNumberRequest,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> WindowOpResult:
    return desk.call_number(hall, window, body.number, body.reason, actor=staff.actor, request_id=key)


# --- the console's actions, answered with the window's picture --------------------------------------

C = "/console"


def _reply(
    desk: Desk,
    hall: str,
    window: str,
    actor: Actor,
    *,
    op: WindowOpResult | None = None,
    ticket: TicketStatusResult | None = None,
    finished: FinishResult | None = None,
) -> ConsoleReply:
    # A read of its own after the action's commit: its version is at least the action's event.
    view = desk.console(hall, window, actor=actor)
    return ConsoleReply(view=view, op=op, ticket=ticket, finished=finished)


@router.post(C + "/pause", response_model=ConsoleReply, summary="pause the window; the picture after it")
def console_pause(
    hall: HallDep,
    window: str,
    body: WindowPauseArgs,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> ConsoleReply:
    op = desk.services.pause(hall, window, body.reason, actor=staff.actor, request_id=request_id(key))
    return _reply(desk, hall, window, staff.actor, op=op)


@router.post(
    C + "/priority", response_model=ConsoleReply, summary="confirm or reject a priority; the picture after it"
)
def console_priority(
    hall: HallDep,
    window: str,
    body: PriorityRequest,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> ConsoleReply:
    op = desk.services.confirm_priority(hall, window, body.confirmed, actor=staff.actor, request_id=key)
    return _reply(desk, hall, window, staff.actor, op=op)


@router.post(
    C + "/call-number",
    response_model=ConsoleReply,
    summary="call a ticket by its number; the picture after it",
)
def console_call_number(
    hall: HallDep,
    window: str,
    body: CallNumberRequest,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> ConsoleReply:
    op = desk.call_number(hall, window, body.number, body.reason, actor=staff.actor, request_id=key)
    return _reply(desk, hall, window, staff.actor, op=op)


@router.post(
    C + "/transfer-to", response_model=ConsoleReply, summary="transfer the visit; the picture after it"
)
def console_transfer_to(
    hall: HallDep,
    window: str,
    body: TransferRequest,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> ConsoleReply:
    op = desk.transfer(hall, window, body, actor=staff.actor, request_id=key)
    return _reply(desk, hall, window, staff.actor, op=op)


@router.post(
    C + "/finish-case",
    response_model=ConsoleReply,
    summary="finish the visit as a case; the picture after it",
)
def console_finish_case(
    hall: HallDep, window: str, body: CaseRequest, staff: HallStaff, desk: DeskDep, key: IdempotencyKey = None
) -> ConsoleReply:
    finished = desk.finish(hall, window, body, actor=staff.actor, request_id=key)
    return _reply(desk, hall, window, staff.actor, finished=finished)


@router.post(
    C + "/tickets/{ticket_id}/hold",
    response_model=ConsoleReply,
    summary="set a ticket aside; the picture after it",
)
def console_hold(
    hall: HallDep, window: str, ticket_id: str, staff: HallStaff, desk: DeskDep, key: IdempotencyKey = None
) -> ConsoleReply:
    ticket = desk.services.hold_ticket(hall, ticket_id, actor=staff.actor, request_id=key)
    return _reply(desk, hall, window, staff.actor, ticket=ticket)


@router.post(
    C + "/tickets/{ticket_id}/resume",
    response_model=ConsoleReply,
    summary="put a held ticket back in the queue; the picture after it",
)
def console_resume_ticket(
    hall: HallDep, window: str, ticket_id: str, staff: HallStaff, desk: DeskDep, key: IdempotencyKey = None
) -> ConsoleReply:
    ticket = desk.services.resume_ticket(hall, ticket_id, actor=staff.actor, request_id=key)
    return _reply(desk, hall, window, staff.actor, ticket=ticket)


class ConsoleAction(StrEnum):
    """The window actions without a body (the core's ``windows`` routes of the same names)."""

    OPEN = "open"
    CLOSE = "close"
    NEXT = "next"
    RECALL = "recall"
    START = "start"
    NO_SHOW = "no-show"
    RESUME = "resume"


_Act = Callable[[Services, str, str, Actor, str], WindowOpResult]
_ACTIONS: dict[ConsoleAction, _Act] = {
    ConsoleAction.OPEN: lambda s, h, w, a, k: s.open_window(h, w, actor=a, request_id=k),
    ConsoleAction.CLOSE: lambda s, h, w, a, k: s.close_window(h, w, actor=a, request_id=k),
    ConsoleAction.NEXT: lambda s, h, w, a, k: s.call_next(h, w, actor=a, request_id=k),
    ConsoleAction.RECALL: lambda s, h, w, a, k: s.recall(h, w, actor=a, request_id=k),
    ConsoleAction.START: lambda s, h, w, a, k: s.start(h, w, actor=a, request_id=k),
    ConsoleAction.NO_SHOW: lambda s, h, w, a, k: s.no_show(h, w, actor=a, request_id=k),
    ConsoleAction.RESUME: lambda s, h, w, a, k: s.resume(h, w, actor=a, request_id=k),
}


# Last: the routes above are not actions of this one (a path matches the first route that has it).
@router.post(C + "/{action}", response_model=ConsoleReply, summary="a window action; the picture after it")
def console_action(
    hall: HallDep,
    window: str,
    action: ConsoleAction,
    staff: HallStaff,
    desk: DeskDep,
    key: IdempotencyKey = None,
) -> ConsoleReply:
    op = _ACTIONS[action](desk.services, hall, window, staff.actor, request_id(key))
    return _reply(desk, hall, window, staff.actor, op=op)
