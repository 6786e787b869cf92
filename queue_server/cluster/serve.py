"""The city topology as ``hallq server`` starts it: fence, lease keeper, the door told what to serve.

``start_leases`` sets the runner's fencing check, runs the first lease round (so a lone instance
serves its halls before the HTTP server starts) and keeps the leases from then on. ``Serving``
answers the readiness probes (``api/routes/health.py``) for both topologies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from sqlalchemy import Engine, event

from queue_server.cluster.fence import Fence, HeldHalls
from queue_server.cluster.keeper import LeaseKeeper
from queue_server.cluster.leases import session_name

if TYPE_CHECKING:
    from queue_server.services import Services
    from queue_server.settings import Settings

log = logging.getLogger(__name__)


@runtime_checkable
class HallDoor(Protocol):
    """What the keeper tells when a hall is gained or lost (the MQTT bridge)."""

    def add_hall(self, hall: str) -> None: ...

    def remove_hall(self, hall: str) -> None: ...

    @property
    def halls(self) -> frozenset[str]: ...

    @property
    def connected(self) -> bool: ...


class Serving:
    """Which halls this instance serves, and whether it is ready (the readiness probes)."""

    def __init__(self, instance: str, door: HallDoor | None, keeper: LeaseKeeper | None = None) -> None:
        self.instance = instance
        self.door = door
        self.keeper = keeper

    @property
    def leases(self) -> bool:
        return self.keeper is not None

    def halls(self) -> list[str]:
        if self.keeper is not None:
            return sorted(self.keeper.fence.held())
        return sorted(self.door.halls) if self.door is not None else []

    def members(self) -> int | None:
        return self.keeper.members if self.keeper is not None else None

    def ready(self) -> bool:
        """The broker link is up and, with leases, the last lease round succeeded."""
        if self.door is None or not self.door.connected:
            return False
        return self.keeper is None or self.keeper.renewed_within_ttl()


def start_leases(settings: Settings, services: Services, door: HallDoor | None) -> LeaseKeeper:
    """Fence the writes, take this instance's share of the halls, keep it (see the module doc)."""
    # A frozen writer's transaction is ended by PostgreSQL before its lease can lapse (fence.py), and
    # so is any other transaction of a frozen process (mark_sessions).
    mark_sessions(services.engine, settings.instance, settings.lease_ttl_s / 2)
    fence = Fence(settings.instance, idle_s=settings.lease_ttl_s / 2)
    services.runner.fence = fence.check
    # The hourly and per-minute jobs write for the halls held here; their holders do the rest.
    services.retention.serves = services.reminders.serves = fence.holds

    def gained(hall: str, epoch: int) -> None:
        started = time.monotonic()
        if door is not None:
            door.add_hall(hall)  # subscribes, republishes the retained hall and window states
        services.supervision.poke(hall)  # its alerts evaluated from the database
        services.supervision.publish(hall)
        log.info("hall %s served (epoch %d) in %.0f ms", hall, epoch, (time.monotonic() - started) * 1000)

    def lost(hall: str) -> None:
        if door is not None:
            door.remove_hall(hall)
        log.info("hall %s no longer served here", hall)

    keeper = LeaseKeeper(services.engine, fence, settings.lease_ttl_s, gained=gained, lost=lost)
    keeper.start()
    return keeper


def mark_sessions(engine: Engine, instance: str, seconds: float) -> None:
    """Name this instance's database sessions (``hallq-{instance}``: an instance taking over its lapsed
    leases ends them, leases.py ``end_sessions``), and have PostgreSQL end each that sits idle inside
    a transaction ``seconds``.

    A paused process (SIGSTOP, a frozen VM) keeps its open transactions and every lock in them; the
    fence's own statement limits the fenced writes (fence.py), this covers the rest (a job's write, a
    write waiting for its fence), whose locks another instance's writes or lease round may wait for.
    Only idle time counts: a long statement (a year's statistics) is not cut short.
    """
    if engine.dialect.name != "postgresql":
        return
    settings = (
        f"SET idle_in_transaction_session_timeout = {int(seconds * 1000)}",
        f"SET application_name = '{session_name(instance)}'",  # an instance name: [a-z0-9-] only
    )

    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            for setting in settings:
                cursor.execute(setting)
        dbapi_connection.commit()  # a SET in a transaction rolled back would be undone

    engine.dispose()  # the connections opened before this get it when they are opened again


def held_halls(keeper: LeaseKeeper) -> Sequence[str]:
    """The halls the keeper holds now, read afresh at each use (supervision's list of halls)."""
    return HeldHalls(keeper.fence)
