"""The few typed device errors. Each has a stable ``code`` a caller can map to a status or a message."""

from __future__ import annotations

from typing import Any


class DeviceError(Exception):
    """Base of every expected device failure; ``detail`` carries data, never a scanned ID in clear."""

    code = "device_error"

    def __init__(self, message: str, **detail: Any) -> None:
        self.detail = detail
        super().__init__(message)


class PrinterError(DeviceError):
    code = "printer_error"


class PrinterOfflineError(PrinterError):
    """The printer cannot be reached at all (no device node, connection refused, unplugged)."""

    code = "printer_offline"


class PrinterWriteError(PrinterError):
    """The link broke while a job was being sent: part of the job may have printed."""

    code = "printer_write_failed"


class PrinterNotReadyError(PrinterError):
    """The printer answered but cannot print now (paper out, cover open, offline); nothing was sent."""

    code = "printer_not_ready"


class DeviceDisconnectedError(DeviceError):
    """A serial device is not connected right now; the link keeps trying to reconnect."""

    code = "device_disconnected"


class FrameError(DeviceError, ValueError):
    """Bytes that are not a valid frame of a device protocol (bad checksum, length, field)."""

    code = "bad_frame"


class SignError(DeviceError):
    """The window sign refused a frame (NAK) or did not acknowledge it in time."""

    code = "sign_error"


class IdReaderError(DeviceError):
    """The ID card reader answered with an error status (``detail["status"]``, its SW3 byte)."""

    code = "id_reader_error"


class IdReaderTimeoutError(IdReaderError):
    """The ID card reader did not answer a command in time (wrong port or baud rate, a hung reader)."""

    code = "id_reader_timeout"


class IdCardReadError(IdReaderError):
    """A card was found on the reader but could not be read (moved away, damaged, bad data)."""

    code = "id_card_unreadable"


class CameraError(DeviceError):
    """The document camera (高拍仪) gave no frame: not plugged in, busy, or the read failed."""

    code = "camera_error"
