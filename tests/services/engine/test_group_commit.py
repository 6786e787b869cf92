"""Group commit: writes that queue up while another commits go in ONE transaction, each use case
deciding alone (numbers, refusals, duplicate request ids, replies), on SQLite and PostgreSQL.

To build a batch on purpose, a first write holds the commit (its use case waits on an event) while
the writes under test queue behind it, one at a time so their order is known; released, the next
thread commits all of them together (``runner.batch_sizes`` proves it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, func, select

from harness.factories import HallFixture, build_hall
from harness.waiting import eventually, scaled
from queue_server.errors import HallqError
from queue_server.protocol.messages import ErrorCode, TicketIssueArgs, TicketResult
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor, Role
from queue_server.services.queue.models import SpecialTicket
from queue_server.store import tables as t
from tests.services.helpers import commit_held

SHANGHAI = ZoneInfo("Asia/Shanghai")
ID_HASH = "9f" * 32  # a keyed hash as a kiosk sends it (never a clear ID number)


class Batch:
    """Writes started one by one while the commit is held; their outcomes in start order."""

    def __init__(self, hall: HallFixture) -> None:
        self.hall = hall
        self.outcomes: list[Any] = []
        self._threads: list[threading.Thread] = []

    def add(self, write: Callable[[], Any]) -> None:
        index = len(self.outcomes)
        self.outcomes.append(None)

        def run() -> None:
            try:
                self.outcomes[index] = write()
            except Exception as exc:  # the outcome under test
                self.outcomes[index] = exc

        queued = self.hall.services.runner.queued()
        thread = threading.Thread(target=run)
        self._threads.append(thread)
        thread.start()
        eventually(
            lambda: self.hall.services.runner.queued() > queued, what="the write queued", interval=0.001
        )

    def issue(self, service: str = "A", *, request_id: str | None = None, **args: Any) -> None:
        rid = request_id or self.hall.rid()
        issue_args = TicketIssueArgs(service=service, **args)
        self.add(
            lambda: self.hall.services.issue_ticket(self.hall.code, issue_args, request_id=rid, device_id="k")
        )

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=scaled(30))


@contextmanager
def batch(hall: HallFixture) -> Iterator[Batch]:
    """Hold the commit, queue the writes the block adds, then let them commit together."""
    runner = hall.services.runner
    queued = Batch(hall)
    with commit_held(hall):
        yield queued
        before = runner.batch_sizes[len(queued.outcomes)]
    queued.join()
    assert runner.batch_sizes[len(queued.outcomes)] == before + 1, runner.batch_sizes


def _numbers(outcomes: list[Any]) -> list[str]:
    tickets = [o.ticket if isinstance(o, SpecialTicket) else o for o in outcomes]
    return sorted(o.number for o in tickets if isinstance(o, TicketResult))


def _count(hall: HallFixture, model: Any, *where: Any) -> int:
    with Session(hall.engine) as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_issues_committed_together_are_numbered_once_each(hall: HallFixture) -> None:
    with batch(hall) as queued:
        for _ in range(8):
            queued.issue("A")
    assert _numbers(queued.outcomes) == [f"A{n:03d}" for n in range(1, 9)]
    # Each one counts those before it, as when issued one after the other.
    assert [o.people_ahead for o in queued.outcomes] == list(range(8))
    # The counter was written with the batch: the next ticket, alone, continues the series.
    assert hall.issue("A").number == "A009"
    issued = t.Ticket.hall_id == hall.hall_id
    assert _count(hall, t.Ticket, issued) == 9
    assert _count(hall, t.Event, t.Event.hall_id == hall.hall_id, t.Event.kind == "issue") == 9
    assert (
        _count(hall, t.RequestLog, t.RequestLog.hall_id == hall.hall_id, t.RequestLog.op == "ticket.issue")
        == 9
    )


def test_issues_of_two_halls_in_one_batch_each_use_their_own_halls_rows(
    hall: HallFixture, shared_url: str, hall_code: str
) -> None:
    """One SQLite writer commits several halls' issues together: a service or a queue read for one
    hall's ticket must never serve another hall's (both halls have a service A)."""
    if not shared_url.startswith("sqlite"):
        pytest.skip("PostgreSQL commits each hall on a writer of its own: halls never share a batch")
    other = build_hall(shared_url, code=f"{hall_code}-other", migrate=False)
    try:
        hall.open_window("1", "zhang")  # A is served here only: the other hall's ETA has no window
        args = TicketIssueArgs(service="A")
        with batch(hall) as queued:
            for code in (hall.code, other.code, hall.code, other.code):
                queued.add(
                    partial(hall.services.issue_ticket, code, args, request_id=hall.rid(), device_id="k")
                )
        ours, theirs = queued.outcomes[0::2], queued.outcomes[1::2]
        assert [o.number for o in ours] == [o.number for o in theirs] == ["A001", "A002"]
        assert [o.eta_min is None for o in ours + theirs] == [False, False, True, True]
        with Session(hall.engine) as session:
            tickets = session.exec(
                select(t.Ticket.hall_id, t.Service.hall_id)
                .join(t.Service, col(t.Service.id) == t.Ticket.service_id)
                .where(col(t.Ticket.hall_id).in_([hall.hall_id, other.hall_id]))
            ).all()
        assert len(tickets) == 4 and all(ticket_hall == service_hall for ticket_hall, service_hall in tickets)
    finally:
        other.close()


def test_what_issues_keep_between_batches_is_dropped_after_another_write(hall: HallFixture) -> None:
    """An issue's open windows and handling times are kept for the next batches, but a window that
    opens in between is in the very next ticket's estimate."""
    assert hall.issue("A").eta_min is None  # no window serves A yet
    hall.open_window("1", "zhang")
    assert hall.issue("A").eta_min == 5  # one person ahead, 5 min each (no history), one window


