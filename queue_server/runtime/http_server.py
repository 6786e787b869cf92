"""uvicorn for the hallq app, stopping without waiting on the browsers' open event streams.

uvicorn's shutdown waits until every response in flight has ended, and a live event stream (counter
console, citizen page) only ends by itself when it reaches its maximum age (``web/sse.py``, 15 s).
The live hub can end them all at once (``LiveHub.close``); :class:`HallqServer` does so as its
shutdown begins, whether a signal (``hallq server``) or ``should_exit`` (``hallq up``) started it.
The browsers reconnect by themselves to whatever server comes next.
"""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI


def close_live_streams(app: FastAPI) -> None:
    """End every open live stream of ``app`` now."""
    app.state.services.hub.close()


class HallqServer(uvicorn.Server):
    """A ``uvicorn.Server`` for a hallq app that closes the live streams before waiting for them."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.hallq_app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        close_live_streams(self.hallq_app)
        await super().shutdown(sockets)
