"""The counter console's picture of a window, and the window's thermal printer.

The console acts through the window and ticket routes every caller uses, with ``?view=console`` to get
this picture back with the result (``api/replies.py``).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from devices.printer import PrinterConfig
from queue_server.api.deps import HallAdmin, HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.errors import NotFoundError
from queue_server.services.views.models import ConsoleView

router = APIRouter(prefix="/api/halls/{hall}/windows/{window}", tags=["console"], responses=PROBLEM_RESPONSES)


@router.get("/console", response_model=ConsoleView, summary="the window as the counter console shows it")
def console(hall: HallDep, window: str, staff: HallStaff, services: ServicesDep) -> ConsoleView:
    return services.console(hall, window, actor=staff.actor)


@router.get("/printer", response_model=PrinterConfig, summary="the window's thermal printer")
def get_printer(hall: HallDep, window: str, staff: HallStaff, services: ServicesDep) -> PrinterConfig:
    config = services.window_printer(hall, window)
    if config is None:
        raise NotFoundError("该窗口未配置打印机。", what="printer", window=window)
    return config


@router.put(
    "/printer",
    response_model=PrinterConfig,
    summary="configure the window's thermal printer (administrators; allow-listed targets only)",
)
def put_printer(
    hall: HallDep,
    window: str,
    body: PrinterConfig,
    staff: HallAdmin,
    services: ServicesDep,
    key: RequestId,
) -> PrinterConfig:
    services.set_window_printer(hall, window, body, actor=staff.actor, request_id=key)
    return body


@router.delete("/printer", status_code=204, summary="the window has no printer any more")
def delete_printer(
    hall: HallDep, window: str, staff: HallAdmin, services: ServicesDep, key: RequestId
) -> Response:
    services.set_window_printer(hall, window, None, actor=staff.actor, request_id=key)
    return Response(status_code=204)