def test_a_refusal_in_a_batch_leaves_no_trace_and_the_others_go_on(hall: HallFixture) -> None:
    with Session(hall.engine) as session, session.begin():
        service = session.exec(
            select(t.Service).where(t.Service.hall_id == hall.hall_id, t.Service.code == "A")
        ).one()
        service.daily_cap = 5
    with batch(hall) as queued:
        queued.issue("B", id_hash=ID_HASH)
        queued.issue("B", id_hash=ID_HASH)
        queued.issue("B", id_hash=ID_HASH)  # the hall's limit is 2 a day per ID and service
        for _ in range(7):
            queued.issue("A")
        queued.issue("B")
    outcomes = queued.outcomes
    assert isinstance(outcomes[2], HallqError) and outcomes[2].code is ErrorCode.ID_DAILY_LIMIT
    refused = [o for o in outcomes[3:10] if isinstance(o, HallqError)]
    assert [o.code for o in refused] == [ErrorCode.DAILY_CAP_REACHED] * 2
    # No gaps: the refused got no number, the ticket after them the next one.
    assert _numbers(outcomes) == ["A001", "A002", "A003", "A004", "A005", "B001", "B002", "B003"]
    with Session(hall.engine) as session:
        counters = session.exec(select(t.TicketCounter).where(t.TicketCounter.hall_id == hall.hall_id)).all()
    assert sorted(c.value for c in counters) == [3, 5]
    assert _count(hall, t.Ticket, t.Ticket.hall_id == hall.hall_id) == 8
    assert _count(hall, t.Event, t.Event.hall_id == hall.hall_id) == 8
    with pytest.raises(HallqError) as after:
        hall.issue("A")
    assert after.value.code is ErrorCode.DAILY_CAP_REACHED


def test_the_same_request_id_twice_in_one_batch_makes_one_ticket(hall: HallFixture) -> None:
    with batch(hall) as queued:
        queued.issue("A", request_id="kiosk-1-9-1")
        queued.issue("A")
        queued.issue("A", request_id="kiosk-1-9-1")  # a retransmission, before the first committed
        queued.add(
            lambda: hall.services.issue_special(
                hall.code, "A", "军人", actor=hall.manager, request_id="kiosk-1-9-1"
            )
        )
    first, other, again, special = queued.outcomes
    assert isinstance(first, TicketResult) and again == first
    # The same id from another sender (the manager) is a request of its own (keys are scoped to their
    # sender, the ticket row's too): neither the kiosk's stored reply nor refused.
    assert isinstance(special, SpecialTicket) and special.ticket.number == "A003"
    assert _numbers(queued.outcomes) == ["A001", "A001", "A002", "A003"]
    assert other.number == "A002"
    assert _count(hall, t.Ticket, t.Ticket.hall_id == hall.hall_id) == 3
    # And after commit, as always: the stored reply.
    args = TicketIssueArgs(service="A")
    assert hall.services.issue_ticket(hall.code, args, request_id="kiosk-1-9-1", device_id="k") == first


