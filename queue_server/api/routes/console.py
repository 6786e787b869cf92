"""The counter console's own requests: the window's picture, finishing a visit as a case, transfer to
a person, and the window's thermal printer. The plain window actions (next, recall, start, no-show,
pause, resume, open, close, call a ticket, hold) are the core's ``windows``/``tickets`` routes."""

from __future__ import annotations

from fastapi import APIRouter, Response

from devices.printer import PrinterConfig
from queue_server.api.deps import HallDep, HallStaff, HallSupervisor, IdempotencyKey
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.routes.desk_deps import DeskDep
from queue_server.errors import NotFoundError
from queue_server.protocol.messages import WindowOpResult
from queue_server.services.desk_models import (
    CallNumberRequest,
    CaseRequest,
    ConsoleView,
    FinishResult,
    TransferRequest,
)

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
