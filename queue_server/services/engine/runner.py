"""Running use cases: one transaction each, idempotent by request id, announcements after commit.

``Runner.write`` is the only place that begins a writing transaction. With a request id it first
looks for the stored reply (a duplicate gets it back, creating nothing), else claims the id by
inserting the request-log row before doing anything, and stores the reply in the same transaction as
the change. A concurrent duplicate blocks on that unique row (PostgreSQL) or on the write lock
(SQLite), then sees the committed reply: one ticket, one call, also across restarts
(docs/design/FIELD-NOTES.md).

Group commit (``group_commit.py``). Writes queue up, and ONE writer thread per queue commits up to
``MAX_BATCH`` of them in ONE transaction (``batch.py``), then all replies go out. ``write`` waits for
its use case to be decided; ``write_async`` returns at once and the writer thread hands the outcome to
a callback (the MQTT bridge publishes its reply from there, so a hall's kiosks do not hold a thread
each while their tickets are committed). Each use case still decides alone, with its own clock
reading. Whatever the batch cannot decide (a lost race, an unexpected error: the whole transaction is
rolled back) runs again alone, here (``_write_alone``), with retries; a database that did not answer
in time answers every write of the batch ``unavailable`` at once instead.

After commit the calls are announced at once (in commit order), then the changed windows; the hall
state is built by :class:`HallStatePublisher` (``hall_state.py``), coalesced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from queue_server.errors import HallqError, UnavailableError
from queue_server.protocol.messages import ErrorCode, HallState, WindowOpResult, WindowState
from queue_server.services.engine.batch import BATCHED_OPS, write_together
from queue_server.services.engine.group_commit import LINGER_S, MAX_BATCH, GroupCommit, Write
from queue_server.services.engine.hall_state import HallStatePublisher
from queue_server.services.engine.kept import KeptReads
from queue_server.services.engine.lookup import hall_row
from queue_server.services.engine.request_log import (
    CLAIM,
    claim,
    fingerprint_of,
    kept_refusal,
    refusal_row,
    replay,
    scope_of,
    store_reply,
    stored_reply,
)
from queue_server.services.engine.tx import Changes, Tx, pk
from queue_server.services.ports import Actor, Announcer
from queue_server.services.views.snapshots import hall_state, window_state
from queue_server.settings import Settings
from queue_server.store.engine import is_sqlite, reader
from queue_server.store.tables import Hall, Window

log = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
Clock = Callable[[], datetime]

# A transaction may lose a race (unique conflict, PostgreSQL deadlock, SQLite busy past its timeout);
# it is then run again from the start, a bounded number of times.
ATTEMPTS = 4


class Runner:
    def __init__(
        self, engine: Engine, settings: Settings, clock: Clock, announcers: Iterable[Announcer] = ()
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.announcers: Sequence[Announcer] = tuple(announcers)
        self._reader = reader(engine)
        self.catalog_etag: Callable[[Tx], str] = lambda _tx: ""
        # The city topology's fencing check (queue_server/cluster/fence.py), made once per transaction
        # and hall before any write: raises unless this instance still holds the hall's lease.
        self.fence: Callable[[Connection, Hall], None] | None = None
        self._hall_states = HallStatePublisher(self._announce_hall)
        # Told ``(hall, use case)`` after each write is decided without a refusal (supervision
        # evaluates the hall's rules after its changes); must be quick and must not write.
        self.committed: list[Callable[[str, str], None]] = []
        self._commits = GroupCommit(
            self._commit_batch, MAX_BATCH, lingers=lambda item: item.op in BATCHED_OPS, linger_s=LINGER_S
        )
        # Writes per committed group (1: alone): for the benchmark's figures and the tests.
        self.batch_sizes: Counter[int] = Counter()
        self._one_writer = is_sqlite(engine)
        self._local = threading.local()
        self._kept = KeptReads()

    def read(self, hall: str, fn: Callable[[Tx], T]) -> T:
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            tx = Tx(session, hall_row(session.connection(), hall), self.clock(), self.settings)
            return fn(tx)

    def write(
        self,
        hall: str,
        op: str,
        fn: Callable[[Tx], R],
        model: type[R],
        *,
        request_id: str | None,
        device_id: str | None = None,
        actor: Actor | None = None,
    ) -> R:
        """Run the use case (group-committed) and return its reply; raises its refusal."""
        item = _keyed(Write(hall, op, fn, model, request_id, device_id, actor, self.clock()))
        if getattr(self._local, "committing", False):
            # A use case writing from inside a batch this thread commits: waiting for the group would
            # wait for ourselves. A transaction of its own, as before group commit.
            self._write_alone(item)
        else:
            wake = item.wake = threading.Event()
            self._commits.submit(self._key(hall), item)
            wake.wait()
        self._settle(item)
        if item.error is not None:
            raise item.error
        return cast(R, item.result)

    def write_async(
        self,
        hall: str,
        op: str,
        fn: Callable[[Tx], R],
        model: type[R],
        done: Callable[[R | None, BaseException | None], None],
        *,
        request_id: str | None,
        device_id: str | None = None,
        actor: Actor | None = None,
    ) -> None:
        """Queue the use case and return at once; ``done(reply, None)`` or ``done(None, refusal)``
        follows on the writer thread, after the commit. ``done`` must be quick and must not write."""

        def decided(item: Write) -> None:
            self._settle(item, inline=False)  # on the writer thread: the hall state is built elsewhere
            done(cast("R | None", item.result), item.error)

        item = _keyed(
            Write(hall, op, fn, model, request_id, device_id, actor, self.clock(), callback=decided)
        )
        if getattr(self._local, "committing", False):
            self._write_alone(item)
            decided(item)
            return
        self._commits.submit(self._key(hall), item)

    def _key(self, hall: str) -> str:
        return "" if self._one_writer else hall

    def _settle(self, item: Write, *, inline: bool = True) -> None:
        """After the batch: what it could not decide runs alone; then the windows and hall state."""
        if item.alone:
            item.reset()
            self._write_alone(item)
        if item.changes is not None:
            self._announce_after_calls(item.hall, item.changes, inline=inline, result=item.result)
        if item.error is None:
            for listener in self.committed:
                _safely(listener, item.hall, item.op)

    def announce(self, hall: str, changes: Changes) -> None:
        """Tell the announcers what the committed transaction changed; never raises.

        Calls go out first and at once (a display is waiting for them), then the changed windows; the
        hall state is left to :class:`HallStatePublisher` (built here when the hall is quiet, else by
        its background thread, coalesced).
        """
        self._announce_calls(hall, changes)
        self._announce_after_calls(hall, changes)

    # --- committing ----------------------------------------------------------------------------------

    def _commit_batch(self, items: list[Write]) -> None:
        """The group's leader: commit ``items`` (one transaction when several), announce their calls."""
        self.batch_sizes[len(items)] += 1
        self._local.committing = True
        try:
            if len(items) == 1 and items[0].op not in BATCHED_OPS:
                self._write_alone(items[0])  # its claim first: see the module doc
                return
            try:
                write_together(self.engine, items, self._kept, self._tx, self._claimed, self.fence)
            except UnavailableError as exc:
                # The database did not answer in time: alone, each would wait as long again, one after
                # the other (a partition held a batch of 16 for 16 deadlines). Each gets the answer now;
                # a retry with the same request id is safe whatever the commit did.
                log.warning("a batch of %d writes: the database is unavailable", len(items))
                for item in items:
                    item.reset()
                    item.error = exc
                return
            except Exception:
                # Nothing of the batch was committed (the failure may be the commit itself).
                log.warning("a batch of %d writes failed; each runs alone", len(items), exc_info=True)
                for item in items:
                    item.reset()
                    item.alone = True
                return
            for item in items:
                if item.changes is not None:
                    self._announce_calls(item.hall, item.changes)
        finally:
            self._local.committing = False

    def _write_alone(self, item: Write) -> None:
        """One use case in a transaction of its own, retried after a lost race; never raises."""
        try:
            item.result, item.changes = self._transaction(item)
        except BaseException as exc:
            item.error = exc
            if not isinstance(exc, Exception):
                raise
        else:
            if item.changes is not None:
                self._announce_calls(item.hall, item.changes)
        finally:
            if item.op not in BATCHED_OPS:
                self._kept.drop(item.hall)  # it may have changed what issues keep

    def _transaction(self, item: Write) -> tuple[BaseModel, Changes | None]:
        request_id = item.request_id
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._attempt(item)
            except _KeptRefusalError as refused:
                self._keep_refusal(item, refused.error)
                raise refused.error from None
            except OperationalError:
                # Deadlock victim or a lock wait that timed out: run the whole use case again.
                if attempt == ATTEMPTS:
                    raise
                log.warning("retrying %s after a lock conflict (attempt %d)", item.op, attempt)
            except Exception as exc:
                if not _integrity_error(exc):
                    raise
                if request_id is not None:
                    with Session(self._reader) as session, session.begin():
                        hall_id = pk(hall_row(session.connection(), item.hall))
                        stored = stored_reply(session.connection(), hall_id, item)
                        if stored is not None:
                            return replay(stored, item, item.model), None
                if attempt == ATTEMPTS:
                    raise HallqError(code=ErrorCode.CONFLICT) from None
        raise AssertionError("unreachable")

    def _attempt(self, item: Write) -> tuple[BaseModel, Changes | None]:
        """One try of ``_transaction``: the stored answer, or the use case with its claim."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            hall = hall_row(session.connection(), item.hall)
            if self.fence is not None:
                self.fence(session.connection(), hall)
            tx = self._tx(session, hall, item, {}, {})
            if item.request_id is not None:
                stored = stored_reply(tx.conn, tx.hall_id, item)
                if stored is not None:
                    return replay(stored, item, item.model), None
            try:
                result = self._claimed(tx, item)
            except HallqError as exc:
                if item.request_id is None or not kept_refusal(exc):
                    raise
                raise _KeptRefusalError(exc) from exc  # out of the transaction: rolled back
        return result, tx.changes

    def _keep_refusal(self, item: Write, refusal: HallqError) -> None:
        """A refused use case's answer kept under its request id (``request_log.kept_refusal``), in a
        transaction of its own: the refused one was rolled back with whatever it had written. The
        refusal is the answer either way: a failure here is logged, never raised."""
        try:
            with Session(self.engine) as session, session.begin():
                hall = hall_row(session.connection(), item.hall)
                if self.fence is not None:
                    self.fence(session.connection(), hall)
                CLAIM.run(session.connection(), refusal_row(pk(hall), item, refusal))
        except Exception as exc:
            if not _integrity_error(exc):  # else a duplicate was answered meanwhile: its answer stands
                log.warning("the refusal of %s %s was not kept", item.op, item.request_id, exc_info=True)

    def _claimed(self, tx: Tx, item: Write) -> BaseModel:
        """The use case with its request id claimed first and its reply stored (see the module doc)."""
        if item.request_id is not None:
            claim(tx, item)
        result = item.fn(tx)
        if item.request_id is not None:
            store_reply(tx, item, result)
        return result

    def _tx(
        self,
        session: Session,
        hall: Hall,
        item: Write,
        memo: dict[Hashable, Any],
        kept: dict[Hashable, Any],
    ) -> Tx:
        return Tx(
            session,
            hall,
            item.now,
            self.settings,
            item.request_id,
            item.device_id,
            item.actor,
            memo=memo,
            kept=kept,
        )

    # --- announcing ----------------------------------------------------------------------------------

    def _announce_calls(self, hall: str, changes: Changes) -> None:
        for call in changes.calls:
            for announcer in self.announcers:
                _safely(announcer.call_made, hall, call)
        if changes.calls and self.announcers:
            # The MQTT announcer only queues the call for paho's network thread, woken to send it; give
            # it the GIL now rather than after our window and hall states (a display is waiting).
            time.sleep(0)

    def _announce_after_calls(
        self, hall: str, changes: Changes, *, inline: bool = True, result: BaseModel | None = None
    ) -> None:
        if not self.announcers or not (changes.calls or changes.windows or changes.hall_changed):
            return
        if not inline:
            # The writer thread (an asynchronous write: a window agent's call) reads nothing more. The
            # op's own window goes out now, as its transaction left it (the reply carries that state
            # too), so its retained state is current before the reply is sent, as after a synchronous
            # write; any other window changed is built with the hall's state, in that state's thread.
            # Not the op's own again: a build read before this commit but stamped after it (its ts
            # is the read's clock, the op's the time it was asked) would replace it with the state
            # before.
            others = changes.windows
            if isinstance(result, WindowOpResult):
                for announcer in self.announcers:
                    _safely(announcer.window_changed, hall, result.window)
                own = result.window.window
                others = {w for w in others if changes.numbers.get(w) != own}
            self._hall_states.changed(hall, windows=others, inline=False)
            return
        if changes.windows:
            try:
                windows = self.read(hall, lambda tx: _window_states(tx, changes.windows))
            except Exception:
                log.exception("could not build the window states of hall %s", hall)
                windows = []
            for window in windows:
                for announcer in self.announcers:
                    _safely(announcer.window_changed, hall, window)
        self._hall_states.changed(hall)

    def queued(self) -> int:
        """Writes waiting for a committing thread (tests use it to build a batch on purpose)."""
        return self._commits.queued()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is decided and every hall state owed to a committed change
        has been announced (tests, shutdown)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._commits.wait_idle(timeout):
            return False
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        return self._hall_states.wait_idle(left)

    def _announce_hall(self, hall: str, window_ids: frozenset[int]) -> None:
        """The states of the changed windows and of the hall, read in one transaction, announced in
        that order (a window's display first)."""

        def build(tx: Tx) -> tuple[list[WindowState], HallState]:
            return _window_states(tx, set(window_ids)), hall_state(tx, self.catalog_etag(tx))

        try:
            windows, state = self.read(hall, build)
        except Exception:
            log.exception("could not build the state of hall %s", hall)
            return
        for window in windows:
            for announcer in self.announcers:
                _safely(announcer.window_changed, hall, window)
        for announcer in self.announcers:
            _safely(announcer.hall_changed, hall, state)


class _KeptRefusalError(Exception):
    """A use case's kept refusal on its way out of the transaction it rolls back (a carrier: what
    the caller gets is ``error``)."""

    def __init__(self, error: HallqError) -> None:
        super().__init__(str(error))
        self.error = error


def _integrity_error(exc: BaseException) -> bool:
    """A unique or foreign-key conflict: SQLAlchemy's (``store/prepared.py`` raises the driver's errors
    as SQLAlchemy's too), or a driver's own, known by its PEP 249 name."""
    return isinstance(exc, IntegrityError) or any(k.__name__ == "IntegrityError" for k in type(exc).__mro__)


def _keyed(item: Write) -> Write:
    """The write with the scope and argument hash of its request id (``request_log.py``)."""
    item.scope = scope_of(item.device_id, item.actor)
    item.fingerprint = fingerprint_of(item.request_id)
    return item


def _window_states(tx: Tx, window_ids: set[int]) -> list[WindowState]:
    rows = (tx.session.get(Window, wid) for wid in sorted(window_ids))
    return [window_state(tx, w) for w in rows if w is not None]


def _safely(method: Callable[..., None], *args: object) -> None:
    try:
        method(*args)
    except Exception:
        log.exception("announcer %r failed", method)
