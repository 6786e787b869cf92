"""Who may act: on a window, managers on any, staff on the window they are signed in at, a window agent
on the window its config binds it to (a window display bound to the same window only shows it); a
kiosk issues only for the services the hall file gives it; supervision is the managers', accounts and
settings (window printers) the administrators'. Checked once, here, for every door."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import SQLModel, select

from devices.printer import (
    FileTransportConfig,
    NetworkTransportConfig,
    PrinterConfig,
    SerialTransportConfig,
)
from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError
from queue_server.protocol.messages import DeviceKind, WindowStatus
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Device, Service, Staff, Window

# Review and supervision (any window, special tickets, rectification, ratings, statistics): managers.
# Administrators keep accounts and settings and do not supervise the floor (docs/security.md).
SUPERVISORS = frozenset({Role.MANAGER})
ADMINS = frozenset({Role.ADMIN})
# The guide desk (导办台: issue on a citizen's behalf, look up, reprint, void, enquiries): its clerks,
# and managers who stand in for them. A guide-desk clerk signs in at no window and reviews nothing.
GUIDE_DESK = frozenset({Role.GUIDE, Role.MANAGER})
# The devices that may send window operations: a window agent (keypad, rating pad), not a display.
WINDOW_ACTORS = frozenset({DeviceKind.WINDOW_AGENT.value})


def authorize_window(tx: Tx, actor: Actor, window: Window) -> None:
    if actor.role in SUPERVISORS:
        return
    if actor.role is Role.STAFF:
        staff = None if window.staff_id is None else tx.session.get(Staff, window.staff_id)
        if staff is not None and staff.login == actor.id:
            return
        raise NotAuthorizedError("您未在该窗口签到，不能操作该窗口。", window=window.number)
    if actor.role is Role.DEVICE:
        bound = _DEVICE_BINDING.first(tx.conn, {"hall_id": tx.hall_id, "device_id": actor.id})
        if bound is not None and bound[0] == window.id and bound[1] in WINDOW_ACTORS:
            return
        raise NotAuthorizedError("该设备未绑定此窗口。", window=window.number, device=actor.id)
    raise NotAuthorizedError()


def authorize_issue(tx: Tx, service: Service) -> None:
    """A kiosk issues only for the services its hall-file entry lists (none listed: every service)."""
    device_id = tx.device_id
    if device_id is None:
        return
    hall_id = tx.hall_id
    offered = tx.keep(
        ("device_services", device_id),
        lambda: tx.session.exec(
            select(Device.services).where(Device.hall_id == hall_id, Device.device_id == device_id)
        ).first(),
    )
    if offered and service.code not in offered:
        raise NotAuthorizedError("本机不办理该业务。", service=service.code, device=device_id)


def require_supervisor(actor: Actor) -> None:
    if actor.role not in SUPERVISORS:
        raise NotAuthorizedError("仅值班长可进行此操作。")


def require_guide_desk(actor: Actor) -> None:
    if actor.role not in GUIDE_DESK:
        raise NotAuthorizedError("仅导办台工作人员可进行此操作。")


def require_admin(actor: Actor) -> None:
    """Accounts and settings: administrators only."""
    if actor.role not in ADMINS:
        raise NotAuthorizedError("仅管理员可进行此操作。")


def require_status(window: Window, *allowed: WindowStatus) -> None:
    """InvalidStateError unless the window is in one of ``allowed``."""
    if WindowStatus(window.status) not in allowed:
        raise InvalidStateError(
            window=window.number, status=window.status, allowed=[status.value for status in allowed]
        )


# The device nodes a window printer may be: a usblp node or a stable serial path, nothing else (a
# path given over HTTP must not become "append to any file the server can write").
_PRINTER_PATHS = (re.compile(r"/dev/usb/lp[0-9]{1,3}"), re.compile(r"/dev/serial/by-id/[A-Za-z0-9._:+@-]+"))


def printer_target_refused(config: PrinterConfig, addresses: Iterable[str]) -> str | None:
    """Why the printer's target is not allowed (None: it is). Device paths: /dev/usb/lp*,
    /dev/serial/by-id/*; network printers: the configured ``addresses`` ("host:port", or "host" for any
    port); a USB printer by vendor and product id needs no entry."""
    transport = config.transport
    if isinstance(transport, FileTransportConfig | SerialTransportConfig):
        if any(pattern.fullmatch(transport.path) for pattern in _PRINTER_PATHS):
            return None
        return f"打印机设备路径不在允许范围内（/dev/usb/lp*、/dev/serial/by-id/*）：{transport.path}"
    if isinstance(transport, NetworkTransportConfig):
        allowed = set(addresses)
        if transport.host in allowed or f"{transport.host}:{transport.port}" in allowed:
            return None
        return f"打印机地址未在服务器配置中登记（printer_addresses）：{transport.host}:{transport.port}"
    return None


def require_printer_target(config: PrinterConfig, addresses: Iterable[str]) -> None:
    reason = printer_target_refused(config, addresses)
    if reason is not None:
        raise BadRequestError(reason, field="transport")


_DEVICE: sa.Table = SQLModel.metadata.tables[Device.__tablename__]
# Every window operation an agent sends asks this: one prebuilt statement, past the session.
_DEVICE_BINDING = Prepared(
    sa.select(_DEVICE.c.window_id, _DEVICE.c.kind).where(
        _DEVICE.c.hall_id == sa.bindparam("hall_id"), _DEVICE.c.device_id == sa.bindparam("device_id")
    )
)
