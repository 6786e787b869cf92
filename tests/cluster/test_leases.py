"""Lease rounds and fencing on a real database (SQLite and PostgreSQL): two instances in one process.

Each "instance" is a ``Services`` with its own engine, fence and lease keeper, as two ``hallq server``
processes would have; the halls come from the small test hall of harness/factories.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col

from harness.factories import HallFixture, build_hall
from harness.waiting import eventually
from queue_server.cluster.fence import Fence
from queue_server.cluster.keeper import LeaseKeeper
from queue_server.cluster.leases import session_name
from queue_server.errors import UnavailableError
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services import Services
from queue_server.services.engine.lookup import hall_row
from queue_server.store.tables import HallLease, Ticket

HALLS = ("h1", "h2", "h3", "h4")
TTL_S = 1.0


@dataclass
class Instance:
    name: str
    services: Services
    keeper: LeaseKeeper
    gained: list[tuple[str, int]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def held(self) -> dict[str, int]:
        return self.keeper.fence.held()

    def issue(self, hall: str, rid: str) -> str:
        args = TicketIssueArgs(service="A")
        return self.services.issue_ticket(hall, args, request_id=rid, device_id="kiosk-1").number


@pytest.fixture
def halls(db_url: str) -> Iterator[list[HallFixture]]:
    built = [build_hall(db_url, code=code, migrate=i == 0) for i, code in enumerate(HALLS)]
    yield built
    for hall in built:
        hall.close()


def instance(name: str, hall: HallFixture) -> Instance:
    """A second ``Services`` on the same database, fenced by a keeper named ``name`` (not started)."""
    services = Services(hall.engine, hall.settings, hall.clock)
    fence = Fence(name, idle_s=TTL_S / 2)
    services.runner.fence = fence.check
    gained: list[tuple[str, int]] = []
    lost: list[str] = []
    keeper = LeaseKeeper(
        hall.engine, fence, TTL_S, gained=lambda h, e: gained.append((h, e)), lost=lost.append
    )
    return Instance(name, services, keeper, gained, lost)


def test_two_instances_share_the_halls_and_each_hall_has_one_holder(halls: list[HallFixture]) -> None:
    a, b = instance("a", halls[0]), instance("b", halls[0])
    a.keeper.run_round()
    assert sorted(a.held()) == list(HALLS)  # alone: every hall
    b.keeper.run_round()  # b counts two live instances: nothing free yet
    a.keeper.run_round()  # a is above its share: hands two back, stops serving them first
    b.keeper.run_round()  # ... which b takes
    assert len(a.held()) == len(b.held()) == 2
    assert set(a.held()) | set(b.held()) == set(HALLS)
    assert sorted(a.lost) == sorted(set(HALLS) - set(a.held()))
    assert {hall for hall, _ in b.gained} == set(b.held())
    # Every hand-over raised the epoch: b's epochs are a's plus one.
    assert all(epoch == 2 for _, epoch in b.gained)


def test_a_dead_holders_halls_are_taken_with_a_new_epoch_and_it_cannot_write(
    halls: list[HallFixture],
) -> None:
    a, b = instance("a", halls[0]), instance("b", halls[0])
    a.keeper.run_round()
    number = a.issue("h1", "r1")
    # a stops renewing (a paused process); b takes every hall once a's leases lapse.
    b.keeper.run_round()
    eventually(
        lambda: b.keeper.run_round() and len(b.held()) == len(HALLS), 5 * TTL_S, what="b takes a's halls"
    )
    assert b.held() == dict.fromkeys(HALLS, 2)
    # The zombie wakes up and writes with its old epoch: refused, nothing written; it stops serving h1.
    with pytest.raises(UnavailableError):
        a.issue("h1", "r2")
    assert "h1" not in a.held()
    # The new holder numbers on from the database; the retry of r1 gets the stored reply, not a new ticket.
    assert b.issue("h1", "r3") > number
    assert b.issue("h1", "r1") == number
    with Session(halls[0].engine) as session:
        hall_id = halls[0].hall_id
        count = session.execute(select(func.count()).where(col(Ticket.hall_id) == hall_id)).scalar_one()
    assert count == 2


def test_an_orderly_stop_hands_the_halls_over_at_once(halls: list[HallFixture]) -> None:
    a, b = instance("a", halls[0]), instance("b", halls[0])
    a.keeper.run_round()
    a.keeper.stop()  # releases every lease (the ttl is not waited for)
    assert a.held() == {}
    assert sorted(a.lost) == list(HALLS)
    b.keeper.run_round()
    assert sorted(b.held()) == list(HALLS)


def test_a_write_for_a_hall_not_held_is_refused(halls: list[HallFixture]) -> None:
    a = instance("a", halls[0])
    with pytest.raises(UnavailableError):
        a.issue("h2", "r1")
    a.keeper.run_round()
    a.issue("h2", "r1")
    with Session(halls[0].engine) as session:
        epochs = session.execute(select(col(HallLease.epoch))).scalars().all()
    assert epochs == [1] * len(HALLS)


def test_a_write_frozen_mid_transaction_does_not_hold_up_the_takeover(pg_url: str) -> None:
    """A process paused inside a write keeps its share lock on the lease row; PostgreSQL ends that
    transaction (the fence set its idle timeout below the ttl), so the takeover goes through."""
    hall = build_hall(pg_url, code="h1")
    try:
        a, b = instance("a", hall), instance("b", hall)
        a.keeper.run_round()
        frozen = hall.engine.connect()
        frozen.begin()
        a.keeper.fence.check(frozen, hall_row(frozen, "h1"))  # the write's fence passed; then it freezes
        eventually(lambda: b.keeper.run_round() and "h1" in b.held(), 10, what="b takes h1")
        with pytest.raises((DBAPIError, UnavailableError)):
            frozen.execute(select(1))  # the frozen session was ended by the server
        with contextlib.suppress(DBAPIError, UnavailableError):
            frozen.close()
    finally:
        hall.close()


def test_the_sessions_of_a_lapsed_instance_are_ended_by_the_one_taking_over(pg_url: str) -> None:
    """A lock no PostgreSQL timeout ends (a process paused mid-pipeline holds one so): the instance
    taking the lapsed lease over ends the holder's sessions (named ``hallq-{instance}``)."""
    hall = build_hall(pg_url, code="h1")
    try:
        a, b = instance("a", hall), instance("b", hall)
        a.keeper.run_round()
        frozen = hall.engine.connect()
        frozen.execute(text(f"SET application_name = '{session_name('a')}'"))
        frozen.commit()
        frozen.begin()
        # A's share lock on the lease row, in a transaction no idle timeout limits.
        frozen.execute(text("SELECT epoch FROM hall_lease FOR SHARE")).all()
        eventually(lambda: b.keeper.run_round() and "h1" in b.held(), 10, what="b takes h1")
        with pytest.raises((DBAPIError, UnavailableError)):
            frozen.execute(select(1))
        with contextlib.suppress(DBAPIError, UnavailableError):
            frozen.close()
    finally:
        hall.close()
