"""Every device of a hall as the managers' overview shows it: online (by its newest status and its
heartbeat, the supervision rule), last seen, boot count, printer paper."""

from __future__ import annotations

from sqlmodel import col, select

from queue_server.domain.alerts import device_online
from queue_server.services.engine.tx import Tx
from queue_server.services.supervision.models import DeviceStatusList, DeviceStatusView
from queue_server.services.supervision.snapshot import device_seen, rules_of
from queue_server.store.tables import Device, Window


def device_statuses(tx: Tx) -> DeviceStatusList:
    rules = rules_of(tx)
    numbers = {w.id: w.number for w in tx.session.exec(select(Window).where(Window.hall_id == tx.hall_id))}
    rows = tx.session.exec(select(Device).where(Device.hall_id == tx.hall_id).order_by(col(Device.device_id)))
    devices: list[DeviceStatusView] = []
    for row in rows:
        seen = device_seen(row, numbers)
        status = row.status or {}
        health = status.get("health")
        version = status.get("version")
        devices.append(
            DeviceStatusView(
                id=row.device_id,
                kind=row.kind,
                window=seen.window,
                online=device_online(seen.state, seen.last_seen, tx.now, rules),
                state=row.state,
                last_seen=None if seen.last_seen is None else seen.last_seen.timestamp(),
                boot_count=row.boot,
                paper=seen.paper,
                version=version if isinstance(version, str) else None,
                health={str(k): str(v) for k, v in health.items()} if isinstance(health, dict) else {},
                name=row.name,
            )
        )
    return DeviceStatusList(devices=devices)
