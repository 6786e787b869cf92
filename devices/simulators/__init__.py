"""Simulators of every device, each on a pseudo-terminal or a TCP socket, running in a thread."""

from devices.simulators.bundle import SimulatedDevices, WindowDevices
from devices.simulators.idreader import IdCardReaderSimulator, sample_card
from devices.simulators.printer import (
    STATUS_REPLIES,
    PrinterCore,
    PtyPrinterSimulator,
    RealtimeSplitter,
    SimulatedPrinterState,
    TcpPrinterSimulator,
)
from devices.simulators.pty import PtyDevice
from devices.simulators.serial_devices import (
    KeypadSimulator,
    RatingPadSimulator,
    ScannerSimulator,
    SignSimulator,
)

__all__ = [
    "STATUS_REPLIES",
    "IdCardReaderSimulator",
    "KeypadSimulator",
    "PrinterCore",
    "PtyDevice",
    "PtyPrinterSimulator",
    "RatingPadSimulator",
    "RealtimeSplitter",
    "ScannerSimulator",
    "SignSimulator",
    "SimulatedDevices",
    "SimulatedPrinterState",
    "TcpPrinterSimulator",
    "WindowDevices",
    "sample_card",
]
