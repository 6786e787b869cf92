"""Running use cases: one transaction each, idempotent by request id, announcements after commit.

``Runner.write`` is the only place that begins a writing transaction. With a request id it first
looks for the stored reply (a duplicate gets it back, creating nothing), else claims the id by
inserting the request-log row before doing anything, and stores the reply in the same transaction as
the change. A concurrent duplicate blocks on that unique row (PostgreSQL) or on the write lock
(SQLite), then sees the committed reply: one ticket, one call, also across restarts (FIELD-NOTES).

Group commit. Writes queue up, and ONE writer thread per queue commits up to ``MAX_BATCH`` of them
in ONE transaction, then all replies go out. SQLite has one writer at a time anyway, so this is how
it takes hundreds of tickets a second: the fixed cost of a transaction (begin, the hall row, the
commit) is paid per batch, and the writers wait in Python, in order, not in SQLite's busy loop.
``write`` waits for its use case to be decided; ``write_async`` returns at once and the writer thread
hands the outcome to a callback (the MQTT bridge publishes its reply from there, so a hall's kiosks
do not hold a thread each while their tickets are committed). Each use case still decides alone,
with its own clock reading:

- ticket issues (``BATCHED_OPS``) run one after the other without savepoints (they refuse before
  writing anything, or give their number back), share a memo of what they read per hall (and the
  hall's kept reads, carried from batch to batch: see ``tx`` and ``KeptReads``), and their events,
  counter and request-log rows go in together at the end, one multi-row INSERT each. Their request
  id is claimed by their ticket's own unique (hall, request id) and then by that request-log row: a
  concurrent duplicate on another connection still stops on one of them;
- any other use case runs in a savepoint of its own (a refusal rolls back that one only), with its
  claim first, after the rows deferred before it are written.

A duplicate request id later in the same batch gets the earlier one's reply. Whatever the batch
cannot decide (a lost race, an unexpected error: the whole transaction is rolled back) runs again
alone, as before. Writes queue per database on SQLite and per hall on PostgreSQL (row locks let halls
proceed in parallel there). Under load a short batch of issues lingers up to ``LINGER_S`` for more.

After commit the calls are announced at once (in commit order), then the changed windows; the hall
state is built by :class:`HallStatePublisher`, coalesced.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, SQLModel

from queue_server.errors import HallqError
from queue_server.protocol.messages import ErrorCode, WindowState
from queue_server.services.lookup import hall_row
from queue_server.services.ports import Actor, Announcer
from queue_server.services.state import hall_state, window_state
from queue_server.services.tx import Deferred, Outbox, Tx
from queue_server.settings import Settings
from queue_server.store.engine import is_sqlite, reader
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Hall, RequestLog, Window

log = logging.getLogger(__name__)

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")
Clock = Callable[[], datetime]

# A transaction may lose a race (unique conflict, PostgreSQL deadlock, SQLite busy past its timeout);
# it is then run again from the start, a bounded number of times.
ATTEMPTS = 4

# The hall state is rebuilt at most this often under load: displays repaint from it, and the MQTT
# announcer publishes it at most every 50 ms anyway (a build more often would go unseen).
STATE_INTERVAL_S = 0.05

# Use cases committed together at most (the last one's reply waits for all of them).
MAX_BATCH = 16
# Under load, a batch of BATCHED_OPS waits this long at most for more of them (see GroupCommit._linger).
LINGER_S = 0.001
LINGER_STEP_S = 0.00025

# What issues read that no issue changes (Tx.kept) is carried from one batch to the next for this long
# at most, and dropped at once after any other write of the hall, which may change it: a change made
# outside this process (the hall file loaded again) shows within this time.
KEEP_S = 1.0

# Use cases a batch runs without a savepoint, sharing one memo (see Tx.memo) between consecutive
# ones. Their contract: a refusal (HallqError) leaves nothing written and the memo as it was; they
# change no row that another of them reads from the memo except through the memo; what they defer
# (Tx.defer) nobody reads back before the runner writes it.
BATCHED_OPS = frozenset({"ticket.issue"})


@dataclass(eq=False)
class _Write:
    """One use case on its way through the group commit, and its outcome."""

    hall: str
    op: str
    fn: Callable[[Tx], BaseModel]
    model: type[BaseModel]
    request_id: str | None
    device_id: str | None
    actor: Actor | None
    now: datetime
    result: BaseModel | None = None
    error: BaseException | None = None
    outbox: Outbox | None = None  # what the committed use case changed
    alone: bool = False  # the batch could not decide it: run it in a transaction of its own
    wake: threading.Event = field(default_factory=threading.Event)
    # write_async: called by the writer thread once decided, instead of waking a waiting caller.
    callback: Callable[[_Write], None] | None = None

    @property
    def decided(self) -> bool:
        return self.result is not None or self.error is not None or self.alone

    def reset(self) -> None:
        self.result = self.error = self.outbox = None


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
        self._hall_states = HallStatePublisher(self._announce_hall)
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
        item = _Write(hall, op, fn, model, request_id, device_id, actor, self.clock())
        if getattr(self._local, "committing", False):
            # A use case writing from inside a batch this thread commits: waiting for the group would
            # wait for ourselves. A transaction of its own, as before group commit.
            self._write_alone(item)
        else:
            self._commits.submit(self._key(hall), item)
            item.wake.wait()
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

        def decided(item: _Write) -> None:
            self._settle(item, inline=False)  # on the writer thread: the hall state is built elsewhere
            done(cast(R | None, item.result), item.error)

        item = _Write(hall, op, fn, model, request_id, device_id, actor, self.clock(), callback=decided)
        if getattr(self._local, "committing", False):
            self._write_alone(item)
            decided(item)
            return
        self._commits.submit(self._key(hall), item)

    def _key(self, hall: str) -> str:
        return "" if self._one_writer else hall

    def _settle(self, item: _Write, *, inline: bool = True) -> None:
        """After the batch: what it could not decide runs alone; then the windows and hall state."""
        if item.alone:
            item.reset()
            self._write_alone(item)
        if item.outbox is not None:
            self._announce_after_calls(item.hall, item.outbox, inline=inline)

    def announce(self, hall: str, outbox: Outbox) -> None:
        """Tell the announcers what the committed transaction changed; never raises.

        Calls go out first and at once (a display is waiting for them), then the changed windows; the
        hall state is left to :class:`HallStatePublisher` (built here when the hall is quiet, else by
        its background thread, coalesced).
        """
        self._announce_calls(hall, outbox)
        self._announce_after_calls(hall, outbox)

    # --- committing ----------------------------------------------------------------------------------

    def _commit_batch(self, items: list[_Write]) -> None:
        """The group's leader: commit ``items`` (one transaction when several), announce their calls."""
        self.batch_sizes[len(items)] += 1
        self._local.committing = True
        try:
            if len(items) == 1 and items[0].op not in BATCHED_OPS:
                self._write_alone(items[0])  # its claim first: see the module doc
                return
            try:
                self._write_together(items)
            except Exception:
                # Nothing of the batch was committed (the failure may be the commit itself).
                log.warning("a batch of %d writes failed; each runs alone", len(items), exc_info=True)
                for item in items:
                    item.reset()
                    item.alone = True
                return
            for item in items:
                if item.outbox is not None:
                    self._announce_calls(item.hall, item.outbox)
        finally:
            self._local.committing = False

    def _write_alone(self, item: _Write) -> None:
        """One use case in a transaction of its own, retried after a lost race; never raises."""
        try:
            item.result, item.outbox = self._transaction(item)
        except BaseException as exc:
            item.error = exc
            if not isinstance(exc, Exception):
                raise
        else:
            if item.outbox is not None:
                self._announce_calls(item.hall, item.outbox)
        finally:
            if item.op not in BATCHED_OPS:
                self._kept.drop(item.hall)  # it may have changed what issues keep

    def _transaction(self, item: _Write) -> tuple[BaseModel, Outbox | None]:
        request_id = item.request_id
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with Session(self.engine, expire_on_commit=False) as session, session.begin():
                    hall = hall_row(session.connection(), item.hall)
                    tx = self._tx(session, hall, item, {}, {})
                    if request_id is not None:
                        stored = _stored(tx.conn, tx.hall_id, request_id)
                        if stored is not None:
                            return _replay(stored, item.op, item.model), None
                    result = self._claimed(tx, item)
                return result, tx.outbox
            except IntegrityError:
                if request_id is not None:
                    with Session(self._reader) as session, session.begin():
                        hall_id = _id(hall_row(session.connection(), item.hall))
                        stored = _stored(session.connection(), hall_id, request_id)
                        if stored is not None:
                            return _replay(stored, item.op, item.model), None
                if attempt == ATTEMPTS:
                    raise HallqError(code=ErrorCode.CONFLICT) from None
            except OperationalError:
                # Deadlock victim or a lock wait that timed out: run the whole use case again.
                if attempt == ATTEMPTS:
                    raise
                log.warning("retrying %s after a lock conflict (attempt %d)", item.op, attempt)
        raise AssertionError("unreachable")

    def _write_together(self, items: list[_Write]) -> None:
        """Several use cases in ONE transaction (see the module doc); raises when it must be rolled back.

        The stored replies of all their request ids are read in one statement. A ``BATCHED_OPS`` use
        case runs without a savepoint (it leaves nothing behind when it refuses); its events, counter
        and request-log row wait in ``deferred`` and go in together (one multi-row INSERT per table).
        Any other use case runs in a savepoint with its claim first, after the deferred rows are
        written (it may read them).
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            conn = session.connection()
            halls: dict[str, Hall] = {}
            for code in dict.fromkeys(item.hall for item in items):
                try:
                    halls[code] = hall_row(conn, code)
                except HallqError as exc:
                    for item in items:
                        if item.hall == code:
                            item.error = exc
            replies = _stored_many(conn, halls, items)
            memos: dict[str, dict[Hashable, Any]] = {}  # per hall: its issues' memo
            kept: dict[str, tuple[float, dict[Hashable, Any]]] = {}  # per hall: KeptReads.take
            deferred: list[Deferred] = []
            for item in items:
                hall = halls.get(item.hall)
                if hall is None:
                    continue
                key = (_id(hall), item.request_id)
                if item.request_id is not None and key in replies:
                    # A retransmission, maybe of a request earlier in this very batch.
                    try:
                        item.result = _replay(replies[key], item.op, item.model)
                    except HallqError as exc:
                        item.error = exc
                    continue
                if item.op in BATCHED_OPS:
                    if item.hall not in kept:
                        kept[item.hall] = self._kept.take(item.hall)
                    tx = self._tx(session, hall, item, memos.setdefault(item.hall, {}), kept[item.hall][1])
                    tx.deferred = []
                    try:
                        result = item.fn(tx)
                    except HallqError as exc:
                        # Refused: nothing written, the memo as it was (the BATCHED_OPS contract).
                        item.error = exc
                        continue
                    deferred.extend(tx.deferred)
                else:
                    _write_deferred(conn, deferred)
                    memos.clear()
                    kept.pop(item.hall, None)  # it may change what issues keep
                    self._kept.drop(item.hall)
                    tx = self._tx(session, hall, item, {}, {})
                    savepoint = session.begin_nested()
                    try:
                        result = self._claimed(tx, item)
                    except HallqError as exc:
                        savepoint.rollback()
                        item.error = exc
                        continue
                    except Exception:
                        # A lost race (unique conflict, deadlock) or a bug: decided alone, with the
                        # retries and the error reporting of a transaction of its own.
                        log.info("%s left its batch", item.op, exc_info=True)
                        savepoint.rollback()
                        item.alone = True
                        continue
                    savepoint.commit()
                if item.request_id is not None:
                    reply = item.op, result.model_dump(mode="json")
                    replies[key] = reply
                    if item.op in BATCHED_OPS:
                        deferred.append((_CLAIM, _log_row(tx, item.request_id, *reply), None))
                item.result = result
                item.outbox = tx.outbox
            _write_deferred(conn, deferred)
        for code, (since, values) in kept.items():  # committed: good for the next batch
            self._kept.give_back(code, since, values)

    def _claimed(self, tx: Tx, item: _Write) -> BaseModel:
        """The use case with its request id claimed first and its reply stored (see the module doc)."""
        if item.request_id is not None:
            _claim(tx, item.request_id, item.op)
        result = item.fn(tx)
        if item.request_id is not None:
            _store(tx, item.request_id, result)
        return result

    def _tx(
        self,
        session: Session,
        hall: Hall,
        item: _Write,
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

    def _announce_calls(self, hall: str, outbox: Outbox) -> None:
        for call in outbox.calls:
            for announcer in self.announcers:
                _safely(announcer.call_made, hall, call)
        if outbox.calls and self.announcers:
            # The MQTT announcer only queues the call for paho's network thread, woken to send it; give
            # it the GIL now rather than after our window and hall states (a display is waiting).
            time.sleep(0)

    def _announce_after_calls(self, hall: str, outbox: Outbox, *, inline: bool = True) -> None:
        if not self.announcers or not (outbox.calls or outbox.windows or outbox.hall_changed):
            return
        if outbox.windows:
            try:
                windows = self.read(hall, lambda tx: _window_states(tx, outbox.windows))
            except Exception:
                log.exception("could not build the window states of hall %s", hall)
                windows = []
            for window in windows:
                for announcer in self.announcers:
                    _safely(announcer.window_changed, hall, window)
        self._hall_states.changed(hall, inline=inline)

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

    def _announce_hall(self, hall: str) -> None:
        try:
            state = self.read(hall, lambda tx: hall_state(tx, self.catalog_etag(tx)))
        except Exception:
            log.exception("could not build the state of hall %s", hall)
            return
        for announcer in self.announcers:
            _safely(announcer.hall_changed, hall, state)


class KeptReads:
    """Each hall's ``Tx.kept`` between batches of issues (see ``KEEP_S`` and the ``tx`` module doc).

    ``take`` hands a batch the hall's kept reads (empty once older than ``keep_s``) and forgets them:
    only a batch that committed gives them back, so a failed one cannot leave anything behind. Per hall
    code; the writer threads of different halls (PostgreSQL) touch different entries.
    """

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self.keep_s = keep_s
        self._halls: dict[str, tuple[float, dict[Hashable, Any]]] = {}

    def take(self, hall: str) -> tuple[float, dict[Hashable, Any]]:
        """(when they were first read, the reads) for a batch of ``hall``."""
        now = time.monotonic()
        since, values = self._halls.pop(hall, (now, {}))
        return (since, values) if now - since <= self.keep_s else (now, {})

    def give_back(self, hall: str, since: float, values: dict[Hashable, Any]) -> None:
        self._halls[hall] = (since, values)

    def drop(self, hall: str) -> None:
        self._halls.pop(hall, None)


@dataclass
class _Hall:
    busy: bool = False  # a build is running, or the background thread owns the hall
    dirty: bool = False  # a change committed since the running build began reading
    last: float = -math.inf  # monotonic end of the last build


class HallStatePublisher:
    """Rebuilds and announces a hall's state after changes, off the request path under load.

    The state is a dozen queries; rebuilding it after every ticket made each request pay for it. Now a
    change to a quiet hall is built at once by the thread that committed it (so a caller that acts and
    then looks sees its change: the tests, a console). A change made while a build is running only
    marks the hall dirty and returns; ONE background thread per hall then rebuilds, at most every
    ``interval`` seconds, each build including every change committed before it began, and exits once
    the hall has been quiet for an interval. A change reported from the services' writer thread
    (``inline=False``, an asynchronous write) always goes to that background thread: the writer must
    not stop committing to build it. Builds of a hall never overlap and each begins after the
    previous one ended, so a state is never announced after a newer one.
    """

    def __init__(self, build: Callable[[str], None], interval: float = STATE_INTERVAL_S) -> None:
        self._build = build
        self._interval = interval
        self._cond = threading.Condition()
        self._halls: dict[str, _Hall] = {}

    def changed(self, hall: str, *, inline: bool = True) -> None:
        """Build and announce the hall's state after a committed change (see the class doc); with
        ``inline`` False never in this thread (the services' writer thread must not pay for it)."""
        with self._cond:
            slot = self._halls.setdefault(hall, _Hall())
            if slot.busy:
                slot.dirty = True
                self._cond.notify_all()
                return
            slot.busy = True
            slot.dirty = not inline
        if not inline:
            self._start_background(hall, slot)
            return
        try:
            self._run(hall, slot)
        except BaseException:  # interrupted (Ctrl-C): nobody builds now, the next change does
            with self._cond:
                slot.busy = slot.dirty = False
                self._cond.notify_all()
            raise
        with self._cond:
            slot.last = time.monotonic()
            if not slot.dirty:
                slot.busy = False
                self._cond.notify_all()
                return
        self._start_background(hall, slot)

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: not any(s.busy or s.dirty for s in self._halls.values()), timeout
            )

    def _start_background(self, hall: str, slot: _Hall) -> None:
        thread = threading.Thread(
            target=self._background, args=(hall, slot), name=f"hallq-state-{hall}", daemon=True
        )
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: nobody is left to show it to
            with self._cond:
                slot.busy = slot.dirty = False
                self._cond.notify_all()

    def _background(self, hall: str, slot: _Hall) -> None:
        while True:
            with self._cond:
                # Linger one interval for more changes; a quiet hall goes back to building inline.
                while not slot.dirty:
                    remaining = slot.last + self._interval - time.monotonic()
                    if remaining <= 0:
                        slot.busy = False
                        self._cond.notify_all()
                        return
                    self._cond.wait(remaining)
                delay = slot.last + self._interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # changes arriving meanwhile fold into this build
            self._run(hall, slot)
            with self._cond:
                slot.last = time.monotonic()

    def _run(self, hall: str, slot: _Hall) -> None:
        with self._cond:
            slot.dirty = False  # cleared before reading: a change committed from now on builds again
        try:
            self._build(hall)
        except Exception:  # the build logs its own failures; this thread must survive anything
            log.exception("hall state of %s not announced", hall)


