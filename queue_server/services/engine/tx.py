"""The unit of work every use case runs in: one session, one hall, one instant, one record of what changed.

``Tx`` carries what a use case needs (the hall row, the clock reading, who asks) and collects what
must be announced after commit (calls, changed windows). ``Tx.event`` appends the audit row that
every state change owes, in the same transaction.

``Tx.memo`` keeps what a use case looked up for the next one of the same transaction: the runner
commits a burst of ticket issues together (one transaction) and hands the issues of one hall one
memo, so the queue length and the day's counter are read once per burst. ``Tx.kept`` goes further,
for what no issue changes (the hall's service and matter rows, its open windows, its recent handling
times): the runner keeps it from one burst of issues to the next, for a second at most, and drops it
after any other write of the hall (which may change it). Every other kind of use case gets a memo and
kept reads of its own; a failed burst's are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert
from sqlmodel import Session, SQLModel

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.numbering import service_day
from queue_server.protocol.messages import CallEvent
from queue_server.services.engine.rules import hall_calendar
from queue_server.services.ports import Actor
from queue_server.settings import Settings
from queue_server.store.prepared import Prepared
from queue_server.store.tables import Event, Hall, Ticket, Window

# A write the runner makes later: statement, parameters, and a key (the last write of a key wins).
Deferred = tuple[Prepared, dict[str, Any], Hashable | None]


class Identified(Protocol):
    """A row known by its id (an ORM object, or the plain record of a row inserted with Core)."""

    @property
    def id(self) -> int | None: ...


@dataclass
class Changes:
    """What changed, told to the announcers once the transaction has committed."""

    calls: list[CallEvent] = field(default_factory=list)
    windows: set[int] = field(default_factory=set)
    hall_changed: bool = False
    numbers: dict[int, str] = field(default_factory=dict)  # window id → number, of the windows touched

    def touch(self, window: Window | None = None) -> None:
        if window is not None:
            self.windows.add(pk(window))
            self.numbers[pk(window)] = window.number
        self.hall_changed = True


@dataclass
class Tx:
    session: Session
    hall: Hall
    now: datetime
    settings: Settings
    request_id: str | None = None
    device_id: str | None = None
    actor: Actor | None = None
    changes: Changes = field(default_factory=Changes)
    memo: dict[Hashable, Any] = field(default_factory=dict)
    kept: dict[Hashable, Any] = field(default_factory=dict)
    # Set by the runner for a use case it batches: writes nobody reads back in the transaction
    # (events, counters drawn from the memo) wait here and go to the database together, one
    # executemany per statement, before anything else runs in the transaction.
    deferred: list[Deferred] | None = None
    # Set by the runner in a PostgreSQL batch: the next ticket id, drawn from the ticket table's
    # sequence a batch at a time, so that a ticket's INSERT can wait with the deferred writes instead
    # of a round trip of its own for ``RETURNING id`` (``tickets.issue``).
    ticket_ids: Callable[[], int] | None = None

    @cached_property
    def conn(self) -> Connection:
        """The transaction's connection, for prebuilt Core statements (Session.execute adds ORM work)."""
        return self.session.connection()

    @property
    def hall_id(self) -> int:
        return pk(self.hall)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hall.tz)

    @cached_property
    def calendar(self) -> HallCalendar:
        return hall_calendar(self.hall)

    @cached_property
    def today(self) -> date:
        return service_day(self.now, self.zone)

    @cached_property
    def now_local(self) -> datetime:
        return self.now.astimezone(self.zone)

    def remember(self, key: Hashable, load: Callable[[], T]) -> T:
        """``load()`` once per memo (see the module doc): for rows no use case of a burst changes."""
        return _once(self.memo, key, load)

    def keep(self, key: Hashable, load: Callable[[], T]) -> T:
        """``load()`` once while the runner keeps ``kept`` (see the module doc): for what no issue
        changes, only the hall's other writes."""
        return _once(self.kept, key, load)

    def defer(self, statement: Prepared, params: dict[str, Any], key: Hashable | None = None) -> None:
        """Execute a write nothing reads back in this use case: now, or with the batch (``deferred``).

        Deferred writes with the same statement and ``key`` replace each other: the last one is made.
        """
        if self.deferred is not None:
            self.deferred.append((statement, params, key))
        else:
            statement.run(self.conn, params)

    def event(
        self,
        kind: str,
        *,
        ticket: Ticket | Identified | None = None,
        window: Window | None = None,
        staff_id: int | None = None,
        **data: Any,
    ) -> None:
        """Append one audit row for a state change (same transaction as the change)."""
        if staff_id is None and window is not None:
            staff_id = window.staff_id
        # One Core INSERT now, not an ORM object for the next flush: the row is the same, the unit of
        # work around it cost more than the statement. The rows it points at are flushed (they have ids).
        self.defer(
            _INSERT_EVENT,
            {
                "hall_id": self.hall_id,
                "ts": self.now,
                "kind": kind,
                "ticket_id": None if ticket is None else ticket.id,
                "window_id": None if window is None else window.id,
                "staff_id": staff_id,
                "device_id": self.device_id,
                "request_id": self.request_id,
                "data": {
                    **data,
                    **({"actor": f"{self.actor.role.value}:{self.actor.id}"} if self.actor else {}),
                },
            },
        )


T = TypeVar("T")


def _once(values: dict[Hashable, Any], key: Hashable, load: Callable[[], T]) -> T:
    try:
        return cast(T, values[key])
    except KeyError:
        value = values[key] = load()
        return value


_INSERT_EVENT = Prepared(insert(SQLModel.metadata.tables[Event.__tablename__]))


def pk(row: SQLModel) -> int:
    """The primary key of a row that has been flushed (mypy sees ``int | None``)."""
    value = getattr(row, "id", None)
    if not isinstance(value, int):
        raise RuntimeError(f"{type(row).__name__} has no id yet: flush before use")
    return value
