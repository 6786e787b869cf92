"""A serial device that stays connected: open, read in a thread, reconnect with exponential backoff.

Every serial driver (scanner, rating pad, sign, keypad) is a pure codec fed by one ``SerialLink``.
Unplugging a USB-serial adapter makes reads fail with ``SerialException``; the link closes the port,
waits (0.2 s, 0.4 s, … up to ``reconnect_max_s``) and opens the same path again. Paths should be
``/dev/serial/by-id/…``: they survive replugging, ``/dev/ttyUSB0`` may not.

The link never logs the bytes it moves: a scanner line can be a resident ID number.
"""

from __future__ import annotations

import logging
import termios
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import serial
from pydantic import BaseModel, ConfigDict, Field

from devices.errors import DeviceDisconnectedError

log = logging.getLogger(__name__)

# What a dying serial port raises: pyserial's own error, the OS error, or termios' (tcflush on EIO).
SERIAL_ERRORS = (serial.SerialException, OSError, termios.error)

# A connection that stayed up this long was a real one: start the backoff again from the beginning.
STABLE_AFTER_S = 5.0
READ_TIMEOUT_S = 0.2


class SerialPortConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="device path; prefer /dev/serial/by-id/… (stable across replug)")
    baudrate: int = Field(default=9600, gt=0, description="line speed; must match the device")
    reconnect_initial_s: float = Field(default=0.2, gt=0, le=60, description="first wait after an unplug")
    reconnect_max_s: float = Field(default=10.0, gt=0, le=600, description="longest wait between attempts")


class Backoff:
    """Exponential delays: initial, 2x, 4x, … capped at ``maximum``."""

    def __init__(self, initial: float, maximum: float, factor: float = 2.0) -> None:
        self.initial, self.maximum, self.factor = initial, max(initial, maximum), factor
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class LineFramer:
    """Split a byte stream into lines at CR, LF or CRLF; drop empty lines and overlong garbage."""

    def __init__(self, max_length: int = 4096) -> None:
        self.max_length = max_length
        self._buf = bytearray()
        self._overflow = False

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        for byte in data:
            if byte in (0x0A, 0x0D):
                if self._buf and not self._overflow:
                    lines.append(bytes(self._buf))
                self._buf.clear()
                self._overflow = False
            elif len(self._buf) >= self.max_length:
                self._overflow = True  # a stuck scanner or line noise: drop the whole line
            else:
                self._buf.append(byte)
        return lines


def open_serial(config: SerialPortConfig) -> serial.Serial:
    # exclusive: two programs reading one scanner would each get half of the scans.
    return serial.Serial(
        config.path, config.baudrate, timeout=READ_TIMEOUT_S, write_timeout=1.0, exclusive=True
    )


class SerialLink:
    """Keep ``config.path`` open in a background thread and hand every received chunk to ``on_data``."""

    def __init__(
        self,
        config: SerialPortConfig,
        on_data: Callable[[bytes], None],
        *,
        name: str,
        on_connect: Callable[[], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.name = name
        self._on_data = on_data
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._port: serial.Serial | None = None
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connects = 0

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} link already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"serial-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._lock:
            port = self._port
        if port is not None:
            try:
                port.cancel_read()
            except (*SERIAL_ERRORS, AttributeError):
                log.debug("%s: cancel_read failed; the read timeout ends the thread", self.name)
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- state and I/O -------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def write(self, data: bytes) -> None:
        """Send bytes now, or raise DeviceDisconnectedError: a caller must know a command was lost."""
        with self._lock:
            port = self._port
            if port is None:
                raise DeviceDisconnectedError(f"{self.name} is not connected", device=self.name)
            try:
                port.write(data)
            except SERIAL_ERRORS as exc:
                raise DeviceDisconnectedError(f"{self.name}: write failed: {exc}", device=self.name) from exc

    def _call(self, handler: Callable[..., None] | None, *args: bytes) -> None:
        if handler is None:
            return
        try:
            handler(*args)
        except Exception:
            # A faulty handler must not kill the reader: the device would look dead until restart.
            log.exception("%s: handler %s failed", self.name, getattr(handler, "__name__", handler))

    def _run(self) -> None:
        backoff = Backoff(self.config.reconnect_initial_s, self.config.reconnect_max_s)
        while not self._stop.is_set():
            try:
                port = open_serial(self.config)
            except (*SERIAL_ERRORS, ValueError) as exc:
                delay = backoff.next()
                log.debug("%s: cannot open %s (%s); retry in %.1f s", self.name, self.config.path, exc, delay)
                self._stop.wait(delay)
                continue
            opened_at = time.monotonic()
            with self._lock:
                self._port = port
            self.connects += 1
            self._connected.set()
            log.info("%s connected on %s", self.name, self.config.path)
            self._call(self._on_connect)
            try:
                self._read_until_error(port)
            finally:
                with self._lock:
                    self._port = None
                self._connected.clear()
                try:
                    port.close()
                except SERIAL_ERRORS:
                    log.debug("%s: close after disconnect failed", self.name)
            if self._stop.is_set():
                break
            self._call(self._on_disconnect)
            if time.monotonic() - opened_at >= STABLE_AFTER_S:
                backoff.reset()
            self._stop.wait(backoff.next())

    def _read_until_error(self, port: serial.Serial) -> None:
        try:
            while not self._stop.is_set():
                data = port.read(port.in_waiting or 1)
                if data:
                    self._call(self._on_data, data)
        except (*SERIAL_ERRORS, TypeError) as exc:
            # TypeError: pyserial's cancel_read/close race on a port closed under it.
            if not self._stop.is_set():
                log.warning("%s disconnected from %s: %s", self.name, self.config.path, exc)


class SerialDevice:
    """What every serial device driver shares: its ``SerialLink`` started, stopped and watched."""

    link: SerialLink

    @property
    def connected(self) -> bool:
        return self.link.connected

    def wait_connected(self, timeout: float) -> bool:
        return self.link.wait_connected(timeout)

    def start(self) -> Self:
        self.link.start()
        return self

    def stop(self) -> None:
        self.link.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