def test_other_use_cases_in_a_batch_see_the_issues_before_them(hall: HallFixture) -> None:
    actor = hall.open_window("1", "zhang")
    with batch(hall) as queued:
        queued.issue("A")
        queued.issue("A")
        queued.add(lambda: hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid()))
        queued.add(lambda: hall.services.issue_special(hall.code, "A", "特事特办", actor=hall.manager))
        queued.issue("A")
        queued.issue("A")
    called = queued.outcomes[2].call
    assert called is not None and called.ticket == "A001"
    # The special ticket numbers after the batched ones (their counter was written before it ran).
    assert _numbers(queued.outcomes) == ["A001", "A002", "A003", "A004", "A005"]
    assert queued.outcomes[3].ticket.number == "A003"
    with Session(hall.engine) as session:
        waiting = session.exec(
            select(t.Ticket.number).where(t.Ticket.hall_id == hall.hall_id, t.Ticket.state == "waiting")
        ).all()
        seq = session.exec(select(col(t.Call.seq)).where(t.Call.hall_id == hall.hall_id)).all()
    assert sorted(waiting) == ["A002", "A003", "A004", "A005"]
    assert seq == [1]


def test_an_unexpected_failure_in_a_batch_is_retried_alone(hall: HallFixture) -> None:
    runner = hall.services.runner

    def broken(_tx: Tx) -> TicketResult:
        raise RuntimeError("a bug in one use case")

    with batch(hall) as queued:
        queued.issue("A")
        queued.add(lambda: runner.write(hall.code, "ticket.issue", broken, TicketResult, request_id="bad-1"))
        queued.issue("A")
    first, bug, last = queued.outcomes
    assert isinstance(bug, RuntimeError)
    # The batch was rolled back whole, then each ran alone: the good ones committed once.
    assert sorted([first.number, last.number]) == ["A001", "A002"]
    assert _count(hall, t.Ticket, t.Ticket.hall_id == hall.hall_id) == 2
    assert (
        _count(hall, t.RequestLog, t.RequestLog.hall_id == hall.hall_id, t.RequestLog.request_id == "bad-1")
        == 0
    )


def test_concurrent_issues_from_many_threads(hall: HallFixture) -> None:
    """No holding: whatever batches form, every ticket is numbered once and the replies match the rows."""
    results: list[TicketResult] = []
    lock = threading.Lock()

    def kiosk(n: int) -> None:
        for i in range(15):
            args = TicketIssueArgs(service="C")
            result = hall.services.issue_ticket(hall.code, args, request_id=f"k{n}-{i}", device_id=f"k{n}")
            with lock:
                results.append(result)

    threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=scaled(60))
    assert _numbers(results) == [f"C{n:03d}" for n in range(1, 121)]
    with Session(hall.engine) as session:
        rows = dict(
            session.exec(
                select(t.Ticket.public_id, t.Ticket.number).where(t.Ticket.hall_id == hall.hall_id)
            ).all()
        )
    assert {r.ticket_id: r.number for r in results} == rows


def test_the_hall_state_after_a_burst_counts_every_ticket(shared_url: str, hall_code: str) -> None:
    """Under load the state is built in the background, coalesced; once idle, the last one is whole."""
    hall = build_hall(shared_url, code=hall_code, migrate=False, record=True)
    try:
        kiosks = [threading.Thread(target=lambda: [hall.issue("B") for _ in range(10)]) for _ in range(6)]
        for kiosk in kiosks:
            kiosk.start()
        for kiosk in kiosks:
            kiosk.join(timeout=scaled(60))
        assert hall.services.runner.wait_idle(scaled(30))
        states = hall.announcer.states
        assert states[-1].waiting["B"] == 60
        waiting = [s.waiting["B"] for s in states]
        assert waiting == sorted(waiting)  # never an older state after a newer one
    finally:
        hall.close()


# --- asynchronous writes (the MQTT bridge's ticket.issue) --------------------------------------------


class Outcomes:
    """What ``issue_ticket_async`` hands to its callbacks, with the thread that called each."""

    def __init__(self) -> None:
        self.got: dict[int, list[tuple[Any, BaseException | None, str]]] = {}
        self._lock = threading.Lock()

    def done(self, index: int) -> Callable[[Any, BaseException | None], None]:
        def deliver(result: Any, exc: BaseException | None) -> None:
            with self._lock:
                self.got.setdefault(index, []).append((result, exc, threading.current_thread().name))

        return deliver

    def wait(self, count: int) -> None:
        def arrived() -> bool:
            with self._lock:
                return len(self.got) >= count

        eventually(arrived, 30, what=f"{count} outcomes")


