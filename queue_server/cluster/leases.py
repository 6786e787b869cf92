"""One round of an instance's leases, in one short transaction on the database's clock.

The round writes this instance's heartbeat, gives every hall a lease row, reads the leases and the
live instances, decides (``plan.py``) and applies the decision with conditional ``UPDATE``s: a take
matches the epoch seen and a free or lapsed lease, so two instances never both win one hall. Expiry
times come from the database's clock (PostgreSQL's ``now()``), so the instances' own clocks need not
agree; on SQLite (one instance) the process's.

A lease lives as long as its holder's heartbeat (``cluster_member.expires_at``): renewing is the one
heartbeat row, never the ``hall_lease`` rows. Every write transaction reads its hall's lease row
``FOR SHARE`` (``fence.py``), and an ``UPDATE`` of that row waits for all of them: a renewal that
touched the lease rows queued behind the writes of a busy hall, missed its lock timeout, and let
every hall of the instance lapse at once under load (the city benchmark saw them bounce between the
instances). Only a take or a release writes a lease row, and each in a savepoint of its own, so one
that waits too long fails alone, not the heartbeat with it.

Releasing is two-phase: ``before_release(hall)`` is called (the instance stops serving the hall)
before the row is handed back in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel, col

from queue_server.cluster.plan import Lease, Plan, plan_round
from queue_server.store.tables import ClusterMember, Hall, HallLease

log = logging.getLogger(__name__)

_LEASE = SQLModel.metadata.tables[HallLease.__tablename__]
_MEMBER = SQLModel.metadata.tables[ClusterMember.__tablename__]
SESSION_PREFIX = "hallq-"
_END_SESSIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name = :name AND pid <> pg_backend_pid()"
)
# A member row this long past its expiry is an instance that is gone for good: deleted.
FORGET_MEMBER = timedelta(hours=1)


@dataclass(frozen=True)
class Outcome:
    """What a round did: the plan, the halls gained (hall → new epoch) and the renewals that failed."""

    plan: Plan
    gained: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    members: int = 1


def db_now(conn: Connection) -> datetime:
    """The database's clock (PostgreSQL), else this process's (SQLite: one instance on one machine)."""
    if conn.dialect.name == "postgresql":
        now: datetime = conn.execute(select(func.now())).scalar_one()
        return now.astimezone(UTC)
    return datetime.now(UTC)


def _insert(conn: Connection) -> Any:
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def session_name(instance: str) -> str:
    """The ``application_name`` of every database session of a leased instance (cluster/serve.py)."""
    return f"{SESSION_PREFIX}{instance}"


def end_sessions(conn: Connection, instance: str) -> int:
    """End the database sessions of ``instance``, whose heartbeat lapsed; how many were ended.

    Fencing at the database for what the fence's own timeouts cannot reach: a process paused in the
    middle of a pipeline (psycopg's ``executemany``) is neither idle nor running a statement, so no
    PostgreSQL timeout ends it, and its locks would hold the takeover for as long as it sleeps.
    Ending its sessions rolls its writes back; it may not write anyway, its lease having lapsed.
    """
    if conn.dialect.name != "postgresql":
        return 0
    try:
        with conn.begin_nested():
            ended = conn.execute(_END_SESSIONS, {"name": session_name(instance)}).scalars().all()
    except DBAPIError:  # e.g. a role without the right to signal the other's backends
        log.warning("sessions of %s not ended; a takeover waits for their locks", instance, exc_info=True)
        return 0
    return sum(1 for one in ended if one)


def heartbeat(conn: Connection, instance: str, now: datetime, expires: datetime) -> set[str]:
    """Write this instance's heartbeat; the live instances (this one included)."""
    insert = _insert(conn)
    conn.execute(
        insert(_MEMBER)
        .values(instance=instance, expires_at=expires)
        .on_conflict_do_update(index_elements=["instance"], set_={"expires_at": expires})
    )
    conn.execute(_MEMBER.delete().where(_MEMBER.c.expires_at < now - FORGET_MEMBER))
    live = conn.execute(select(_MEMBER.c.instance).where(_MEMBER.c.expires_at > now))
    return set(live.scalars())


def leases(conn: Connection, now: datetime) -> list[Lease]:
    """Every hall's lease; a hall without one (loaded since) gets a free one first."""
    missing = select(col(Hall.id)).where(col(Hall.id).not_in(select(_LEASE.c.hall_id)))
    insert = _insert(conn)
    for hall_id in conn.execute(missing).scalars().all():
        conn.execute(
            insert(_LEASE)
            .values(hall_id=hall_id, holder=None, epoch=0, expires_at=now)
            .on_conflict_do_nothing(index_elements=["hall_id"])
        )
    # A held lease expires with its holder's heartbeat; a free one (no holder) at its own time.
    expires = func.coalesce(_MEMBER.c.expires_at, _LEASE.c.expires_at)
    rows = conn.execute(
        select(_LEASE.c.hall_id, col(Hall.code), _LEASE.c.holder, _LEASE.c.epoch, expires)
        .join(Hall, col(Hall.id) == _LEASE.c.hall_id)
        .outerjoin(_MEMBER, _MEMBER.c.instance == _LEASE.c.holder)
        .order_by(col(Hall.code))
    )
    return [Lease(*row) for row in rows]


def run_round(
    engine: Engine,
    instance: str,
    held: Mapping[str, int],
    ttl: timedelta,
    before_release: Callable[[str], None],
) -> Outcome:
    """Heartbeat, renew, take, release: one transaction (see the module doc)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # A take or a release waits for the writes in flight on its hall (their fence reads the row
            # FOR SHARE); a stuck one must fail (its savepoint), not hold the round past the heartbeat's
            # expiry. And a round of a process paused mid-transaction must not hold the rows it updated
            # (see fence.py).
            ms = int(ttl.total_seconds() * 1000)
            conn.execute(text(f"SET LOCAL lock_timeout = {ms // 4}"))
            conn.execute(text(f"SET LOCAL idle_in_transaction_session_timeout = {ms // 2}"))
        now = db_now(conn)
        expires = now + ttl
        live = heartbeat(conn, instance, now, expires)
        plan = plan_round(leases(conn, now), instance, held, len(live), now)
        # Kept as read in this transaction (holder and epoch): the heartbeat above renews them all.
        kept = {lease.hall: lease.epoch for lease in plan.keep}
        for lease in plan.release:
            before_release(lease.hall)
            _alone(conn, partial(_update, conn, lease, holder=None, expires_at=now))
        for gone in sorted({lease.holder for lease in plan.take if lease.holder is not None} - live):
            ended = end_sessions(conn, gone)
            if ended:
                log.warning("instance %s lapsed: %d of its database sessions ended", gone, ended)
        gained = {
            lease.hall: lease.epoch + 1
            for lease in plan.take
            if _alone(conn, partial(_take, conn, lease, instance, now, expires))
        }
    return Outcome(plan, gained, kept, len(live))


def _alone(conn: Connection, change: Callable[[], bool]) -> bool:
    """One lease row's change in a savepoint: a lock wait past the timeout fails it alone (False)."""
    try:
        with conn.begin_nested():
            return change()
    except DBAPIError:
        log.warning("lease change not made this round (the hall's writes held its row)", exc_info=True)
        return False


def _update(conn: Connection, lease: Lease, **values: Any) -> bool:
    """Renew or hand back a lease still held as it was read (same holder, same epoch)."""
    statement = (
        update(_LEASE)
        .where(
            _LEASE.c.hall_id == lease.hall_id,
            _LEASE.c.holder == lease.holder,
            _LEASE.c.epoch == lease.epoch,
        )
        .values(**values)
    )
    return conn.execute(statement).rowcount == 1


def _take(conn: Connection, lease: Lease, instance: str, now: datetime, expires: datetime) -> bool:
    """Take a free or lapsed lease, if nobody took it since it was read; its epoch grows by one."""
    statement = (
        update(_LEASE)
        .where(
            _LEASE.c.hall_id == lease.hall_id,
            _LEASE.c.epoch == lease.epoch,
            or_(
                _LEASE.c.holder.is_(None),
                _LEASE.c.holder == instance,
                _LEASE.c.holder.not_in(select(_MEMBER.c.instance).where(_MEMBER.c.expires_at > now)),
            ),
        )
        .values(holder=instance, epoch=_LEASE.c.epoch + 1, expires_at=expires)
    )
    return conn.execute(statement).rowcount == 1


def release_all(engine: Engine, instance: str, held: Mapping[str, int]) -> None:
    """Hand back every lease held (an orderly stop): another instance takes them at its next round."""
    with engine.begin() as conn:
        now = db_now(conn)
        for hall, epoch in held.items():
            hall_id = select(col(Hall.id)).where(col(Hall.code) == hall).scalar_subquery()
            conn.execute(
                update(_LEASE)
                .where(_LEASE.c.hall_id == hall_id, _LEASE.c.holder == instance, _LEASE.c.epoch == epoch)
                .values(holder=None, expires_at=now)
            )
        conn.execute(_MEMBER.delete().where(_MEMBER.c.instance == instance))
