"""Server-Sent Event streams for the counter console and the citizen page.

Streams end by themselves after ``MAX_AGE_S`` and the browser's EventSource reconnects after
``RETRY_MS``, sending the last event id: nothing is lost (the hub replays), and a server shutting down
never waits long for open streams (uvicorn waits for every open response before it exits). Comment
lines every ``HEARTBEAT_S`` keep proxies and NAT tables from dropping an idle stream and let a closed
tab be noticed.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from queue_server.services.views.live import Closed, LiveEvent, LiveHub, Resync

RETRY_MS = 1000
MAX_AGE_S = 15.0
HEARTBEAT_S = 5.0
# A citizen page recomputes its view at most this often for changes that are not its own call.
CITIZEN_THROTTLE_S = 0.5

HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
MEDIA_TYPE = "text/event-stream"

# How many live streams may be open at once. A stream costs the server a subscription, a task and, for a
# citizen, a view recomputed on the hall's changes: unbounded, a script on the hall network could open
# thousands. Per token: a person's few tabs (console and managers' page, or a citizen's phone and PC).
# Per address: every citizen behind one hall Wi-Fi NAT, with room to spare. In all: a large hall's
# windows and waiting citizens several times over.
STREAMS_PER_TOKEN = 4
STREAMS_PER_ADDRESS = 64
STREAMS_TOTAL = 2000


@dataclass
class StreamCaps:
    """Open live streams counted per token, per client address and in all; ``open`` refuses past a cap.

    Used from the event loop only (the HTTP middleware, ``api/hardening.py``): no lock needed.
    """

    per_token: int = STREAMS_PER_TOKEN
    per_address: int = STREAMS_PER_ADDRESS
    total: int = STREAMS_TOTAL
    _open: Counter[str] = field(default_factory=Counter, repr=False)

    def open(self, token: str | None, address: str | None) -> tuple[str, ...] | None:
        """Count one more stream and return its keys for ``close``; None when a cap is reached."""
        keys = [("*", self.total)]
        if token:
            keys.append((f"token:{token}", self.per_token))
        if address:
            keys.append((f"address:{address}", self.per_address))
        if any(self._open[key] >= cap for key, cap in keys):
            return None
        for key, _ in keys:
            self._open[key] += 1
        return tuple(key for key, _ in keys)

    def close(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]  # keys of gone tokens and addresses do not pile up

    def count(self, key: str = "*") -> int:
        """Streams open under ``key`` ("*": all; "token:…", "address:…")."""
        return self._open[key]


def _hello(boot: str, head_id: str, *, resync: bool) -> str:
    data = json.dumps({"boot": boot, "resync": resync})
    return f"id: {head_id}\nevent: hello\ndata: {data}\n\n"


async def hall_stream(
    hub: LiveHub,
    hall: str,
    last_event_id: str | None,
    *,
    max_age: float = MAX_AGE_S,
    heartbeat: float = HEARTBEAT_S,
) -> AsyncIterator[str]:
    """Every live event of a hall (consoles filter for their window), replayed across reconnects."""
    opened = hub.subscribe(hall, last_event_id)
    sub = opened.subscription
    try:
        yield f"retry: {RETRY_MS}\n\n"
        yield _hello(hub.boot, opened.head_id, resync=opened.replay is None)
        for event in opened.replay or ():
            yield event.sse(hub.boot)
        loop = asyncio.get_running_loop()
        end = loop.time() + max_age
        while (left := end - loop.time()) > 0:
            item = await sub.get(min(heartbeat, left))
            if item is None:
                yield ": ping\n\n"
            elif isinstance(item, Closed):
                return
            elif isinstance(item, Resync):
                yield _hello(hub.boot, hub.head_id(hall), resync=True)
            else:
                yield item.sse(hub.boot)
    finally:
        hub.unsubscribe(sub)


Snapshot = Callable[[], Awaitable[tuple[BaseModel, frozenset[str]]]]


async def citizen_stream(
    hub: LiveHub,
    hall: str,
    snapshot: Snapshot,
    *,
    max_age: float = MAX_AGE_S,
    heartbeat: float = HEARTBEAT_S,
    throttle: float = CITIZEN_THROTTLE_S,
) -> AsyncIterator[str]:
    """The citizen's view, sent whenever it changes: at once when the change is a call or window
    event for this visit's tickets, otherwise at most every ``throttle`` seconds."""
    opened = hub.subscribe(hall, None)
    sub = opened.subscription
    loop = asyncio.get_running_loop()
    try:
        yield f"retry: {RETRY_MS}\n\n"
        view, tokens = await snapshot()
        last = view.model_dump_json()
        yield f"event: status\ndata: {last}\n\n"
        computed = loop.time()
        end = loop.time() + max_age
        while (left := end - loop.time()) > 0:
            item = await sub.get(min(heartbeat, left))
            if item is None:
                yield ": ping\n\n"
                continue
            items = [item, *sub.drain()]  # a burst of changes makes one look, not one each
            if any(isinstance(i, Closed) for i in items):
                return
            events = [i for i in items if isinstance(i, LiveEvent)]
            mine = any(e.tokens & tokens for e in events)
            relevant = mine or len(events) < len(items) or any(e.kind in ("hall", "case") for e in events)
            if not relevant:
                continue
            wait = 0.0 if mine else computed + throttle - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                if any(isinstance(i, Closed) for i in sub.drain()):  # what came meanwhile is in this look
                    return
            view, tokens = await snapshot()
            computed = loop.time()
            body = view.model_dump_json()
            if body != last:
                last = body
                yield f"event: status\ndata: {body}\n\n"
    finally:
        hub.unsubscribe(sub)