class GroupCommit:
    """One writer thread per key commits the key's queued writes in batches (see the module doc).

    ``submit`` queues a write and returns at once. The key's writer thread (started on demand, gone
    after ``IDLE_EXIT_S`` without work) takes up to ``max_batch`` queued writes, commits them, marks
    each decided and either calls its ``callback`` or wakes the thread waiting on it. A thread of its
    own rather than whichever caller came first: callers need not wait (``write_async``), and the
    thread that commits is always the same one, whatever the caller's thread is doing.
    """

    IDLE_EXIT_S = 5.0

    def __init__(
        self,
        commit: Callable[[list[_Write]], None],
        max_batch: int,
        *,
        lingers: Callable[[_Write], bool] = lambda _item: False,
        linger_s: float = 0.0,
    ) -> None:
        self._commit = commit
        self._max = max_batch
        self._lingers = lingers
        self._linger_s = linger_s
        self._cond = threading.Condition()
        self._queues: dict[str, deque[_Write]] = {}
        self._writers: set[str] = set()  # keys whose writer thread runs
        self._busy = 0  # writes taken from a queue and not yet decided
        self._last: dict[str, int] = {}  # the size of each key's last batch

    def submit(self, key: str, item: _Write) -> None:
        with self._cond:
            queue = self._queues.setdefault(key, deque())
            queue.append(item)
            if key in self._writers:
                self._cond.notify_all()
                return
            self._writers.add(key)
        thread = threading.Thread(target=self._write, args=(key, queue), name="hallq-writer", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # the interpreter is shutting down: this thread drains the queue itself
            self._write(key, queue, drain=True)

    def queued(self) -> int:
        with self._cond:
            return sum(len(queue) for queue in self._queues.values())

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted write is decided (its callback called)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0 and not any(self._queues.values()), timeout)

    def _write(self, key: str, queue: deque[_Write], *, drain: bool = False) -> None:
        """The key's writer: commit batches while there are writes; with ``drain``, stop once empty."""
        while True:
            with self._cond:
                if not queue and not drain:
                    self._cond.wait_for(lambda: bool(queue), self.IDLE_EXIT_S)
                if not queue:
                    self._writers.discard(key)
                    self._cond.notify_all()
                    return
            self._linger(key, queue)
            with self._cond:
                batch = [queue.popleft() for _ in range(min(self._max, len(queue)))]
                self._last[key] = len(batch)
                self._busy += len(batch)
            try:
                self._commit(batch)
            except Exception:  # a bug: the writes are decided alone below; this thread goes on
                log.exception("a batch of %d writes could not be committed", len(batch))
            finally:
                self._decided(batch)

    def _linger(self, key: str, queue: deque[_Write]) -> None:
        """Under load (the last batch was a group), let a short batch of lingering writes grow.

        A transaction costs more than a ticket in it, and under load more requests are a moment away
        (being decoded by the bridge's other threads): waiting for them a fraction of a millisecond
        buys fewer, fuller transactions. Alone (a console, a window agent) nobody waits.
        """
        waited = 0.0
        while (
            waited < self._linger_s
            and self._last.get(key, 0) > 1
            and 0 < len(queue) < self._max
            and self._lingers(queue[0])
        ):
            before = len(queue)
            time.sleep(LINGER_STEP_S)  # gives the GIL to the threads bringing the next writes
            waited += LINGER_STEP_S
            if len(queue) == before:
                return  # nothing more is coming

    def _decided(self, batch: list[_Write]) -> None:
        for written in batch:
            if not written.decided:  # the commit was interrupted: each tries alone
                written.alone = True
            if written.callback is None:
                written.wake.set()
                continue
            try:
                written.callback(written)
            except Exception:
                log.exception("the outcome of %s could not be delivered", written.op)
        with self._cond:
            self._busy -= len(batch)
            self._cond.notify_all()


