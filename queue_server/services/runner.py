"""Running use cases: one transaction each, idempotent by request id, announcements after commit.

``Runner.write`` is the only place that begins a writing transaction. With a request id it first
looks for the stored reply (a duplicate gets it back, creating nothing), else claims the id by
inserting the request-log row before doing anything, and stores the reply in the same transaction as
the change. A concurrent duplicate blocks on that unique row (PostgreSQL) or on the write lock
(SQLite), then sees the committed reply: one ticket, one call, also across restarts (FIELD-NOTES).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from queue_server.errors import HallqError
from queue_server.protocol.messages import ErrorCode, WindowState
from queue_server.services.lookup import hall_by_code
from queue_server.services.ports import Actor, Announcer
from queue_server.services.state import hall_state, window_state
from queue_server.services.tx import Outbox, Tx, pk
from queue_server.settings import Settings
from queue_server.store.engine import reader
from queue_server.store.tables import RequestLog, Window

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
        self._hall_states = Coalescer()

    def read(self, hall: str, fn: Callable[[Tx], T]) -> T:
        with Session(self._reader, expire_on_commit=False) as session, session.begin():
            tx = Tx(session, hall_by_code(session, hall), self.clock(), self.settings)
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
        now = self.clock()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with Session(self.engine, expire_on_commit=False) as session, session.begin():
                    tx = Tx(
                        session, hall_by_code(session, hall), now, self.settings, request_id, device_id, actor
                    )
                    entry = None
                    if request_id is not None:
                        stored = _stored(session, tx.hall_id, request_id)
                        if stored is not None:
                            return _replay(stored, op, model)
                        entry = _claim(tx, request_id, op)
                    result = fn(tx)
                    if entry is not None:
                        entry.response = result.model_dump(mode="json")
                self.announce(hall, tx.outbox)
                return result
            except IntegrityError:
                if request_id is not None:
                    with Session(self._reader) as session, session.begin():
                        hall_row = hall_by_code(session, hall)
                        stored = _stored(session, pk(hall_row), request_id)
                        if stored is not None:
                            return _replay(stored, op, model)
                if attempt == ATTEMPTS:
                    raise HallqError(code=ErrorCode.CONFLICT) from None
            except OperationalError:
                # Deadlock victim or a lock wait that timed out: run the whole use case again.
                if attempt == ATTEMPTS:
                    raise
                log.warning("retrying %s after a lock conflict (attempt %d)", op, attempt)
        raise AssertionError("unreachable")

    def announce(self, hall: str, outbox: Outbox) -> None:
        """Tell the announcers what the committed transaction changed; never raises."""
        if not self.announcers or not (outbox.calls or outbox.windows or outbox.hall_changed):
            return
        for call in outbox.calls:
            for announcer in self.announcers:
                _safely(announcer.call_made, hall, call)
        if outbox.windows:
            try:
                windows = self.read(hall, lambda tx: _window_states(tx, outbox.windows))
            except Exception:
                log.exception("could not build the window states of hall %s", hall)
                windows = []
            for window in windows:
                for announcer in self.announcers:
                    _safely(announcer.window_changed, hall, window)
        self._hall_states.run(hall, lambda: self._announce_hall(hall))

    def _announce_hall(self, hall: str) -> None:
        try:
            state = self.read(hall, lambda tx: hall_state(tx, self.catalog_etag(tx)))
        except Exception:
            log.exception("could not build the state of hall %s", hall)
            return
        for announcer in self.announcers:
            _safely(announcer.hall_changed, hall, state)


class Coalescer:
    """Runs a job per key at most once at a time; asks made meanwhile fold into one more run.

    The hall state is rebuilt after every change (a dozen queries). Under a burst of tickets the
    threads that finish while a rebuild is under way do not queue their own: the running one goes
    round once more and publishes a state that includes all of them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy: set[str] = set()
        self._again: set[str] = set()

    def run(self, key: str, job: Callable[[], None]) -> None:
        with self._lock:
            if key in self._busy:
                self._again.add(key)
                return
            self._busy.add(key)
        try:
            while True:
                job()
                with self._lock:
                    if key not in self._again:
                        self._busy.discard(key)
                        return
                    self._again.discard(key)
        except BaseException:
            with self._lock:
                self._busy.discard(key)
                self._again.discard(key)
            raise


def _window_states(tx: Tx, window_ids: set[int]) -> list[WindowState]:
    rows = (tx.session.get(Window, wid) for wid in sorted(window_ids))
    return [window_state(tx, w) for w in rows if w is not None]


def _safely(method: Callable[..., None], *args: object) -> None:
    try:
        method(*args)
    except Exception:
        log.exception("announcer %r failed", method)


def _stored(session: Session, hall_id: int, request_id: str) -> RequestLog | None:
    return session.exec(
        select(RequestLog).where(RequestLog.hall_id == hall_id, RequestLog.request_id == request_id)
    ).first()


def _claim(tx: Tx, request_id: str, op: str) -> RequestLog:
    entry = RequestLog(
        hall_id=tx.hall_id, request_id=request_id, device_id=tx.device_id or "", op=op, response={}, ts=tx.now
    )
    tx.session.add(entry)
    tx.session.flush()  # the unique (hall, request id) row: a concurrent duplicate stops here
    return entry


def _replay(stored: RequestLog, op: str, model: type[R]) -> R:
    if stored.op != op:
        raise HallqError("该请求编号已用于其他操作。", code=ErrorCode.CONFLICT, op=stored.op)
    return model.model_validate(stored.response)
