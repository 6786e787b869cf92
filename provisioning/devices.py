"""The device registry of a hall and each device's configuration file (``device.toml``).

A device reads its file once at start: who it is, where the broker is, its password, its window and
printer. Everything else (services shown, hall name, notice) follows the retained ``config`` topic.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from queue_server.halls.schema import HallFile
from queue_server.protocol.messages import DeviceKind

from .broker import BrokerSettings
from .credentials import Credential

DEVICE_CONFIG_PATH = "/etc/hallq/device.toml"
"""Where a device machine keeps its file (the systemd units pass it with ``--config``)."""


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    """One device of the registry, as the hall file describes it."""

    hall: str
    id: str
    kind: DeviceKind
    name: str
    window: str | None
    printer_width_mm: int | None
    services: tuple[str, ...]
    printer: str | None = None
    """A kiosk's printer connection (tcp://…, serial:///dev/…, file:///dev/usb/lp0)."""


def device_registry(hall: HallFile) -> list[DeviceEntry]:
    """Every device of the hall, in file order."""
    return [
        DeviceEntry(
            hall=hall.hall.code,
            id=d.id,
            kind=d.kind,
            name=d.name,
            window=d.window,
            printer_width_mm=d.printer_width_mm,
            services=tuple(d.services),
            printer=d.printer,
        )
        for d in hall.devices
    ]


# --- the file a device reads -------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeviceSection(_Strict):
    hall: str = Field(description="hall code")
    hall_name: str = Field(default="", description="for a screen's first paint before the config topic")
    id: str = Field(description="device id, MQTT client id and username")
    kind: DeviceKind
    name: str = ""
    window: str | None = Field(default=None, description="the window a window display or agent serves")
    services: list[str] = Field(default_factory=list, description="kiosk: the services offered (empty = all)")


class BrokerSection(_Strict):
    host: str
    port: int = Field(ge=1, le=65535)
    username: str
    password: str | None = Field(default=None, description="absent with TLS client certificates")
    tls: bool = False
    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None


class PrinterSection(_Strict):
    width_mm: Literal[58, 80] = 80
    connection: str | None = Field(
        default=None, description="kiosks: the printer's URL (hallq kiosk --printer)"
    )


class DeviceConfigFile(_Strict):
    """The whole ``device.toml``."""

    device: DeviceSection
    broker: BrokerSection
    printer: PrinterSection | None = None


def read_device_config(path: str | Path) -> DeviceConfigFile:
    """Parse a device's ``device.toml`` (raises ValueError subclasses on a bad file)."""
    return DeviceConfigFile.model_validate(tomllib.loads(Path(path).read_text(encoding="utf-8")))


def _toml_value(value: str | int | bool | list[str]) -> str:
    # JSON strings, numbers, booleans and string arrays are valid TOML values.
    return json.dumps(value, ensure_ascii=False)


def _table(name: str, values: dict[str, str | int | bool | list[str] | None]) -> list[str]:
    return [f"[{name}]", *(f"{k} = {_toml_value(v)}" for k, v in values.items() if v is not None), ""]


def render_device_config(
    entry: DeviceEntry, hall_name: str, credential: Credential | None, broker: BrokerSettings
) -> str:
    """The device's TOML. ``credential`` None: TLS client certificates authenticate it instead."""
    tls = broker.tls
    certs = tls is not None and tls.client_certs
    lines = [
        f"# hallq device {entry.id} ({entry.kind.value}) of hall {entry.hall!r}, by `hallq provision`.",
        "# SECRET when it holds a password: keep it mode 0600, readable only by the device's service user.",
        "",
    ]
    lines += _table(
        "device",
        {
            "hall": entry.hall,
            "hall_name": hall_name,
            "id": entry.id,
            "kind": entry.kind.value,
            "name": entry.name or None,
            "window": entry.window,
            "services": list(entry.services) or None,
        },
    )
    lines += _table(
        "broker",
        {
            "host": broker.host,
            "port": tls.port if tls is not None else broker.port,
            "username": entry.id,
            "password": credential.password if credential is not None else None,
            "tls": tls is not None,
            # Beside this file (a device reads relative paths from its file's folder): the bundle's
            # devices/<id>/ as written, /etc/hallq/ once copied.
            "cafile": "ca.crt" if tls is not None else None,
            "certfile": f"{entry.id}.crt" if certs else None,
            "keyfile": f"{entry.id}.key" if certs else None,
        },
    )
    if entry.printer_width_mm is not None or entry.printer is not None:
        lines += _table("printer", {"width_mm": entry.printer_width_mm, "connection": entry.printer})
    return "\n".join(lines)
