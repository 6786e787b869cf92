"""Devices as the server knows them: window bindings and the last status each one retained."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import SQLModel, select

from queue_server.errors import BadRequestError
from queue_server.protocol.codec import ProtocolError, decode
from queue_server.protocol.messages import DeviceStatus
from queue_server.services.engine.models import Ack
from queue_server.services.engine.tx import Tx
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Device, Window


def device_window(conn: Connection, hall_id: int, device_id: str) -> str | None:
    """The window a device is bound to: asked before every window operation an agent sends, so one
    prebuilt statement (building the ORM query cost as much as running it)."""
    row = _DEVICE_WINDOW.first(conn, {"hall_id": hall_id, "device_id": device_id})
    return None if row is None else str(row[0])


def record_status(tx: Tx, device_id: str, payload: bytes) -> Ack:
    """Keep the newest status; an ``offline`` Last Will of an older boot never wins
    (docs/design/PROTOCOL.md)."""
    try:
        status = decode(DeviceStatus, payload)
    except ProtocolError as exc:
        raise BadRequestError(str(exc)) from None
    device = tx.session.exec(
        select(Device).where(Device.hall_id == tx.hall_id, Device.device_id == device_id).with_for_update()
    ).first()
    if device is None:
        device = Device(hall_id=tx.hall_id, device_id=device_id, kind=status.kind or "unknown")
        tx.session.add(device)
    elif device.status is not None and device.state in ("online", "offline"):
        older = DeviceStatus.model_validate({"state": device.state, "boot": device.boot})
        if not status.supersedes(older):
            return Ack(ok=False)
    changed = device.state != status.state
    device.state = status.state
    device.boot = status.boot
    device.status = status.model_dump(mode="json")
    device.last_seen = tx.now
    if status.kind:
        device.kind = status.kind
    if changed:
        tx.event("device_" + status.state, boot=status.boot, device=device_id)
    return Ack()


_DEVICE: sa.Table = SQLModel.metadata.tables[Device.__tablename__]
_WINDOW: sa.Table = SQLModel.metadata.tables[Window.__tablename__]
_DEVICE_WINDOW = Prepared(
    sa.select(_WINDOW.c.number)
    .join(_DEVICE, _DEVICE.c.window_id == _WINDOW.c.id)
    .where(_DEVICE.c.hall_id == sa.bindparam("hall_id"), _DEVICE.c.device_id == sa.bindparam("device_id"))
)
