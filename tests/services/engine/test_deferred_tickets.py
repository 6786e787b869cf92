"""A PostgreSQL batch of issues draws its ticket ids ahead from the sequence (one round trip) and, in
a long queue, defers the ticket rows with its other writes (``batch.py``, ``tickets._insert_ticket``):
the replies, rows, ids and events are those of tickets inserted one by one."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from harness.factories import HallFixture
from queue_server.protocol.messages import TicketResult
from queue_server.services.engine.tx import Tx
from queue_server.services.queue import tickets
from queue_server.services.queue.reads import EXACT_POSITION_LIMIT
from queue_server.store import tables as t
from queue_server.store.counters import sequence_ids
from tests.services.engine.test_group_commit import ID_HASH, batch


def _postgresql(hall: HallFixture) -> None:
    if hall.engine.dialect.name != "postgresql":
        pytest.skip("ticket ids are drawn ahead on PostgreSQL only (SQLite inserts in process)")


def _deferred_ids(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids of the ticket rows issues defer from now on."""
    deferred: list[int] = []
    real = Tx.defer

    def spy(self: Tx, statement: Any, params: dict[str, Any], key: Any = None) -> None:
        if statement is tickets._INSERT_TICKET_ROW:
            deferred.append(params["id"])
        real(self, statement, params, key)

    monkeypatch.setattr(Tx, "defer", spy)
    return deferred


def _rows(hall: HallFixture, results: list[TicketResult]) -> list[tuple[int, str]]:
    """(id, number) of each result's ticket, in the results' order."""
    public = [r.ticket_id for r in results]
    with Session(hall.engine) as session:
        rows = session.exec(
            select(t.Ticket.public_id, t.Ticket.id, t.Ticket.number).where(
                col(t.Ticket.public_id).in_(public)
            )
        ).all()
    found = {p: (int(i or 0), n) for p, i, n in rows}
    return [found[p] for p in public]


def test_a_long_queues_batch_defers_its_ticket_rows(
    hall: HallFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgresql(hall)
    waiting = EXACT_POSITION_LIMIT + 2  # past the exact ranking: nothing reads a new row back
    for _ in range(waiting):
        hall.issue("A")
    deferred = _deferred_ids(monkeypatch)
    with batch(hall) as queued:
        for _ in range(4):
            queued.issue("A")
        queued.issue("A", id_hash=ID_HASH)  # the per-ID count reads tickets: its row goes in at once
        queued.issue("A")
    results = queued.outcomes
    assert all(isinstance(r, TicketResult) for r in results), results
    assert [r.people_ahead for r in results] == list(range(waiting, waiting + 6))
    rows = _rows(hall, results)
    assert [number for _id, number in rows] == [f"A{n:03d}" for n in range(waiting + 1, waiting + 7)]
    ids = [ticket_id for ticket_id, _number in rows]
    assert ids == sorted(ids) and len(set(ids)) == 6  # in issue order, as one by one
    # The first reads the queue length back (inserted at once), the one with an ID hash too.
    assert deferred == [ids[1], ids[2], ids[3], ids[5]]
    with Session(hall.engine) as session:
        issue_events = session.exec(
            select(t.Event.ticket_id).where(t.Event.hall_id == hall.hall_id, t.Event.kind == "issue")
        ).all()
    assert set(ids) <= set(issue_events)
    # The sequence goes on after the batch's ids: the next ticket, alone, gets a higher one.
    assert _rows(hall, [hall.issue("A")])[0][0] > max(ids)


def test_a_short_queues_batch_inserts_each_row_at_once(
    hall: HallFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _postgresql(hall)
    deferred = _deferred_ids(monkeypatch)
    with batch(hall) as queued:
        for _ in range(4):
            queued.issue("A")
    # Each is ranked exactly among the rows before it (they are in the table).
    assert [r.people_ahead for r in queued.outcomes] == [0, 1, 2, 3]
    assert deferred == []
    ids = [ticket_id for ticket_id, _number in _rows(hall, queued.outcomes)]
    assert ids == sorted(ids)


def test_sequence_ids_are_new_and_ascending(hall: HallFixture) -> None:
    _postgresql(hall)
    with hall.engine.begin() as conn:
        first = sequence_ids(conn, "ticket", "id", 5)
        second = sequence_ids(conn, "ticket", "id", 1)
        last = conn.execute(sa.text("SELECT max(id) FROM ticket")).scalar() or 0
    assert first == sorted(first) and len(set(first)) == 5
    assert second[0] > first[-1] > last
