"""The browser live channel: an ``Announcer`` that hands what the services announce to the open
Server-Sent-Event streams of counter consoles and citizen pages.

Services announce from any thread (HTTP worker threads, the MQTT bridge's workers); each stream lives
on the server's event loop. ``publish`` numbers the event, keeps it in a short per-hall history and
hands it to every subscriber's loop with ``call_soon_threadsafe`` — it never blocks and never raises
into the services.

A stream that reconnects (EventSource does so by itself, also across a server restart) sends the id
of the last event it saw: events still in the history are replayed; if some are gone, or the id is
from before a restart (another ``boot``), the stream is told to resynchronise (fetch a fresh snapshot).
A subscriber that falls too far behind is told the same instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from queue_server.protocol.alerts import AlertsState
from queue_server.protocol.messages import CallEvent, HallState, WindowState

log = logging.getLogger(__name__)

HISTORY = 500
QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One message for the browsers: ``kind`` is the SSE event name, ``data`` its JSON."""

    seq: int
    kind: str
    data: str
    window: str | None = None
    tokens: frozenset[str] = field(default_factory=frozenset)  # public ids of the tickets concerned

    def sse(self, boot: str) -> str:
        return f"id: {boot}-{self.seq}\nevent: {self.kind}\ndata: {self.data}\n\n"


class Resync:
    """Marker: the subscriber missed events and must fetch a fresh snapshot."""


class Closed:
    """Marker: the hub is closing; the stream should end (the browser reconnects)."""


RESYNC = Resync()
CLOSED = Closed()
Item = LiveEvent | Resync | Closed


class Subscription:
    """One open stream of one hall, read on its event loop."""

    def __init__(self, hall: str, loop: asyncio.AbstractEventLoop, size: int = QUEUE_SIZE) -> None:
        self.hall = hall
        self.loop = loop
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._size = size
        self._overflowed = False

    def _put(self, item: Item) -> None:
        # Runs on the loop: the queue is only ever touched from there.
        if isinstance(item, LiveEvent):
            if self._overflowed:
                return
            if self._queue.qsize() >= self._size:
                self._overflowed = True
                item = RESYNC
        self._queue.put_nowait(item)

    async def get(self, wait_s: float) -> Item | None:
        """The next item, or None when nothing came within ``wait_s`` seconds."""
        try:
            item = await asyncio.wait_for(self._queue.get(), wait_s)
        except TimeoutError:
            return None
        if isinstance(item, Resync):
            self._overflowed = False
        return item

    def drain(self) -> list[Item]:
        """Everything already waiting, without waiting for more."""
        items: list[Item] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, Resync):
                self._overflowed = False
            items.append(item)
        return items

    def deliver(self, item: Item) -> bool:
        """Hand an item over from any thread; False once the loop is gone."""
        try:
            self.loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the loop is closed: the stream is gone
            return False
        return True


@dataclass(frozen=True, slots=True)
class Opened:
    """A new stream: its subscription, the events to replay (None: resynchronise instead, after a
    first connection, a restart, or events already gone) and the id of the newest event so far."""

    subscription: Subscription
    replay: list[LiveEvent] | None
    head_id: str


class LiveHub:
    """Implements ``services.ports.Announcer`` for browsers; also carries the window's own notices."""

    def __init__(self, *, history: int = HISTORY, queue_size: int = QUEUE_SIZE) -> None:
        # A new boot id per process: an id from before a restart can never be taken for a recent one.
        self.boot = secrets.token_hex(4)
        self._history_size = history
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}
        self._history: dict[str, deque[LiveEvent]] = {}
        self._subs: dict[str, set[Subscription]] = {}
        self._closed = False

    # --- Announcer ----------------------------------------------------------------------------

    def call_made(self, hall: str, call: CallEvent) -> None:
        tokens = frozenset({call.ticket_id}) if call.ticket_id else frozenset()
        self.publish(hall, "call", call, window=call.window, tokens=tokens)

    def window_changed(self, hall: str, window: WindowState) -> None:
        tokens = frozenset({window.ticket_id}) if window.ticket_id else frozenset()
        self.publish(hall, "window", window, window=window.window, tokens=tokens)

    def hall_changed(self, hall: str, state: HallState) -> None:
        # Consoles and citizen pages refetch what they show; the full state (calls, every window) is
        # the displays' business, so only a summary goes out.
        summary = {"seq": state.seq, "waiting": state.waiting, "mode": state.mode.value, "ts": state.ts}
        self.publish(hall, "hall", summary)

    def alerts_changed(self, hall: str, state: AlertsState) -> None:
        """The hall's open supervision alerts (``services/supervision/monitor.py``): managers' pages."""
        self.publish(hall, "alerts", state)

    # --- the window's own notices (cases, documents, rectification) ------------------------------

    def notify(
        self, hall: str, kind: str, payload: BaseModel | dict[str, Any], *, window: str | None = None
    ) -> None:
        self.publish(hall, kind, payload, window=window)

    def publish(
        self,
        hall: str,
        kind: str,
        payload: BaseModel | dict[str, Any],
        *,
        window: str | None = None,
        tokens: Iterable[str] = (),
    ) -> None:
        try:
            data = (
                payload.model_dump_json()
                if isinstance(payload, BaseModel)
                else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            )
            with self._lock:
                seq = self._seq.get(hall, 0) + 1
                self._seq[hall] = seq
                event = LiveEvent(seq, kind, data, window, frozenset(tokens))
                self._history.setdefault(hall, deque(maxlen=self._history_size)).append(event)
                subs = list(self._subs.get(hall, ()))
            for sub in subs:
                if not sub.deliver(event):
                    self.unsubscribe(sub)
        except Exception:
            log.exception("live event %s of %s not published", kind, hall)

    # --- streams ------------------------------------------------------------------------------

    def subscribe(self, hall: str, last_event_id: str | None = None) -> Opened:
        """Open a stream on the running loop, with the events to replay after ``last_event_id``."""
        sub = Subscription(hall, asyncio.get_running_loop(), self._queue_size)
        with self._lock:
            if self._closed:
                sub._put(CLOSED)
            self._subs.setdefault(hall, set()).add(sub)
            replay = self._replay(hall, last_event_id)
            head = self._seq.get(hall, 0)
        return Opened(sub, replay, f"{self.boot}-{head}")

    def _replay(self, hall: str, last_event_id: str | None) -> list[LiveEvent] | None:
        if not last_event_id:
            return None
        boot, _, raw = last_event_id.partition("-")
        if boot != self.boot or not raw.isdigit():
            return None
        last = int(raw)
        history = self._history.get(hall, deque())
        if last > self._seq.get(hall, 0):
            return None
        if last == self._seq.get(hall, 0):
            return []
        if not history or history[0].seq > last + 1:
            return None  # some were dropped from the history
        return [e for e in history if e.seq > last]

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            subs = self._subs.get(sub.hall)
            if subs is not None:
                subs.discard(sub)

    def head_id(self, hall: str) -> str:
        """The id of the newest event of a hall so far."""
        with self._lock:
            return f"{self.boot}-{self._seq.get(hall, 0)}"

    def subscribers(self, hall: str) -> int:
        with self._lock:
            return len(self._subs.get(hall, ()))

    def close(self) -> None:
        """End every stream now (before stopping the HTTP server: open streams delay its shutdown)."""
        with self._lock:
            self._closed = True
            subs = [s for group in self._subs.values() for s in group]
        for sub in subs:
            with contextlib.suppress(Exception):
                sub.deliver(CLOSED)

    def reopen(self) -> None:
        with self._lock:
            self._closed = False
