"""Printer configuration: one small strict model, written by provisioning, read by kiosk and window."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from devices.escpos.layout import ChineseMode, PaperLayout, QrMode


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UsbTransportConfig(_Strict):
    kind: Literal["usb"] = "usb"
    vendor_id: int = Field(ge=0, le=0xFFFF, description="USB vendor id, e.g. 0x0416")
    product_id: int = Field(ge=0, le=0xFFFF, description="USB product id, e.g. 0x5011")
    in_ep: int = Field(default=0x82, description="bulk IN endpoint (status replies)")
    out_ep: int = Field(default=0x01, description="bulk OUT endpoint (print data)")
    timeout_ms: int = Field(default=2000, gt=0, le=60000, description="USB write timeout")


class SerialTransportConfig(_Strict):
    kind: Literal["serial"] = "serial"
    path: str = Field(description="serial device, preferably /dev/serial/by-id/… (stable across replug)")
    baudrate: int = Field(default=9600, gt=0, description="must match the printer's DIP switches")


class NetworkTransportConfig(_Strict):
    kind: Literal["network"] = "network"
    host: str = Field(description="printer IP address or host name")
    port: int = Field(default=9100, ge=1, le=65535, description="raw printing port")
    connect_timeout_s: float = Field(
        default=2.0, gt=0, le=30, description="a kiosk must not hang on a dead printer (escpos waits 60 s)"
    )
    io_timeout_s: float = Field(default=10.0, gt=0, le=120, description="sending one job")


class FileTransportConfig(_Strict):
    kind: Literal["file"] = "file"
    path: str = Field(default="/dev/usb/lp0", description="usblp device node or any existing file")


TransportConfig = Annotated[
    UsbTransportConfig | SerialTransportConfig | NetworkTransportConfig | FileTransportConfig,
    Field(discriminator="kind"),
]


class PrinterConfig(_Strict):
    """How to reach the thermal printer and how to print Chinese on it."""

    transport: TransportConfig
    width_mm: Literal[58, 80] = Field(default=80, description="paper roll width")
    chinese_mode: ChineseMode = Field(
        default=ChineseMode.NATIVE,
        description="native: the printer's GB18030 font ROM (FS &); image: lines drawn with Pillow",
    )
    qr_mode: QrMode = Field(default=QrMode.NATIVE, description="native GS ( k, or image for old printers")
    status_timeout_s: float = Field(
        default=0.5, gt=0, le=5, description="a printer that has not answered DLE EOT by then is UNKNOWN"
    )
    check_before_print: bool = Field(
        default=True, description="query status first and refuse to print on paper out, cover open, offline"
    )
    require_status: bool = Field(
        default=False, description="also refuse when the printer does not answer status queries (UNKNOWN)"
    )

    def layout(self) -> PaperLayout:
        return PaperLayout.for_width(self.width_mm, self.chinese_mode, self.qr_mode)
