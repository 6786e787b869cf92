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
from queue_server.services.admin.facade import AdminUseCases
from queue_server.services.casework.documents import PrinterFactory
from queue_server.services.casework.facade import CaseworkUseCases
from queue_server.services.casework.materials_facade import MaterialsUseCases
from queue_server.services.casework.printing import DocumentPrinter
from queue_server.services.catalog_admin.facade import CatalogAdminUseCases
from queue_server.services.engine import retention
from queue_server.services.engine.retention import Purged, RetentionJob
from queue_server.services.engine.runner import Clock, Runner
from queue_server.services.people.facade import PeopleUseCases
from queue_server.services.people.security import Passwords
from queue_server.services.people.signin import SignIn
from queue_server.services.ports import Announcer
from queue_server.services.queue.booking_facade import BookingUseCases, booking_throttle
from queue_server.services.queue.facade import QueueUseCases
from queue_server.services.queue.guide_facade import GuideUseCases
from queue_server.services.queue.notify import Notifier, notifier_from_url
from queue_server.services.queue.reminders import ReminderJob
from queue_server.services.supervision.facade import SupervisionUseCases
from queue_server.services.supervision.monitor import SupervisionMonitor
from queue_server.services.usecases import UseCase
from queue_server.services.views.citizen import citizen_rating_throttle
from queue_server.services.views.facade import ViewUseCases
from queue_server.services.views.live import LiveHub
from queue_server.settings import Settings


def system_clock() -> datetime:
    return datetime.now(UTC)


class Services(
    QueueUseCases,
    CaseworkUseCases,
    ViewUseCases,
    PeopleUseCases,
    SupervisionUseCases,
    GuideUseCases,
    BookingUseCases,
    AdminUseCases,
    MaterialsUseCases,
    CatalogAdminUseCases,
):
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
        passwords: Passwords | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.hub = LiveHub()
        self.runner = Runner(engine, settings, clock, (self.hub, *announcers))
        self.runner.catalog_etag = self._etag
        self.printer = DocumentPrinter(self.runner, printer_factory)
        self.supervision = SupervisionMonitor(self.runner)  # started by the server (runtime/)
        self._token_key = settings.derive_key("token")
        self.passwords = passwords or Passwords()  # the seam a test counts password checks through
        self.sign_ins = SignIn(self.runner, self.passwords, self._token_key, settings, clock)
        self._etags: dict[str, tuple[float, str]] = {}
        self._rating_throttle = citizen_rating_throttle()
        self.retention = RetentionJob(engine, self.purge_personal_data)  # started by the server
        # Appointment booking: reminders through the notifier seam (the log unless notifier_url names a
        # gateway), sent by a job the server starts; the public pages' per-address count; the ID key.
        self.notifier = notifier or notifier_from_url(settings.notifier_url)
        self.reminders = ReminderJob(engine, self.send_reminders)
        self._booking_throttle = booking_throttle()
        self._id_key = settings.derive_key("id-hash")

    def purge_personal_data(self, hall: str, full: bool = False) -> Purged:
        """Phones and ID hashes past their retention, old request-log rows (``engine/retention.py``)."""
        return self.runner.write(
            hall,
            UseCase.PURGE_PERSONAL_DATA,
            lambda tx: retention.purge(tx, full=full),
            Purged,
            request_id=None,
        )

    def add_announcer(self, announcer: Announcer) -> None:
        """Attach a door that starts after the services (the MQTT bridge)."""
        self.runner.announcers = (*self.runner.announcers, announcer)
