"""The ``Desk`` (the window's use cases) of an app, made on first use and kept on ``app.state``.

``create_app`` registers the window's routers only; the desk is built from the app's ``Services`` the
first time a request needs it, and attaches its live channel to those services then. A test or a
server may put its own ``Desk`` on ``app.state.desk`` beforehand (another printer factory, say).
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Path, Request

from queue_server.services.desk import Desk

_lock = threading.Lock()

CitizenToken = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{4,64}$", description="the ticket's public token (citizen page)")
]


def desk_of(request: Request) -> Desk:
    state = request.app.state
    desk: Desk | None = getattr(state, "desk", None)
    if desk is None:
        with _lock:
            desk = getattr(state, "desk", None)
            if desk is None:
                desk = Desk(state.services)
                state.desk = desk
    return desk


DeskDep = Annotated[Desk, Depends(desk_of)]
