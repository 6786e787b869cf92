"""Who may act on a window: managers and admins on any; staff on the window they are signed in at;
a window agent (device) on the window its config binds it to. Checked once, here, for every door."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import SQLModel

from queue_server.errors import InvalidStateError, NotAuthorizedError
from queue_server.protocol.messages import WindowStatus
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Device, Staff, Window

SUPERVISORS = frozenset({Role.ADMIN, Role.MANAGER})


def authorize_window(tx: Tx, actor: Actor, window: Window) -> None:
    if actor.role in SUPERVISORS:
        return
    if actor.role is Role.STAFF:
        staff = None if window.staff_id is None else tx.session.get(Staff, window.staff_id)
        if staff is not None and staff.login == actor.id:
            return
        raise NotAuthorizedError("您未在该窗口签到，不能操作该窗口。", window=window.number)
    if actor.role is Role.DEVICE:
        bound = _DEVICE_WINDOW_ID.first(tx.conn, {"hall_id": tx.hall_id, "device_id": actor.id})
        if bound is not None and bound[0] == window.id:
            return
        raise NotAuthorizedError("该设备未绑定此窗口。", window=window.number, device=actor.id)
    raise NotAuthorizedError()


def require_supervisor(actor: Actor) -> None:
    if actor.role not in SUPERVISORS:
        raise NotAuthorizedError("仅值班长或管理员可进行此操作。")


def require_status(window: Window, *allowed: WindowStatus) -> None:
    """InvalidStateError unless the window is in one of ``allowed``."""
    if WindowStatus(window.status) not in allowed:
        raise InvalidStateError(
            window=window.number, status=window.status, allowed=[status.value for status in allowed]
        )


_DEVICE: sa.Table = SQLModel.metadata.tables[Device.__tablename__]
# Every window operation an agent sends asks this: one prebuilt statement, past the session.
_DEVICE_WINDOW_ID = Prepared(
    sa.select(_DEVICE.c.window_id).where(
        _DEVICE.c.hall_id == sa.bindparam("hall_id"), _DEVICE.c.device_id == sa.bindparam("device_id")
    )
)
