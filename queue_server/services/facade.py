"""``Services``: every use case of every hall in one database, the one object both doors call.

The MQTT bridge (devices) and the HTTP API (consoles, managers, the citizen page) hold no rules: they
parse, call one method here, and map its errors once. Each method is one transaction through the
``engine.Runner``: a write is named by a ``UseCase``, takes a ``request_id`` (idempotent by it: the same
id again gets the stored reply and changes nothing) and is announced after commit, to the MQTT
announcer and to the browsers' live channel (``LiveHub``). Time comes from ``clock``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine

from devices.printer import open_printer
from queue_server.services.casework.documents import PrinterFactory
from queue_server.services.casework.facade import CaseworkUseCases
from queue_server.services.casework.printing import DocumentPrinter
from queue_server.services.engine.runner import Clock, Runner
from queue_server.services.people.facade import PeopleUseCases
from queue_server.services.ports import Announcer
from queue_server.services.queue.facade import QueueUseCases
from queue_server.services.views.facade import ViewUseCases
from queue_server.services.views.live import LiveHub
from queue_server.settings import Settings


def system_clock() -> datetime:
    return datetime.now(UTC)


class Services(QueueUseCases, CaseworkUseCases, ViewUseCases, PeopleUseCases):
    """The application services of every hall in one database (see the module doc).

    One object; its methods are grouped by purpose in one part per package (``queue/facade.py``,
    ``casework/facade.py``, ``views/facade.py``, ``people/facade.py``) on ``engine/base.py``.
    """

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        clock: Clock = system_clock,
        announcers: Iterable[Announcer] = (),
        printer_factory: PrinterFactory = open_printer,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.hub = LiveHub()
        self.runner = Runner(engine, settings, clock, (self.hub, *announcers))
        self.runner.catalog_etag = self._etag
        self.printer = DocumentPrinter(self.runner, printer_factory)
        self._token_key = settings.derive_key("token")
        self._etags: dict[str, tuple[float, str]] = {}

    def add_announcer(self, announcer: Announcer) -> None:
        """Attach a door that starts after the services (the MQTT bridge)."""
        self.runner.announcers = (*self.runner.announcers, announcer)
