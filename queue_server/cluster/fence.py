"""The fencing check: a write for a hall commits only while this instance holds the hall's lease.

The runner calls :meth:`Fence.check` once per transaction for each hall it writes (the group
commit's batch: once per hall per batch), after the hall row is read. The check reads the lease row
``FOR SHARE`` on PostgreSQL, so a takeover (an ``UPDATE`` of that row) waits until the write has
committed, and a write that starts after the takeover sees the new epoch and is refused: a paused
instance that wakes after its halls moved cannot write for them, whatever its own clock and thread
order say. SQLite has one writer at a time: the plain read is enough.

A paused process keeps its open transaction, and with it that share lock, which the instance taking
the hall over must wait for. So on PostgreSQL the same statement sets the transaction's
``idle_in_transaction_session_timeout`` (``set_config(…, true)``: this transaction only) below the
lease's ttl: the server ends a frozen writer's session, rolling its write back, before the lease can
lapse, and a takeover never waits for a process that may never wake. Reads are not limited.

A refusal is ``unavailable`` (a device retries with the same request id and reaches the holder).
The refused hall is dropped from this instance's view at once, so the MQTT door sends no reply for
it: the holder answers the retry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import overload

from sqlalchemy import Connection, bindparam, func, select
from sqlmodel import col

from queue_server.errors import UnavailableError
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Hall, HallLease

log = logging.getLogger(__name__)

_HELD = (col(HallLease.hall_id) == bindparam("hall_id"), col(HallLease.holder) == bindparam("holder"))
_LEASE_EPOCH = Prepared(select(col(HallLease.epoch)).where(*_HELD).with_for_update(read=True))
_LEASE_EPOCH_PG = Prepared(
    select(
        col(HallLease.epoch),
        func.set_config("idle_in_transaction_session_timeout", bindparam("idle_ms"), True),
    )
    .where(*_HELD)
    .with_for_update(read=True)
)


class Fence:
    """The halls this instance holds, each with its epoch; the check the runner makes per write."""

    def __init__(self, instance: str, idle_s: float = 3.0) -> None:
        self.instance = instance
        self._idle_ms = str(int(idle_s * 1000))  # see the module doc
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()
        # Told the hall whose write was refused (the keeper runs a round at once).
        self.fenced: list[Callable[[str], None]] = []

    def held(self) -> dict[str, int]:
        """Hall code → epoch, a copy."""
        with self._lock:
            return dict(self._held)

    def holds(self, hall: str) -> bool:
        return hall in self._held

    def grant(self, hall: str, epoch: int) -> None:
        with self._lock:
            self._held[hall] = epoch

    def revoke(self, hall: str) -> bool:
        """Stop writing for ``hall``; False when it was not held."""
        with self._lock:
            return self._held.pop(hall, None) is not None

    def check(self, conn: Connection, hall: Hall) -> None:
        """Raise ``unavailable`` unless the hall's lease names this instance with the epoch held."""
        epoch = self._held.get(hall.code)
        if epoch is not None:
            params = {"hall_id": hall.id, "holder": self.instance}
            if conn.dialect.name == "postgresql":
                stored = _LEASE_EPOCH_PG.scalar(conn, params | {"idle_ms": self._idle_ms})
            else:
                stored = _LEASE_EPOCH.scalar(conn, params)
            if stored == epoch:
                return
            log.warning(
                "hall %s: epoch %s is stale (lease: %s); its write is refused", hall.code, epoch, stored
            )
            if self.revoke(hall.code):
                for listener in self.fenced:
                    listener(hall.code)
        raise UnavailableError(reason="hall_not_served", hall=hall.code, instance=self.instance)


class HeldHalls(Sequence[str]):
    """The codes of the halls a fence holds now, as a sequence (what supervision's ``start`` takes)."""

    def __init__(self, fence: Fence) -> None:
        self._fence = fence

    def _codes(self) -> list[str]:
        return sorted(self._fence.held())

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._codes()[index]

    def __len__(self) -> int:
        return len(self._fence.held())

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes())
