"""The device side of ``device.toml``: the file ``hallq provision`` writes for each device machine.

Provisioning owns the format (``provisioning/devices.py``); a kiosk or a screen reads it with
``--config`` to learn who it is and where the broker is. It lives here, beside the MQTT contract,
because kiosk/ and display/ may import ``queue_server.protocol`` but not provisioning
(docs/design/ARCHITECTURE.md).
The tables are lenient: a newer provisioning may add fields (``services``, ``cafile`` …) that an older
device does not read::

    [device]
    hall = "demo"
    hall_name = "示范政务服务中心"
    id = "demo-kiosk-1"
    kind = "kiosk"
    window = "5"          # window displays and agents only

    [broker]
    host = "10.0.0.2"
    port = 1883
    username = "demo-kiosk-1"
    password = "…"
    tls = false
    # with tls = true (``hallq provision --tls``): the hall's CA and this device's own certificate;
    # a relative path is read beside this file
    # cafile = "/etc/hallq/ca.crt"
    # certfile = "/etc/hallq/demo-kiosk-1.crt"
    # keyfile = "/etc/hallq/demo-kiosk-1.key"

    [printer]             # kiosks with a printer only
    width_mm = 80
    connection = "tcp://10.0.0.9:9100"   # or serial:///dev/…, file:///dev/usb/lp0
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import topics
from .address import MQTTS_PORT, BrokerAddress, TlsFiles
from .messages import DeviceKind


class DeviceFileError(ValueError):
    """A device file that cannot be used; the message is one line, fit for a start-up error."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class DeviceIdentity(_Lenient):
    """Who the device is: what every device's ``[device]`` table says (the agent's requires ``window``)."""

    hall: str
    id: str
    window: str | None = None

    @field_validator("hall", "id")
    @classmethod
    def _id(cls, value: str) -> str:
        return topics.check_id(value)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            topics.WindowTopic("x", value)  # raises TopicError (a ValueError) for a bad number
        return value


class DeviceTable(DeviceIdentity):
    hall_name: str = ""
    kind: DeviceKind


class BrokerTable(_Lenient):
    host: str
    port: int = Field(default=1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = None
    tls: bool = False
    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    # The other nodes of a clustered broker, "host:port" each, tried in turn after host:port.
    alternates: tuple[str, ...] = ()

    @field_validator("alternates")
    @classmethod
    def _nodes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for node in value:
            _endpoint(node, 1)  # ValueError for a port that is not a number
        return value

    @property
    def address(self) -> BrokerAddress:
        tls = TlsFiles(self.cafile, self.certfile, self.keyfile) if self.tls else None
        default_port = MQTTS_PORT if self.tls else 1883  # a node without a port: as in a URL
        alternates = tuple(_endpoint(node, default_port) for node in self.alternates)
        return BrokerAddress(self.host, self.port, self.username, self.password, tls, alternates)

    def beside(self, folder: Path) -> Self:
        """The table with relative certificate paths read from ``folder`` (the file's own)."""
        files = {"cafile": self.cafile, "certfile": self.certfile, "keyfile": self.keyfile}
        return self.model_copy(update={k: str(folder / v) for k, v in files.items() if v is not None})

    def check_tls(self) -> None:
        """Raise OSError or ValueError, saying why, when the TLS files cannot be used."""
        tls = self.address.tls
        if tls is not None:
            tls.context()


def _endpoint(node: str, default_port: int) -> tuple[str, int]:
    host, _, port = node.partition(":")
    return host, int(port) if port else default_port


class PrinterTable(_Lenient):
    width_mm: Literal[58, 80] = 80
    connection: str | None = None  # a kiosk's printer URL, as `hallq kiosk --printer` takes it


class DeviceFile(_Lenient):
    device: DeviceTable
    broker: BrokerTable
    printer: PrinterTable | None = None


def _one_line(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors())


def load_device_file(path: str | Path, kinds: Collection[DeviceKind]) -> DeviceFile:
    """Read ``path`` for a device of one of ``kinds``; DeviceFileError (one line) for any problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        config = DeviceFile.model_validate(data)
    except OSError as exc:
        raise DeviceFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DeviceFileError(f"{path} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise DeviceFileError(f"{path}: {_one_line(exc)}") from exc
    kind = config.device.kind
    if kind not in kinds:
        wanted = " or ".join(k.value for k in kinds)
        raise DeviceFileError(
            f"{path} is the file of {kind.value} {config.device.id!r}, this command runs a {wanted}"
        )
    broker = config.broker.beside(Path(path).parent)
    try:
        broker.check_tls()  # now, as one line, rather than a traceback when the link starts
    except (OSError, ValueError) as exc:
        raise DeviceFileError(f"{path}: broker TLS files not usable: {exc}") from exc
    return config.model_copy(update={"broker": broker})
