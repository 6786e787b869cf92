"""What each device of a hall is told on its retained ``dev/{id}/config`` topic, and the version of it.

The content comes from the database and the settings, never from the device:

- the device row: ``kind``, the ``window`` it is bound to;
- the window's department (window devices): ``department``, its short name when the hall file gives
  one (a window screen's bottom line is narrow);
- the hall: ``hall_name``; ``extra.elderly_age`` is the hall's age of elderly priority (kiosks select
  老年人优先 for a citizen that old), ``extra.priority_classes`` the priority classes the hall grants
  (its ``[policies]``; kiosks offer only those), ``extra.voice_repeat`` /
  ``extra.voice_repeat_gap_s`` how often the displays say a call;
- ``services``: the window's for window devices (primary first, then the hall's order); for a kiosk
  the ones its row lists (``Device.services``, from the hall file), in the hall's order and only the
  active ones; for a kiosk that lists none, and for the hall display, every active service. A kiosk
  whose listed services are all inactive keeps its list (it then offers nothing: an empty list would
  read as "all");
- ``printer_width_mm``: the device's own width (``Device.printer_width_mm``, from the hall file) when
  its row has one; else, for a window agent, the paper width of the window's printer
  (``WindowPrinter``); else 80. Devices without a printer get 80, the model's default;
- ``citizen_base_url``: the settings' public base URL with the citizen page's path (``…/t/``);
  ``language``: zh-CN.

The version. A device drops a config older than the one it holds (``display/runtime.py`` compares
``version``), so the version must grow whenever the content changes, also across restarts and
server instances, and must not move while the content stays (a republish after every reconnect).
A hash of the content changes but does not grow. So each new content of a device is recorded as an
audit event ``device_config`` carrying the content's hash, and that event's id is the version: ids
only grow, the event log keeps them across restarts, and every instance reads the same ones.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any, Literal

from pydantic import RootModel
from sqlmodel import col, func, select

from queue_server.domain.policies import granted_classes
from queue_server.protocol.messages import DeviceConfig, DeviceKind
from queue_server.services.engine.tx import Tx, pk
from queue_server.store.tables import Department, Device, Event, Service, Window, WindowService
from queue_server.store.tables.casework import WindowPrinter

EVENT_KIND = "device_config"
LANGUAGE = "zh-CN"
CITIZEN_PATH = "/t/"  # the citizen page of a ticket is {public_base_url}/t/{token}
DEFAULT_WIDTH: Literal[80] = 80
VOICE_REPEAT = 2
VOICE_REPEAT_GAP_S = 1.0

# The server is no device of the hall; a row of any other kind (a device that reported a status of a
# kind unknown to the contract) gets no config either.
CONFIGURED_KINDS = frozenset(
    {DeviceKind.KIOSK, DeviceKind.HALL_DISPLAY, DeviceKind.WINDOW_DISPLAY, DeviceKind.WINDOW_AGENT}
)
# The devices with a printer (as ``halls.schema.PRINTING_KINDS``, which this layer does not import).
PRINTING_KINDS = frozenset({DeviceKind.KIOSK, DeviceKind.WINDOW_AGENT})


class DeviceConfigs(RootModel[dict[str, DeviceConfig]]):
    """Every configured device of a hall: device id → its config (a transaction's result)."""


def build(tx: Tx) -> dict[str, DeviceConfig]:
    """The current config of every device of the hall, with ``version`` 0 (see :func:`versioned`)."""
    hall = tx.hall
    active = tx.session.exec(
        select(Service)
        .where(Service.hall_id == tx.hall_id, col(Service.active))
        .order_by(col(Service.position), col(Service.code))
    ).all()
    rank = {pk(s): (i, s.code) for i, s in enumerate(active)}
    hall_order = [s.code for s in active]
    window_services: defaultdict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for window_id, service_id, weight in tx.session.exec(
        select(WindowService.window_id, WindowService.service_id, WindowService.weight)
        .join(Window, col(Window.id) == col(WindowService.window_id))
        .where(Window.hall_id == tx.hall_id)
    ):
        if service_id in rank:  # primary services first, then the hall's order
            window_services[window_id].append((-weight, *rank[service_id]))
    windows = {pk(w): w for w in tx.session.exec(select(Window).where(Window.hall_id == tx.hall_id))}
    departments = {
        pk(d): d.short_name or d.name
        for d in tx.session.exec(select(Department).where(Department.hall_id == tx.hall_id))
    }
    printers = {
        p.window_id: p.config
        for p in tx.session.exec(select(WindowPrinter).where(WindowPrinter.hall_id == tx.hall_id))
    }
    extra: dict[str, Any] = {
        "elderly_age": hall.priority_age,
        "priority_classes": sorted(c.value for c in granted_classes(hall.priority_classes)),
        "voice_repeat": VOICE_REPEAT,
        "voice_repeat_gap_s": VOICE_REPEAT_GAP_S,
    }
    citizen_base_url = tx.settings.public_base_url.rstrip("/") + CITIZEN_PATH
    configs: dict[str, DeviceConfig] = {}
    devices = tx.session.exec(
        select(Device).where(Device.hall_id == tx.hall_id).order_by(col(Device.device_id))
    )
    for device in devices:
        if device.kind not in CONFIGURED_KINDS:
            continue
        window = windows.get(device.window_id) if device.window_id is not None else None
        if window is not None:
            services = [code for *_, code in sorted(window_services[pk(window)])]
        elif device.kind == DeviceKind.KIOSK and device.services:
            offered = set(device.services)
            # All of them retired: still its own list (the kiosk finds none open in the catalog and
            # offers nothing), since an empty list would read as "every service".
            services = [code for code in hall_order if code in offered] or sorted(offered)
        else:
            services = list(hall_order)
        configs[device.device_id] = DeviceConfig(
            version=0,
            kind=device.kind,
            hall_name=hall.name,
            window=None if window is None else window.number,
            services=services,
            printer_width_mm=_device_width(device, window, printers),
            language=LANGUAGE,
            citizen_base_url=citizen_base_url,
            extra=dict(extra),
            department=""
            if window is None or window.department_id is None
            else departments[window.department_id],
        )
    return configs


def _device_width(
    device: Device, window: Window | None, printers: dict[int, dict[str, Any]]
) -> Literal[58, 80]:
    """The device's own width, else (a window agent) its window printer's, else 80."""
    if device.kind not in PRINTING_KINDS:
        return DEFAULT_WIDTH
    if device.printer_width_mm is not None:
        return _width(device.printer_width_mm)
    if device.kind == DeviceKind.WINDOW_AGENT and window is not None:
        return _width(printers.get(pk(window), {}).get("width_mm"))
    return DEFAULT_WIDTH


def _width(value: object) -> Literal[58, 80]:
    """58 or 80 (``devices.printer.PrinterConfig.width_mm``); anything else is the default 80."""
    return 58 if value == 58 else DEFAULT_WIDTH


def content_hash(config: DeviceConfig) -> str:
    """A stable digest of everything but the version: equal content, equal hash, in any process."""
    content = config.model_dump(mode="json", exclude={"version"})
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def recorded(tx: Tx) -> dict[str, tuple[int, str]]:
    """device id → (version, content hash) of the newest config recorded for it."""
    newest = (
        select(Event.device_id, func.max(Event.id).label("id"))
        .where(Event.hall_id == tx.hall_id, Event.kind == EVENT_KIND)
        .group_by(col(Event.device_id))
        .subquery()
    )
    rows = tx.session.exec(select(Event).join(newest, col(Event.id) == newest.c.id))
    return {e.device_id: (pk(e), str(e.data.get("hash", ""))) for e in rows if e.device_id is not None}


def versioned(tx: Tx) -> tuple[dict[str, DeviceConfig], bool]:
    """The configs with their recorded versions; False when some content has no version yet."""
    configs = build(tx)
    known = recorded(tx)
    complete = True
    for device_id, config in configs.items():
        version, digest = known.get(device_id, (0, ""))
        if digest == content_hash(config):
            configs[device_id] = config.model_copy(update={"version": version})
        else:
            complete = False
    return configs, complete


def assign(tx: Tx) -> DeviceConfigs:
    """The configs with versions, recording a new version for each content not seen before."""
    configs = build(tx)
    known = recorded(tx)  # again, in this transaction: another instance may have recorded it meanwhile
    for device_id, config in configs.items():
        digest = content_hash(config)
        version, seen = known.get(device_id, (0, ""))
        if seen != digest:
            # The audit row of the change; its id is the new version.
            event = Event(
                hall_id=tx.hall_id,
                ts=tx.now,
                kind=EVENT_KIND,
                device_id=device_id,
                data={"hash": digest, "window": config.window},
            )
            tx.session.add(event)
            tx.session.flush()
            version = pk(event)
        configs[device_id] = config.model_copy(update={"version": version})
    return DeviceConfigs(configs)
