"""The window LED sign over a serial line: show a ``SignDisplay`` and get it acknowledged."""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from devices.errors import DeviceDisconnectedError, SignError
from devices.serialport import SerialDevice, SerialLink, SerialPortConfig
from devices.sign.frame import ReplyReader, SignDisplay, clear_frame, show_frame

log = logging.getLogger(__name__)


class SignConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    port: SerialPortConfig
    address: int = Field(default=1, ge=1, le=255, description="the sign's bus address (DIP switches)")
    encoding: Literal["gb2312", "gb18030"] = Field(default="gb2312", description="the sign's font ROM")
    expect_ack: bool = Field(default=True, description="wait for ACK/NAK; false for write-only signs")
    ack_timeout_s: float = Field(default=0.5, gt=0, le=5)


class WindowSign(SerialDevice):
    """Shows one window's state. The last display is sent again whenever the sign reconnects."""

    def __init__(self, config: SignConfig) -> None:
        self.config = config
        self._replies: queue.SimpleQueue[tuple[bool, int]] = queue.SimpleQueue()
        self._reply_reader = ReplyReader()
        self._send_lock = threading.Lock()
        self._seq = 0
        self._seq_lock = threading.Lock()  # not _send_lock: the reader thread restores while show() waits
        self._last: SignDisplay | None = None
        self.link = SerialLink(config.port, self._on_data, name="window-sign", on_connect=self._restore)

    def show(self, display: SignDisplay) -> None:
        """Send and (by default) wait for ACK. SignError on NAK or silence, ValueError for text the
        sign's font cannot show, DeviceDisconnectedError when unplugged (re-sent on reconnect)."""
        with self._send_lock:
            frame = show_frame(self.config.address, display, self.config.encoding, self._next_seq())
            self._last = display
            self._send(frame)

    def clear(self) -> None:
        with self._send_lock:
            self._last = None
            self._send(clear_frame(self.config.address, self._next_seq()))

    def _next_seq(self) -> int:
        with self._seq_lock:
            self._seq = (self._seq + 1) % 256
            return self._seq

    def _send(self, frame: bytes) -> None:
        seq = frame[2]
        self.link.write(frame)
        if not self.config.expect_ack:
            return
        deadline = time.monotonic() + self.config.ack_timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                ok, reply_seq = self._replies.get(timeout=remaining)
            except queue.Empty:
                break
            if reply_seq != seq:
                continue  # the late answer to an earlier frame
            if not ok:
                raise SignError("window sign refused the frame (NAK)", address=self.config.address)
            return
        raise SignError("window sign did not acknowledge", address=self.config.address)

    def _on_data(self, data: bytes) -> None:
        for item in self._reply_reader.feed(data):
            self._replies.put(item)

    def _restore(self) -> None:
        """A replugged sign powers up blank: show the last display again (its reply is skipped later)."""
        self._reply_reader = ReplyReader()
        display = self._last
        if display is None:
            return
        try:
            self.link.write(show_frame(self.config.address, display, self.config.encoding, self._next_seq()))
        except DeviceDisconnectedError:
            log.info("window sign went away again before its display was restored")
