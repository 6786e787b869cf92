"""Several use cases committed in ONE transaction: the group commit's batch (see ``runner.py``).

The stored replies of all their request ids are read first. A ``BATCHED_OPS`` use case (a ticket
issue) runs without a savepoint: it refuses before writing anything, shares a memo of what it read
with the issues before it, and its events, counter and request-log rows wait in ``deferred`` to go in
together (one multi-row INSERT per table); on PostgreSQL its ticket row too when nothing reads it
back in the transaction, its id drawn ahead from the sequence for the whole batch (``Tx.ticket_ids``).
Any other use case runs in a savepoint of its own with its claim first, after the deferred rows are
written (it may read them). A duplicate request id later in the batch gets the earlier one's reply.
What the batch cannot decide (a lost race, a bug) is marked ``alone``: the runner runs it again in a
transaction of its own.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, Engine
from sqlmodel import Session

from queue_server.errors import DatabaseUnavailableError, HallqError
from queue_server.services.engine.group_commit import Write
from queue_server.services.engine.kept import KeptReads
from queue_server.services.engine.lookup import hall_row
from queue_server.services.engine.request_log import (
    CLAIM,
    Stored,
    StoredKey,
    kept_refusal,
    key_of,
    log_row,
    refusal_row,
    replay,
    stored_replies,
)
from queue_server.services.engine.tx import Deferred, Tx, pk
from queue_server.services.usecases import UseCase
from queue_server.store.counters import sequence_ids
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Hall

log = logging.getLogger(__name__)

# Use cases a batch runs without a savepoint, sharing one memo (see Tx.memo) between consecutive
# ones. Their contract: a refusal (HallqError) leaves nothing written and the memo as it was; they
# change no row that another of them reads from the memo except through the memo; what they defer
# (Tx.defer) nobody reads back before the runner writes it.
BATCHED_OPS = frozenset({UseCase.ISSUE_TICKET})

MakeTx = Callable[[Session, Hall, Write, dict[Hashable, Any], dict[Hashable, Any]], Tx]
Claimed = Callable[[Tx, Write], BaseModel]
Fence = Callable[[Connection, Hall], None]


@dataclass
class _Batch:
    """The state of one batch's transaction."""

    session: Session
    kept_reads: KeptReads
    make_tx: MakeTx
    claimed: Claimed
    fence: Fence | None = None
    halls: dict[str, Hall] = field(default_factory=dict)
    replies: dict[StoredKey, Stored] = field(default_factory=dict)
    memos: dict[str, dict[Hashable, Any]] = field(default_factory=dict)  # per hall: its issues' memo
    kept: dict[str, tuple[float, dict[Hashable, Any]]] = field(default_factory=dict)  # KeptReads.take
    deferred: list[Deferred] = field(default_factory=list)
    # PostgreSQL: ticket ids drawn from the sequence for the issues of this batch (``Tx.ticket_ids``).
    sequence_ids: bool = False
    issues_left: int = 0  # BATCHED_OPS items not yet reached
    ticket_ids: deque[int] = field(default_factory=deque)

    @property
    def conn(self) -> Connection:
        return self.session.connection()

    def load_halls(self, items: list[Write]) -> None:
        for code in dict.fromkeys(item.hall for item in items):
            try:
                hall = hall_row(self.conn, code)
                if self.fence is not None:  # once per hall and batch (cluster/fence.py)
                    self.fence(self.conn, hall)
                self.halls[code] = hall
            except DatabaseUnavailableError:
                raise  # not a refusal of this item: the batch's transaction is lost
            except HallqError as exc:
                for item in items:
                    if item.hall == code:
                        item.error = exc
        self.replies = stored_replies(self.conn, self.halls, items)

    def decide(self, item: Write) -> None:
        if item.op in BATCHED_OPS:
            self.issues_left -= 1
        hall = self.halls.get(item.hall)
        if hall is None:
            return
        key = key_of(pk(hall), item)
        if item.request_id is not None and key in self.replies:
            # A retransmission, maybe of a request earlier in this very batch.
            try:
                item.result = replay(self.replies[key], item, item.model)
            except HallqError as exc:
                item.error = exc
            return
        run = self._batched if item.op in BATCHED_OPS else self._in_savepoint
        decided = run(item, hall)
        if decided is None:
            if item.request_id is not None and kept_refusal(item.error):
                # Refused: its savepoint or its issue wrote nothing; its answer is kept all the same.
                row = refusal_row(pk(hall), item, item.error)
                self.deferred.append((CLAIM, row, None))
                self.replies[key] = (item.op, item.fingerprint, row["response"])
            return
        tx, result = decided
        if item.request_id is not None:
            response = result.model_dump(mode="json")
            self.replies[key] = (item.op, item.fingerprint, response)
            if item.op in BATCHED_OPS:
                self.deferred.append((CLAIM, log_row(tx.hall_id, item, response), None))
        item.result = result
        item.changes = tx.changes

    def _batched(self, item: Write, hall: Hall) -> tuple[Tx, BaseModel] | None:
        if item.hall not in self.kept:
            self.kept[item.hall] = self.kept_reads.take(item.hall)
        memo = self.memos.setdefault(item.hall, {})
        tx = self.make_tx(self.session, hall, item, memo, self.kept[item.hall][1])
        tx.deferred = []
        if self.sequence_ids:
            tx.ticket_ids = self._next_ticket_id
        try:
            result = item.fn(tx)
        except DatabaseUnavailableError:
            raise  # not a refusal of this item: the batch's transaction is lost
        except HallqError as exc:
            # Refused: nothing written, the memo as it was (the BATCHED_OPS contract).
            item.error = exc
            return None
        self.deferred.extend(tx.deferred)
        return tx, result

    def _next_ticket_id(self) -> int:
        """The next ticket id: enough for this issue and every one after it in the batch, in one
        round trip (an issue refused or replayed later leaves a gap, as a rollback does)."""
        if not self.ticket_ids:
            self.ticket_ids.extend(sequence_ids(self.conn, "ticket", "id", self.issues_left + 1))
        return self.ticket_ids.popleft()

    def _in_savepoint(self, item: Write, hall: Hall) -> tuple[Tx, BaseModel] | None:
        write_deferred(self.conn, self.deferred)
        self.memos.clear()
        self.kept.pop(item.hall, None)  # it may change what issues keep
        self.kept_reads.drop(item.hall)
        tx = self.make_tx(self.session, hall, item, {}, {})
        savepoint = self.session.begin_nested()
        try:
            result = self.claimed(tx, item)
        except DatabaseUnavailableError:
            raise  # not a refusal of this item: the batch's transaction is lost
        except HallqError as exc:
            savepoint.rollback()
            item.error = exc
            return None
        except Exception:
            # A lost race (unique conflict, deadlock) or a bug: decided alone, with the retries and
            # the error reporting of a transaction of its own.
            log.info("%s left its batch", item.op, exc_info=True)
            savepoint.rollback()
            item.alone = True
            return None
        savepoint.commit()
        return tx, result