def _window_states(tx: Tx, window_ids: set[int]) -> list[WindowState]:
    rows = (tx.session.get(Window, wid) for wid in sorted(window_ids))
    return [window_state(tx, w) for w in rows if w is not None]


def _safely(method: Callable[..., None], *args: object) -> None:
    try:
        method(*args)
    except Exception:
        log.exception("announcer %r failed", method)


def _stored(conn: Connection, hall_id: int, request_id: str) -> tuple[str, Any] | None:
    row = _STORED.first(conn, {"hall_id": hall_id, "request_id": request_id})
    return None if row is None else (row[0], row[1])


def _claim(tx: Tx, request_id: str, op: str) -> None:
    # The unique (hall, request id) row: a concurrent duplicate stops here.
    _CLAIM.run(tx.conn, _log_row(tx, request_id, op, {}))


def _store(tx: Tx, request_id: str, result: BaseModel) -> None:
    response = result.model_dump(mode="json")
    _STORE.run(tx.conn, {"b_hall_id": tx.hall_id, "b_request_id": request_id, "b_response": response})


def _stored_many(
    conn: Connection, halls: dict[str, Hall], items: list[_Write]
) -> dict[tuple[int, str | None], tuple[str, Any]]:
    """The stored replies of the request ids of ``items``, keyed by (hall id, request id).

    One key lookup each: on the driver's cursor that costs less than building one ``IN`` query."""
    found: dict[tuple[int, str | None], tuple[str, Any]] = {}
    for item in items:
        hall = halls.get(item.hall)
        if hall is not None and item.request_id is not None:
            stored = _stored(conn, _id(hall), item.request_id)
            if stored is not None:
                found[(_id(hall), item.request_id)] = stored
    return found


