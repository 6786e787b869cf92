"""Simulators of the serial devices: scanner, rating pad, window sign, caller keypad (on ptys)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from devices.errors import FrameError
from devices.keypad.protocol import Key, KeyPress, encode_key, parse_display_line
from devices.ratingpad.protocol import HostCommandKind, parse_host_line, press
from devices.serialport import LineFramer
from devices.sign.frame import CMD_CLEAR, CMD_SHOW, Frame, FrameReader, SignDisplay, decode_display, reply
from devices.simulators.pty import PtyDevice

T = TypeVar("T")

Directory = str | os.PathLike[str] | None


class _Observed(PtyDevice):
    """A pty device whose state tests can wait on."""

    def __init__(self, name: str, directory: Directory) -> None:
        super().__init__(name, directory)
        self._changed = threading.Condition()

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, probe: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Wait until ``probe()`` returns something truthy and return it; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                value = probe()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"simulated {self.name}: condition not met in {timeout} s")
                self._changed.wait(remaining)


class ScannerSimulator(PtyDevice):
    """A barcode scanner in serial (COM) mode: ``scan("…")`` sends the text and a CR."""

    def __init__(self, directory: Directory = None, name: str = "scanner", terminator: bytes = b"\r") -> None:
        super().__init__(name, directory)
        self.terminator = terminator

    def scan(self, text: str, encoding: str = "utf-8") -> None:
        self.send(text.encode(encoding) + self.terminator)


class RatingPadSimulator(_Observed):
    """A five-key rating pad: ``press(score)``; ``lit`` is the key lit by the host's acknowledgement."""

    def __init__(self, directory: Directory = None, name: str = "rating-pad") -> None:
        super().__init__(name, directory)
        self._framer = LineFramer(max_length=64)
        self.prompted: str | None = None
        self.lights_on = False
        self.lit: int | None = None
        self.commands: list[str] = []

    def on_plug(self) -> None:
        self._framer = LineFramer(max_length=64)
        self.prompted, self.lights_on, self.lit = None, False, None

    def press(self, score: int) -> None:
        self.send(press(score))

    def on_bytes(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            try:
                command = parse_host_line(line)
            except FrameError:
                continue
            with self._changed:
                self.commands.append(command.kind.value)
                if command.kind is HostCommandKind.PROMPT:
                    self.prompted, self.lights_on, self.lit = command.visit_id, True, None
                elif command.kind is HostCommandKind.ACK:
                    self.lights_on, self.lit = False, command.score
                else:
                    self.prompted, self.lights_on, self.lit = None, False, None
                self._changed.notify_all()


class SignSimulator(_Observed):
    """A window LED sign: parses frames, ACKs or NAKs them, exposes what it shows."""

    def __init__(
        self,
        directory: Directory = None,
        name: str = "window-sign",
        address: int = 1,
        encoding: str = "gb2312",
    ) -> None:
        super().__init__(name, directory)
        self.address = address
        self.encoding = encoding
        self._reader = FrameReader()
        self.shown: SignDisplay | None = None
        self.frames: list[Frame] = []
        self.rejected = 0

    def on_plug(self) -> None:
        self._reader = FrameReader()
        self.shown = None  # a sign powers up blank

    @property
    def text(self) -> str:
        """The line the sign shows now ("" when blank)."""
        shown = self.shown
        return shown.text() if shown else ""

    def on_bytes(self, data: bytes) -> None:
        for item in self._reader.feed(data):
            answer = self._handle(item)
            if answer is not None:
                self.send(answer)

    def _handle(self, item: Frame | FrameError) -> bytes | None:
        with self._changed:
            try:
                if isinstance(item, FrameError):
                    self.rejected += 1
                    if item.detail.get("address") == self.address:
                        return reply(False, int(item.detail["seq"]))
                    return None  # too damaged to know whose or which frame it was
                if item.address != self.address:
                    return None  # another sign on the bus
                try:
                    if item.command == CMD_SHOW:
                        self.shown = decode_display(item.payload, self.encoding)
                    elif item.command == CMD_CLEAR:
                        self.shown = None
                    else:
                        raise FrameError("unknown sign command")
                except FrameError:
                    self.rejected += 1
                    return reply(False, item.seq)
                self.frames.append(item)
                return reply(True, item.seq)
            finally:
                self._changed.notify_all()


class KeypadSimulator(_Observed):
    """A caller keypad: ``press(Key.NEXT)``; ``display`` is the line the host put on its screen."""

    def __init__(self, directory: Directory = None, name: str = "keypad") -> None:
        super().__init__(name, directory)
        self._framer = LineFramer(max_length=128)
        self.display = ""

    def on_plug(self) -> None:
        self._framer = LineFramer(max_length=128)
        self.display = ""

    def press(self, key: Key, code: int | None = None) -> None:
        self.send(encode_key(KeyPress(key, code)))

    def on_bytes(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            try:
                text = parse_display_line(line)
            except FrameError:
                continue
            with self._changed:
                self.display = text
                self._changed.notify_all()
