"""Thin printer transports: they move bytes and nothing else.

``write`` sends a whole job or raises; ``query`` sends a few bytes and returns whatever answer came
back within the timeout (possibly nothing). Failing to reach the printer at all is
``PrinterOfflineError``; the link breaking mid-job is ``PrinterWriteError``.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import stat
import termios
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import serial

from devices.errors import PrinterOfflineError, PrinterWriteError

log = logging.getLogger(__name__)

# What a dying serial port raises: pyserial's own error, the OS error, or termios' (tcflush on EIO).
SERIAL_ERRORS = (serial.SerialException, OSError, termios.error)


class Transport(Protocol):
    @property
    def target(self) -> str: ...

    def write(self, data: bytes) -> None: ...

    def query(self, request: bytes, reply_size: int, timeout: float) -> bytes: ...

    def close(self) -> None: ...


class NetworkTransport:
    """A raw TCP printer port (9100). One short connection per operation: printers drop idle ones."""

    def __init__(
        self, host: str, port: int = 9100, connect_timeout: float = 2.0, io_timeout: float = 10.0
    ) -> None:
        self.host, self.port = host, port
        self.connect_timeout, self.io_timeout = connect_timeout, io_timeout

    @property
    def target(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise PrinterOfflineError(f"cannot connect to {self.target}: {exc}", target=self.target) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def write(self, data: bytes) -> None:
        with self._connect() as sock:
            try:
                sock.settimeout(self.io_timeout)
                sock.sendall(data)
                # A clean FIN after the data: the printer sees the job end, we see a reset as an error.
                sock.shutdown(socket.SHUT_WR)
                _drain_until_closed(sock, time.monotonic() + DRAIN_S)
            except OSError as exc:
                message = f"sending to {self.target} failed: {exc}"
                raise PrinterWriteError(message, target=self.target) from exc

    def query(self, request: bytes, reply_size: int, timeout: float) -> bytes:
        with self._connect() as sock:
            try:
                sock.settimeout(self.io_timeout)
                sock.sendall(request)
                return _recv_until(sock, reply_size, time.monotonic() + timeout)
            except OSError as exc:
                raise PrinterOfflineError(f"status query to {self.target} failed: {exc}") from exc

    def close(self) -> None:
        """Nothing stays open between operations."""


# After a job, wait this long for the printer to close its side. Closing ours with unread bytes in
# the socket (unsolicited status) would send a reset, and a reset can discard the printer's unread data.
DRAIN_S = 0.5


def _drain_until_closed(sock: socket.socket, deadline: float) -> None:
    while (remaining := deadline - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(4096):
                return
        except TimeoutError:
            return


def _recv_until(sock: socket.socket, size: int, deadline: float) -> bytes:
    got = bytearray()
    while len(got) < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(size - len(got))
        except TimeoutError:
            break
        if not chunk:
            break
        got += chunk
    return bytes(got)


class SerialTransport:
    """An RS-232 or USB-serial printer. The port stays open and is reopened after an error."""

    def __init__(self, path: str, baudrate: int = 9600, write_timeout: float = 10.0) -> None:
        self.path, self.baudrate, self.write_timeout = path, baudrate, write_timeout
        self._port: serial.Serial | None = None
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        return f"serial://{self.path}"

    def _open(self) -> serial.Serial:
        if self._port is None:
            try:
                self._port = serial.Serial(
                    self.path, self.baudrate, timeout=0.5, write_timeout=self.write_timeout, exclusive=True
                )
            except (*SERIAL_ERRORS, ValueError) as exc:
                raise PrinterOfflineError(f"cannot open {self.path}: {exc}", target=self.target) from exc
        return self._port

    def _drop(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except SERIAL_ERRORS:
                log.debug("closing %s after an error failed too", self.path)
            self._port = None

    def write(self, data: bytes) -> None:
        with self._lock:
            port = self._open()
            try:
                # No flush(): tcdrain can block forever on a printer holding CTS low (paper out);
                # write_timeout already bounds handing the job to the kernel.
                port.write(data)
            except SERIAL_ERRORS as exc:
                self._drop()
                raise PrinterWriteError(f"writing to {self.path} failed: {exc}", target=self.target) from exc

    def query(self, request: bytes, reply_size: int, timeout: float) -> bytes:
        with self._lock:
            port = self._open()
            try:
                port.reset_input_buffer()  # a stale byte must not pass for this answer
                port.write(request)
                got = bytearray()
                deadline = time.monotonic() + timeout
                while len(got) < reply_size and (remaining := deadline - time.monotonic()) > 0:
                    port.timeout = remaining
                    got += port.read(reply_size - len(got))
                return bytes(got)
            except SERIAL_ERRORS as exc:
                self._drop()
                raise PrinterOfflineError(f"status query on {self.path} failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._drop()


class FileTransport:
    """A device node (``/dev/usb/lp0``) or any existing file. Opened per operation: the node comes and
    goes with the USB cable. Never created: a missing node means an unplugged printer."""

    def __init__(self, path: str) -> None:
        self.path = path

    @property
    def target(self) -> str:
        return f"file://{self.path}"

    def _open(self, flags: int) -> int:
        try:
            return os.open(self.path, flags | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError as exc:
            raise PrinterOfflineError(f"cannot open {self.path}: {exc}", target=self.target) from exc

    def write(self, data: bytes) -> None:
        fd = self._open(os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as exc:
            raise PrinterWriteError(f"writing to {self.path} failed: {exc}", target=self.target) from exc
        finally:
            os.close(fd)

    def query(self, request: bytes, reply_size: int, timeout: float) -> bytes:
        try:
            if stat.S_ISREG(Path(self.path).stat().st_mode):
                return b""  # a plain file never answers; do not pollute it with queries
        except OSError as exc:
            raise PrinterOfflineError(f"cannot open {self.path}: {exc}", target=self.target) from exc
        try:
            fd = self._open(os.O_RDWR | os.O_NONBLOCK)
        except PrinterOfflineError as exc:
            if isinstance(exc.__cause__, OSError) and exc.__cause__.errno in (errno.EACCES, errno.EINVAL):
                return b""  # write-only node: the printer cannot tell us anything
            raise
        try:
            os.write(fd, request)
            got = bytearray()
            deadline = time.monotonic() + timeout
            while len(got) < reply_size and (remaining := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([fd], [], [], remaining)
                if not ready:
                    break
                try:
                    chunk = os.read(fd, reply_size - len(got))
                except BlockingIOError:
                    continue
                if not chunk:
                    break
                got += chunk
            return bytes(got)
        except OSError as exc:
            raise PrinterOfflineError(f"status query on {self.path} failed: {exc}") from exc
        finally:
            os.close(fd)

    def close(self) -> None:
        """Nothing stays open between operations."""


class UsbTransport:
    """A USB printer through python-escpos/pyusb (libusb). Not testable without the hardware, so it
    does nothing but open, ``_raw`` and ``_read``."""

    def __init__(
        self, vendor_id: int, product_id: int, in_ep: int = 0x82, out_ep: int = 0x01, timeout_ms: int = 2000
    ) -> None:
        self.vendor_id, self.product_id = vendor_id, product_id
        self.in_ep, self.out_ep, self.timeout_ms = in_ep, out_ep, timeout_ms
        self._device: Any = None

    @property
    def target(self) -> str:
        return f"usb://{self.vendor_id:04x}:{self.product_id:04x}"

    def _open(self) -> Any:
        if self._device is None:
            from escpos.printer import Usb

            device = Usb(
                self.vendor_id, self.product_id, timeout=self.timeout_ms, in_ep=self.in_ep, out_ep=self.out_ep
            )
            try:
                device.open()
            except Exception as exc:  # escpos raises DeviceNotFoundError, pyusb USBError/NoBackendError
                raise PrinterOfflineError(f"cannot open {self.target}: {exc}", target=self.target) from exc
            self._device = device
        return self._device

    def _drop(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            try:
                device.close()
            except Exception:  # the device may already be gone; closing must not mask the first error
                log.debug("closing %s failed", self.target)

    def write(self, data: bytes) -> None:
        device = self._open()
        try:
            device._raw(data)
        except Exception as exc:  # pyusb USBError / USBTimeoutError
            self._drop()
            raise PrinterWriteError(f"writing to {self.target} failed: {exc}", target=self.target) from exc

    def query(self, request: bytes, reply_size: int, timeout: float) -> bytes:
        device = self._open()
        got = bytearray()
        try:
            device._raw(request)
            deadline = time.monotonic() + timeout
            while len(got) < reply_size and (remaining := deadline - time.monotonic()) > 0:
                try:
                    got += bytes(device.device.read(self.in_ep, 16, max(1, int(remaining * 1000))))
                except Exception:  # pyusb USBTimeoutError: no answer within the status timeout
                    break
        except Exception as exc:
            self._drop()
            raise PrinterOfflineError(f"status query to {self.target} failed: {exc}") from exc
        return bytes(got[:reply_size])

    def close(self) -> None:
        self._drop()
