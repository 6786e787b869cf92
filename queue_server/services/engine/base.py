"""What the facade's parts share: the runner, the live channel, the printer, and one way to read and write.

``Services`` (``services/facade.py``) is made of one part per package (``queue/facade.py``, ...);
each part's methods are thin: one use case, one transaction through :class:`Runner`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine

from queue_server.services.casework.printing import DocumentPrinter
from queue_server.services.engine.runner import Clock, Runner
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role
from queue_server.services.usecases import UseCase
from queue_server.services.views.live import LiveHub

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class FacadePart:
    """The state every part of ``Services`` reads; ``Services.__init__`` sets it."""

    engine: Engine
    runner: Runner
    hub: LiveHub
    printer: DocumentPrinter
    clock: Clock

    def _read(self, hall: str, fn: Callable[[Tx], T]) -> T:
        return self.runner.read(hall, fn)

    def _write(
        self,
        hall: str,
        use_case: UseCase,
        fn: Callable[[Tx], R],
        model: type[R],
        actor: Actor | None = None,
        request_id: str | None = None,
        device_id: str | None = None,
    ) -> R:
        if device_id is None and actor is not None and actor.role is Role.DEVICE:
            device_id = actor.id
        return self.runner.write(
            hall, use_case, fn, model, request_id=request_id, device_id=device_id, actor=actor
        )