def _log_row(tx: Tx, request_id: str, op: str, response: Any) -> dict[str, Any]:
    return {
        "hall_id": tx.hall_id,
        "request_id": request_id,
        "device_id": tx.device_id or "",
        "op": op,
        "response": response,
        "ts": tx.now,
    }


def _write_deferred(conn: Connection, deferred: list[Deferred]) -> None:
    """Execute the deferred writes: one statement execution per statement for all their rows.

    The driver's ``executemany``: one C loop over the rows for SQLite, one pipeline (one round trip)
    for psycopg. For a write deferred with a key, only the last one of that key is made (a counter set
    several times in a batch).
    """
    if not deferred:
        return
    grouped: dict[Prepared, dict[Hashable, dict[str, Any]]] = {}
    for index, (statement, params, key) in enumerate(deferred):
        grouped.setdefault(statement, {})[index if key is None else key] = params
    for statement, rows in grouped.items():
        statement.run_many(conn, rows.values())
    deferred.clear()


def _replay(stored: tuple[str, Any], op: str, model: type[R]) -> R:
    stored_op, response = stored
    if stored_op != op:
        raise HallqError("该请求编号已用于其他操作。", code=ErrorCode.CONFLICT, op=stored_op)
    return model.model_validate(response)


def _id(hall: Hall) -> int:
    assert hall.id is not None
    return hall.id


_LOG: sa.Table = SQLModel.metadata.tables[RequestLog.__tablename__]
_STORED = Prepared(
    sa.select(_LOG.c.op, _LOG.c.response).where(
        _LOG.c.hall_id == sa.bindparam("hall_id"), _LOG.c.request_id == sa.bindparam("request_id")
    )
)
_CLAIM = Prepared(sa.insert(_LOG))
# (Bound parameter names must differ from the column names in an UPDATE.)
_STORE = Prepared(
    sa.update(_LOG)
    .where(_LOG.c.hall_id == sa.bindparam("b_hall_id"), _LOG.c.request_id == sa.bindparam("b_request_id"))
    .values(response=sa.bindparam("b_response"))
)