def write_together(
    engine: Engine,
    items: list[Write],
    kept_reads: KeptReads,
    make_tx: MakeTx,
    claimed: Claimed,
    fence: Fence | None = None,
) -> None:
    """Decide ``items`` in one transaction (see the module doc); raises when it must be rolled back."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        batch = _Batch(session, kept_reads, make_tx, claimed, fence)
        batch.sequence_ids = session.get_bind().dialect.name == "postgresql"
        batch.issues_left = sum(1 for item in items if item.op in BATCHED_OPS)
        batch.load_halls(items)
        for item in items:
            batch.decide(item)
        write_deferred(batch.conn, batch.deferred)
    for code, (since, values) in batch.kept.items():  # committed: good for the next batch
        kept_reads.give_back(code, since, values)


def write_deferred(conn: Connection, deferred: list[Deferred]) -> None:
    """Execute the deferred writes: one statement execution per statement for all their rows.

    The driver's ``executemany``: one C loop over the rows for SQLite, one pipeline (one round trip)
    for psycopg. For a write deferred with a key, only the last one of that key is made (a counter set
    several times in a batch). Statements go in by ``Prepared.rank`` (tickets before their events),
    then in the order first deferred.
    """
    if not deferred:
        return
    grouped: dict[Prepared, dict[Hashable, dict[str, Any]]] = {}
    for index, (statement, params, key) in enumerate(deferred):
        grouped.setdefault(statement, {})[index if key is None else key] = params
    for statement, rows in sorted(grouped.items(), key=lambda group: group[0].rank):  # stable
        statement.run_many(conn, rows.values())
    deferred.clear()
