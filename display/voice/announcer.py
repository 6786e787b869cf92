"""The announcement queue: calls spoken one after another, in arrival order, none cut off.

Bounded, with a documented policy instead of unbounded lag (docs/display.md, "Voice"):

1. **Never reorder, never interrupt.** One worker thread plays items first-in first-out; the item
   playing always finishes.
2. **Shed repeats first.** When more than ``shed_after`` items wait, items start playing their
   sentence once instead of ``repeat`` times: the backlog drains faster and nothing is lost.
3. **Then drop the oldest waiting item.** At ``capacity`` waiting items, a new call pushes out the
   oldest *waiting* one (never the one playing). By then that call is minutes old and still on the
   screen's recent list; the newest calls are the ones citizens are listening for. Drops are counted
   (``dropped``) and logged.

The queue reports when it starts and finishes each item (``on_start``/``on_finish``) so the hall
display can highlight the call being spoken.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .builder import AnnouncementBuilder
from .sinks import AudioSink

log = logging.getLogger(__name__)

CAPACITY = 20
SHED_AFTER = 3
HISTORY = 1000


@dataclass(frozen=True, slots=True)
class Spoken:
    """One call to announce."""

    seq: int
    ticket: str
    window: str


Listener = Callable[[Spoken], None]


class AnnouncementQueue:
    def __init__(
        self,
        builder: AnnouncementBuilder,
        sink: AudioSink,
        *,
        capacity: int = CAPACITY,
        shed_after: int = SHED_AFTER,
        on_start: Listener | None = None,
        on_finish: Listener | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.builder = builder
        self.sink = sink
        self.capacity = capacity
        self.shed_after = shed_after
        self.on_start = on_start
        self.on_finish = on_finish
        self.dropped = 0
        self.played: deque[int] = deque(maxlen=HISTORY)  # seqs, in the order they were played
        self.clips_played: deque[tuple[str, ...]] = deque(maxlen=HISTORY)
        self._waiting: deque[Spoken] = deque()
        self._current: Spoken | None = None
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="hallq-announcer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop now: the sound playing is cut (the display is going away), waiting items dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.sink.close()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def submit(self, item: Spoken) -> None:
        with self._cond:
            if len(self._waiting) >= self.capacity:
                old = self._waiting.popleft()
                self.dropped += 1
                log.warning("announcer: backlog full, not announcing %s (seq %d)", old.ticket, old.seq)
            self._waiting.append(item)
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._waiting) + (1 if self._current is not None else 0)

    @property
    def current(self) -> Spoken | None:
        return self._current

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is playing or waiting (tests and shutdown)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._waiting and self._current is None, timeout)

    def _work(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting or self._stopping)
                if self._stopping:
                    return
                item = self._waiting.popleft()
                backlog = len(self._waiting)
                self._current = item
            try:
                self._play(item, shed=backlog >= self.shed_after)
            except Exception:  # a bad clip or a listener bug must not silence every later call
                log.exception("announcer: failed to announce %s", item)
            finally:
                with self._cond:
                    self._current = None
                    self._cond.notify_all()

    def _play(self, item: Spoken, *, shed: bool) -> None:
        announcement = self.builder.build(item.ticket, item.window, repeat=1 if shed else None)
        if self.on_start is not None:
            self.on_start(item)
        try:
            self.sink.play(announcement.wav, announcement.seconds)
        finally:
            # Recorded before on_finish so whoever waits on on_finish sees the history complete.
            with self._cond:
                self.played.append(item.seq)
                self.clips_played.append(announcement.clips)
            if self.on_finish is not None:
                self.on_finish(item)
