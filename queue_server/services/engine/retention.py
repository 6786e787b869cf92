"""Retention: personal data and request-log rows deleted once their use is over.

- Phone numbers and ID hashes of tickets (``personal_data_days`` after the ticket's day), of
  appointments (after the slot) and the phone of a door-to-door visit that is over. The ID hash served
  the same day's per-ID limit and check-in; the phone, a call back about the visit. Statistics and
  cases keep everything else.
- Pages captured at the kiosk (``material_image`` and its bytes) ``material_image_days`` after their
  upload: the window judged them during the visit, the case keeps what was decided about them.
- Request-log rows older than the idempotency window (``request_log_days``): a device resends within
  minutes, an outbox within its maximum age; nothing replays a week-old request id.

One use case per hall (``purge``); :class:`RetentionJob` runs it in the running server every
``INTERVAL_S``, ``hallq purge`` on demand. Each run looks back ``LOOKBACK_DAYS`` before the cut-off
(the rows the previous runs left), the first run of a process and the command back to the beginning,
so an hourly run costs a few days of tickets, not the hall's whole history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import SQLModel

from queue_server.domain.numbering import service_day
from queue_server.domain.privacy import retention_cutoff
from queue_server.services.engine.models import Reply
from queue_server.services.engine.periodic import PeriodicJob
from queue_server.services.engine.tx import Tx
from queue_server.store.tables import Appointment, RequestLog, Ticket
from queue_server.store.tables.casework import VISIT_BOOKED, DoorVisit
from queue_server.store.tables.materials import MaterialImage, MaterialImageData

log = logging.getLogger(__name__)

# Hourly: a phone number outlives its retention by an hour at most, and a run costs one short write.
INTERVAL_S = 3600.0
# Days before the cut-off a periodic run looks at again (a server that was down for a few days).
LOOKBACK_DAYS = 7


class Purged(Reply):
    """What one run removed, per kind of row."""

    tickets: int = 0
    appointments: int = 0
    door_visits: int = 0
    request_log: int = 0
    material_images: int = 0


def purge(tx: Tx, *, full: bool = False) -> Purged:
    """Delete what outlived its retention in ``tx``'s hall (see the module doc)."""
    settings = tx.settings
    personal = retention_cutoff(tx.now, settings.personal_data_days)
    last_day = service_day(personal, tx.zone)  # tickets of days before this one
    first_day = date.min if full else last_day - timedelta(days=LOOKBACK_DAYS)
    params = {"b_hall_id": tx.hall_id, "b_first_day": first_day, "b_last_day": last_day, "b_cutoff": personal}
    result = Purged(
        tickets=_count(tx, _TICKETS, params),
        appointments=_count(tx, _APPOINTMENTS, params),
        door_visits=_count(tx, _DOOR_VISITS, params),
        request_log=_count(
            tx,
            _REQUEST_LOG,
            {"b_hall_id": tx.hall_id, "b_cutoff": retention_cutoff(tx.now, settings.request_log_days)},
        ),
        material_images=_purge_images(tx, retention_cutoff(tx.now, settings.material_image_days)),
    )
    if any(result.model_dump().values()):
        tx.event("retention", **result.model_dump())
    return result


def _count(tx: Tx, statement: sa.Executable, params: dict[str, object]) -> int:
    return int(tx.conn.execute(statement, params).rowcount or 0)


def _purge_images(tx: Tx, cutoff: datetime) -> int:
    """Delete the pages uploaded before ``cutoff``, their bytes first (they point at the page)."""
    params = {"b_hall_id": tx.hall_id, "b_cutoff": cutoff}
    tx.conn.execute(_IMAGE_DATA, params)
    return _count(tx, _IMAGES, params)


class RetentionJob(PeriodicJob):
    """The running server's thread that calls ``run(hall, full)`` for every hall every ``INTERVAL_S``
    (the first run of a process looks at everything: the server may be new)."""

    name = "retention"

    def __init__(self, engine: sa.Engine, run: Callable[[str, bool], Purged]) -> None:
        super().__init__(engine)
        self._run = run

    def start(self, interval_s: float = INTERVAL_S) -> None:
        super().start(interval_s)

    def run_once(self, *, full: bool) -> dict[str, Purged]:
        """One run over every hall of the database; a hall that fails is logged and skipped."""
        done = {}
        for hall in self.halls():
            try:
                done[hall] = self._run(hall, full)
            except Exception:
                log.exception("retention run for hall %s failed", hall)
        return done

    def tick(self, first: bool) -> None:
        for hall, purged in self.run_once(full=first).items():
            if any(purged.model_dump().values()):
                log.info("retention for hall %s: %s", hall, purged.model_dump())


_T = SQLModel.metadata.tables
_TICKET = _T[Ticket.__tablename__]
_APPOINTMENT = _T[Appointment.__tablename__]
_DOOR_VISIT = _T[DoorVisit.__tablename__]
_LOG = _T[RequestLog.__tablename__]
# (Bound parameter names must differ from the column names in an UPDATE.)
_HALL: sa.BindParameter[int] = sa.bindparam("b_hall_id")
_CUTOFF: sa.BindParameter[object] = sa.bindparam("b_cutoff")
_TICKETS = (
    sa.update(_TICKET)
    .where(
        _TICKET.c.hall_id == _HALL,
        _TICKET.c.service_day >= sa.bindparam("b_first_day"),
        _TICKET.c.service_day < sa.bindparam("b_last_day"),
        sa.or_(_TICKET.c.phone.is_not(None), _TICKET.c.id_hash.is_not(None)),
    )
    .values(phone=None, id_hash=None)
)
_APPOINTMENTS = (
    sa.update(_APPOINTMENT)
    .where(
        _APPOINTMENT.c.hall_id == _HALL,
        _APPOINTMENT.c.slot_end < _CUTOFF,
        sa.or_(_APPOINTMENT.c.phone.is_not(None), _APPOINTMENT.c.id_hash.is_not(None)),
    )
    .values(phone=None, id_hash=None)
)
_DOOR_VISITS = (
    sa.update(_DOOR_VISIT)
    .where(
        _DOOR_VISIT.c.hall_id == _HALL,
        _DOOR_VISIT.c.scheduled_end < _CUTOFF,
        _DOOR_VISIT.c.state != VISIT_BOOKED,
        _DOOR_VISIT.c.phone != "",
    )
    .values(phone="")
)
_REQUEST_LOG = sa.delete(_LOG).where(_LOG.c.hall_id == _HALL, _LOG.c.ts < _CUTOFF)
_IMAGE = _T[MaterialImage.__tablename__]
_IMAGE_BYTES = _T[MaterialImageData.__tablename__]
_OLD_IMAGES = sa.select(_IMAGE.c.id).where(_IMAGE.c.hall_id == _HALL, _IMAGE.c.uploaded_at < _CUTOFF)
_IMAGE_DATA = sa.delete(_IMAGE_BYTES).where(_IMAGE_BYTES.c.image_id.in_(_OLD_IMAGES))
_IMAGES = sa.delete(_IMAGE).where(_IMAGE.c.hall_id == _HALL, _IMAGE.c.uploaded_at < _CUTOFF)
