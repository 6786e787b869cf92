"""uvicorn for the hallq app, stopping without waiting on the browsers' open event streams.

uvicorn's shutdown waits until every response in flight has ended, and a live event stream (counter
console, citizen page) only ends by itself when it reaches its maximum age (``web/sse.py``, 15 s).
The live hub can end them all at once (``LiveHub.close``); :class:`HallqServer` does so as its
shutdown begins, whether a signal (``hallq server``) or ``should_exit`` (``hallq up``) started it.
The browsers reconnect by themselves to whatever server comes next.

A citizen's ticket token is the key to their ticket page, their documents and their material pages,
and it travels in the URL path; :class:`RedactTokens` keeps it out of uvicorn's access log.
"""

from __future__ import annotations

import logging
import re
import socket

import uvicorn
from fastapi import FastAPI

# The paths that carry a ticket's token (citizen page and API, ratings, material pages), and a token
# in a query string (the live stream of the citizen page).
_TOKEN_IN_PATH = re.compile(r"(/api/citizen/|/api/materials/|/t/)[^/?#]+")
_TOKEN_IN_QUERY = re.compile(r"(token=)[^&#]+")


def redact_path(path: str) -> str:
    """``path`` with any ticket token replaced by ``***``."""
    return _TOKEN_IN_QUERY.sub(r"\1***", _TOKEN_IN_PATH.sub(r"\1***", path))


class RedactTokens(logging.Filter):
    """Rewrites the path of uvicorn's access-log records (``client, method, path, version, status``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact_path(args[2]), args[3], args[4])
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


def close_live_streams(app: FastAPI) -> None:
    """End every open live stream of ``app`` now."""
    app.state.services.hub.close()


class HallqServer(uvicorn.Server):
    """A ``uvicorn.Server`` for a hallq app that closes the live streams before waiting for them."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self.hallq_app = app
        _redact_access_log()  # after ``config``: uvicorn sets its loggers up when the config is made

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        close_live_streams(self.hallq_app)
        await super().shutdown(sockets)
