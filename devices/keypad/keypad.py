"""The caller keypad over a serial line: typed key presses out, one display line in."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from devices.errors import FrameError
from devices.keypad.protocol import Key, KeyPress, encode_display, parse_key_line
from devices.serialport import LineFramer, SerialDevice, SerialLink, SerialPortConfig

log = logging.getLogger(__name__)

# A second "next" within this window is a double press, not a wish to skip a citizen.
DEFAULT_DEBOUNCE_S = 0.3


class Keypad(SerialDevice):
    """``on_key`` runs in the reader thread. The same key again within ``debounce_s`` is dropped."""

    def __init__(
        self,
        port: SerialPortConfig,
        on_key: Callable[[KeyPress], None],
        *,
        debounce_s: float = DEFAULT_DEBOUNCE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_key = on_key
        self._clock = clock
        self.debounce_s = debounce_s
        self._last: dict[Key, float] = {}
        self._framer = LineFramer(max_length=64)
        self.link = SerialLink(port, self._on_data, name="keypad", on_connect=self._reset)

    def show(self, text: str) -> None:
        """Put one line on the keypad's display; DeviceDisconnectedError when unplugged."""
        self.link.write(encode_display(text))

    def _reset(self) -> None:
        self._framer = LineFramer(max_length=64)

    def accept(self, press: KeyPress, now: float) -> bool:
        """Whether a press counts (not a repeat of the same key within the debounce window)."""
        last = self._last.get(press.key)
        if last is not None and now - last < self.debounce_s:
            return False
        self._last[press.key] = now
        return True

    def _on_data(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            try:
                press = parse_key_line(line)
            except FrameError:
                log.warning("keypad sent an unknown line (%d bytes)", len(line))
                continue
            if self.accept(press, self._clock()):
                self._on_key(press)
            else:
                log.debug("keypad: repeated %s ignored", press.key.name)