def test_async_issues_return_at_once_and_hear_once_from_the_writer(hall: HallFixture) -> None:
    outcomes = Outcomes()
    runner = hall.services.runner
    with batch(hall) as queued:
        # The commit is held: an asynchronous issue must not wait for it (a blocking one would hang here).
        for i in range(6):
            queued.outcomes.append(None)  # one batch of six, as batch() checks
            hall.services.issue_ticket_async(
                hall.code,
                TicketIssueArgs(service="A"),
                outcomes.done(i),
                request_id=hall.rid(),
                device_id="k",
            )
        assert runner.queued() == 6 and not outcomes.got
    outcomes.wait(6)
    assert runner.wait_idle(scaled(10))
    assert all(len(calls) == 1 for calls in outcomes.got.values())  # each hears exactly once
    results = [outcomes.got[i][0][0] for i in range(6)]
    assert all(
        exc is None and thread == "hallq-writer" for _, exc, thread in (c[0] for c in outcomes.got.values())
    )
    assert [r.number for r in results] == [f"A{n:03d}" for n in range(1, 7)]  # submission order
    assert _count(hall, t.Ticket, t.Ticket.hall_id == hall.hall_id) == 6


def test_async_refusal_and_retransmission(hall: HallFixture) -> None:
    outcomes = Outcomes()
    issue = hall.services.issue_ticket_async
    issue(hall.code, TicketIssueArgs(service="Z"), outcomes.done(0), request_id=hall.rid(), device_id="k")
    issue(hall.code, TicketIssueArgs(service="A"), outcomes.done(1), request_id="kiosk-2-1-1", device_id="k")
    issue(hall.code, TicketIssueArgs(service="A"), outcomes.done(2), request_id="kiosk-2-1-1", device_id="k")
    outcomes.wait(3)
    ((refused, error, _),) = outcomes.got[0]
    assert refused is None and isinstance(error, HallqError) and error.code is ErrorCode.UNKNOWN_SERVICE
    first, again = outcomes.got[1][0][0], outcomes.got[2][0][0]
    assert isinstance(first, TicketResult) and again == first
    assert _count(hall, t.Ticket, t.Ticket.hall_id == hall.hall_id) == 1
    # The synchronous door sees the same stored reply.
    args = TicketIssueArgs(service="A")
    assert hall.services.issue_ticket(hall.code, args, request_id="kiosk-2-1-1", device_id="k") == first


def test_a_refusal_is_kept_under_its_request_id_alone_and_in_a_batch(
    make_hall: Callable[..., HallFixture],
) -> None:
    """The same id gets the same answer, a refusal too (docs/design/PROTOCOL.md, "Ids and
    idempotency"), though what refused it has changed since: kept by a transaction of its own (the
    refused one rolled back) and, in a batch, beside the batch's other writes."""
    week = {str(d): [["09:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
    hall = make_hall(schedule=week)
    hall.clock.set(datetime(2025, 3, 12, 16, 45, tzinfo=SHANGHAI))  # past the issue cut-off
    hall.open_window("1", "li")
    agent = Actor(Role.DEVICE, "agent-1", "1")

    def call(request_id: str) -> Any:
        return hall.services.call_next(hall.code, "1", actor=agent, request_id=request_id)

    with pytest.raises(HallqError) as alone:
        call("next-1")
    assert alone.value.code is ErrorCode.QUEUE_EMPTY
    with batch(hall) as queued:
        queued.issue("A", request_id="issue-late")
        queued.add(partial(call, "next-2"))
    codes = [o.code if isinstance(o, HallqError) else o for o in queued.outcomes]
    assert codes == [ErrorCode.CUTOFF_PASSED, ErrorCode.QUEUE_EMPTY]

    hall.clock.set(datetime(2025, 3, 13, 10, 0, tzinfo=SHANGHAI))  # the next morning: open
    assert hall.issue("A").number == "A001"  # a ticket waits for window 1
    for request_id in ("next-1", "next-2"):
        with pytest.raises(HallqError) as again:
            call(request_id)
        assert again.value.code is ErrorCode.QUEUE_EMPTY
    args = TicketIssueArgs(service="A")
    with pytest.raises(HallqError) as issue_again:
        hall.services.issue_ticket(hall.code, args, request_id="issue-late", device_id="k")
    assert issue_again.value.code is ErrorCode.CUTOFF_PASSED
    first = queued.outcomes[0]
    assert (issue_again.value.message, issue_again.value.detail) == (first.message, first.detail)
    assert "next_open" in first.detail  # the detail came back whole
    assert _count(hall, t.Ticket, t.Ticket.hall_id == hall.hall_id) == 1
    assert call("next-3").ticket is not None  # a new request is a new try
