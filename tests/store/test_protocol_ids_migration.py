"""Migration 0009 on a database with a day's history, SQLite and PostgreSQL: down to 0008 (the calls
get their tokens back), up again: every ticket gets a public id of its own, the calls carry it, the
device's request ids keep answering, and the triggers a table copy drops are there again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlmodel import Session, select

from harness.factories import build_hall
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.store.migrate import alembic_config
from queue_server.store.tables import Call, QueueLength, Ticket


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    from queue_server.store import make_engine

    engine = make_engine(url)
    cfg = alembic_config(url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, revision)
    finally:
        engine.dispose()


def test_public_ids_are_made_for_existing_tickets_and_calls(db_url: str) -> None:
    hall = build_hall(db_url, code="m9")
    actor = hall.open_window("1", "zhang")
    first = hall.issue("A")
    hall.issue("A")
    hall.services.call_next(hall.code, "1", actor=actor, request_id="call-1")
    hall.close()

    _migrate(db_url, "0008", down=True)
    with hall.engine.connect() as conn:
        calls = conn.execute(
            text("SELECT c.citizen_token, t.citizen_token FROM call c JOIN ticket t ON t.id = c.ticket_id")
        )
        assert [a == b for a, b in calls] == [True]
    hall.engine.dispose()
    _migrate(db_url, "head")

    again = build_hall(db_url, code="m9b", migrate=False)
    try:
        with Session(again.engine) as session:
            tickets = session.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id)).all()
            (call,) = session.exec(select(Call).where(Call.hall_id == hall.hall_id)).all()
        ids = [ticket.public_id for ticket in tickets]
        assert len(set(ids)) == 2 and all(len(i) == 16 for i in ids)
        assert {ticket.citizen_token for ticket in tickets}.isdisjoint(ids)
        assert call.public_id == next(ticket.public_id for ticket in tickets if ticket.id == call.ticket_id)
        # The kiosk's request id still answers with its ticket (its scope was made from device_id).
        repeat = again.services.issue_ticket(
            hall.code, TicketIssueArgs(service="A"), request_id="req-0", device_id="kiosk-1"
        )
        assert repeat.number == first.number
        # The queue-length triggers came back with the copied ticket table.
        again.issue("A")
        with Session(again.engine) as session:
            counted = session.exec(
                select(QueueLength.n).where(QueueLength.state == "waiting", QueueLength.n > 0)
            ).all()
        assert sum(counted) == 2  # A002 of the first hall, A001 of the second
    finally:
        again.close()
