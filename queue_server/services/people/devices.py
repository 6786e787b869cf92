"""Devices as the server knows them: window bindings and the last status each one retained."""

from __future__ import annotations

from sqlmodel import Session, col, select

from queue_server.errors import BadRequestError
from queue_server.protocol.codec import ProtocolError, decode
from queue_server.protocol.messages import DeviceStatus
from queue_server.services.engine.models import Ack
from queue_server.services.engine.tx import Tx
from queue_server.store.tables import Device, Window


def device_window(session: Session, hall_id: int, device_id: str) -> str | None:
    return session.exec(
        select(Window.number)
        .join(Device, col(Device.window_id) == col(Window.id))
        .where(Device.hall_id == hall_id, Device.device_id == device_id)
    ).first()


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
