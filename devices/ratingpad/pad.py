"""The rating pad over a serial line: prompt for a visit, get exactly one ``Rating`` back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from devices.errors import DeviceDisconnectedError, FrameError
from devices.ratingpad.protocol import (
    DEFAULT_DEBOUNCE_S,
    DEFAULT_PROMPT_GUARD_S,
    Rating,
    RatingSession,
    parse_pad_line,
)
from devices.serialport import LineFramer, SerialDevice, SerialLink, SerialPortConfig

log = logging.getLogger(__name__)


class RatingPad(SerialDevice):
    """``on_rating`` runs in the reader thread, once per prompt at most."""

    def __init__(
        self,
        port: SerialPortConfig,
        on_rating: Callable[[Rating], None],
        *,
        debounce_s: float = DEFAULT_DEBOUNCE_S,
        prompt_guard_s: float = DEFAULT_PROMPT_GUARD_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._on_rating = on_rating
        self._clock = clock
        self._session = RatingSession(debounce_s, prompt_guard_s)
        self._lock = threading.Lock()
        self._framer = LineFramer(max_length=64)
        self.link = SerialLink(port, self._on_data, name="rating-pad", on_connect=self._restore)

    def prompt(self, visit_id: str) -> None:
        """Light the keys for this visit. Raises DeviceDisconnectedError if the pad is unplugged (the
        prompt is kept and sent again when it comes back)."""
        with self._lock:
            line = self._session.prompt(visit_id, self._clock())
        self.link.write(line)

    def cancel(self) -> None:
        with self._lock:
            line = self._session.cancel()
        self.link.write(line)

    @property
    def presses(self) -> int:
        """Key presses received, taken or not (for diagnostics and tests)."""
        return self._session.presses

    @property
    def waiting_for(self) -> str | None:
        """The visit id of the open prompt, if any."""
        return self._session.visit_id

    def _restore(self) -> None:
        self._framer = LineFramer(max_length=64)
        with self._lock:
            line = self._session.restore()
        try:
            self.link.write(line)
        except DeviceDisconnectedError:
            log.info("rating pad went away again before its state was restored")

    def _on_data(self, data: bytes) -> None:
        for line in self._framer.feed(data):
            try:
                score = parse_pad_line(line)
            except FrameError:
                log.warning("rating pad sent an unknown line (%d bytes)", len(line))
                continue
            with self._lock:
                rating, reply = self._session.press(score, self._clock())
            if reply:
                try:
                    self.link.write(reply)
                except DeviceDisconnectedError:
                    log.info("rating pad unplugged before the acknowledgement")
            if rating is not None:
                self._on_rating(rating)
