"""Every simulated device of a small hall at once, for ``hallq up --simulate-devices`` and tests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from devices.escpos.layout import ChineseMode
from devices.idreader.reader import id_reader_port
from devices.printer.config import NetworkTransportConfig, PrinterConfig, SerialTransportConfig
from devices.serialport import SerialPortConfig
from devices.sign.sign import SignConfig
from devices.simulators.idreader import IdCardReaderSimulator
from devices.simulators.printer import PtyPrinterSimulator, TcpPrinterSimulator
from devices.simulators.serial_devices import (
    KeypadSimulator,
    RatingPadSimulator,
    ScannerSimulator,
    SignSimulator,
)


@dataclass
class WindowDevices:
    """The devices at one window: what a window agent drives."""

    window: str
    rating_pad: RatingPadSimulator
    sign: SignSimulator
    keypad: KeypadSimulator


class SimulatedDevices:
    """A network printer, a scanner and an ID card reader for the kiosk; a rating pad, sign and keypad
    per window.

    Serial devices live as symlinks in ``directory`` (``scanner``, ``rating-pad-3``, …); the printer
    listens on ``printer_host:printer_port`` (0 = any free port, 9100 to look like a real one).
    """

    def __init__(
        self,
        directory: str | Path | None = None,
        windows: Sequence[str] = ("1",),
        printer_host: str = "127.0.0.1",
        printer_port: int = 0,
    ) -> None:
        self._own_dir = directory is None
        if directory is None:
            directory = tempfile.mkdtemp(prefix="hallq-devices-")
        self.directory = Path(directory)
        self.printer = TcpPrinterSimulator(printer_host, printer_port)
        self.serial_printer = PtyPrinterSimulator(self.directory, "printer")
        self.scanner = ScannerSimulator(self.directory, "scanner")
        self.id_reader = IdCardReaderSimulator(self.directory, "id-reader")
        self.windows = {
            w: WindowDevices(
                window=w,
                rating_pad=RatingPadSimulator(self.directory, f"rating-pad-{w}"),
                sign=SignSimulator(self.directory, f"window-sign-{w}"),
                keypad=KeypadSimulator(self.directory, f"keypad-{w}"),
            )
            for w in windows
        }

    def start(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.printer.start()
        self.serial_printer.start()
        self.scanner.start()
        self.id_reader.start()
        for devices in self.windows.values():
            devices.rating_pad.start()
            devices.sign.start()
            devices.keypad.start()
        return self

    def stop(self) -> None:
        for devices in self.windows.values():
            devices.keypad.stop()
            devices.sign.stop()
            devices.rating_pad.stop()
        self.id_reader.stop()
        self.scanner.stop()
        self.serial_printer.stop()
        self.printer.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- configs for the apps that use these devices ---------------------------------------------

    def printer_config(
        self,
        width_mm: Literal[58, 80] = 80,
        chinese_mode: ChineseMode = ChineseMode.NATIVE,
        transport: Literal["network", "serial"] = "network",
    ) -> PrinterConfig:
        target: NetworkTransportConfig | SerialTransportConfig
        if transport == "network":
            target = NetworkTransportConfig(host=self.printer.host, port=self.printer.port)
        else:
            target = SerialTransportConfig(path=self.serial_printer.path)
        return PrinterConfig(transport=target, width_mm=width_mm, chinese_mode=chinese_mode)

    def scanner_port(self) -> SerialPortConfig:
        return SerialPortConfig(path=self.scanner.path)

    def id_reader_port(self) -> SerialPortConfig:
        return id_reader_port(self.id_reader.path)

    def rating_pad_port(self, window: str) -> SerialPortConfig:
        return SerialPortConfig(path=self.windows[window].rating_pad.path)

    def keypad_port(self, window: str) -> SerialPortConfig:
        return SerialPortConfig(path=self.windows[window].keypad.path)

    def sign_config(self, window: str) -> SignConfig:
        sign = self.windows[window].sign
        return SignConfig(port=SerialPortConfig(path=sign.path), address=sign.address)

    def describe(self) -> dict[str, str]:
        """Where each simulated device is, for a startup banner."""
        where = {
            "printer": f"tcp://{self.printer.host}:{self.printer.port}",
            "serial printer": self.serial_printer.path,
            "scanner": self.scanner.path,
            "ID card reader": self.id_reader.path,
        }
        for w, devices in self.windows.items():
            where[f"window {w} rating pad"] = devices.rating_pad.path
            where[f"window {w} sign"] = devices.sign.path
            where[f"window {w} keypad"] = devices.keypad.path
        return where
