"""``queue_length`` (migration 0004): the triggers keep it equal to a real count of ``ticket``, whatever
changes the tickets — the use cases, plain SQL, a rolled-back savepoint, a deletion — on SQLite and
PostgreSQL; the migration fills it from the tickets already there and goes down and up again."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from harness.factories import HallFixture, build_hall
from queue_server.services.queue.models import TransferRequest
from queue_server.store.migrate import alembic_config


def _kept(hall: HallFixture) -> Counter[tuple[int, str, str]]:
    with hall.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT service_id, service_day, state, n FROM queue_length")).all()
    return Counter({(sid, str(day), state): n for sid, day, state, n in rows if n})


def _counted(hall: HallFixture) -> Counter[tuple[int, str, str]]:
    with hall.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT service_id, service_day, state, count(*) FROM ticket GROUP BY 1, 2, 3")
        ).all()
    return Counter({(sid, str(day), state): n for sid, day, state, n in rows})


def test_the_triggers_keep_the_queue_length_of_every_change(db_url: str) -> None:
    hall = build_hall(db_url)
    try:
        for service in ("A", "A", "A", "B", "C", "A"):
            hall.issue(service)
        actor = hall.open_window("1", "zhang")
        services, code = hall.services, hall.code
        services.call_next(code, "1", actor=actor, request_id=hall.rid())  # waiting -> called
        services.start(code, "1", actor=actor, request_id=hall.rid())  # called -> serving
        request = TransferRequest(to_service="B")
        services.transfer(code, "1", request, actor=actor, request_id=hall.rid())  # a new ticket in B
        services.call_next(code, "1", actor=actor, request_id=hall.rid())
        services.no_show(code, "1", actor=actor, request_id=hall.rid())
        waiting = _counted(hall)
        assert _kept(hall) == waiting
        with hall.engine.begin() as conn:
            # Plain SQL, past the services: a service change, a day change, a deletion.
            first, second = conn.execute(sa.text("SELECT id FROM ticket ORDER BY id LIMIT 2")).scalars().all()
            service_c = conn.execute(
                sa.text("SELECT service_id FROM ticket WHERE number LIKE 'C%' LIMIT 1")
            ).scalar_one()
            conn.execute(
                sa.text("UPDATE ticket SET service_id = :s WHERE id = :i"), {"s": service_c, "i": first}
            )
            conn.execute(sa.text("UPDATE ticket SET service_day = '2025-03-13' WHERE id = :i"), {"i": second})
            conn.execute(sa.text("UPDATE ticket SET outcome = 'x' WHERE id = :i"), {"i": second})  # no move
        assert _kept(hall) == _counted(hall)
        gone = hall.issue("C").ticket_id
        with Session(hall.engine) as session, session.begin():
            savepoint = session.begin_nested()
            session.execute(sa.text("UPDATE ticket SET state = 'held'"))
            savepoint.rollback()
            ticket = {"token": gone}
            its_id = "(SELECT id FROM ticket WHERE public_id = :token)"
            session.execute(sa.text(f"DELETE FROM event WHERE ticket_id = {its_id}"), ticket)  # noqa: S608
            session.execute(sa.text("DELETE FROM ticket WHERE public_id = :token"), ticket)
        assert _kept(hall) == _counted(hall)
        assert _kept(hall) != waiting  # the SQL above did move tickets
    finally:
        hall.close()


def test_the_migration_counts_the_tickets_already_there(db_url: str) -> None:
    hall = build_hall(db_url)
    try:
        for service in ("A", "B", "B"):
            hall.issue(service)
        cfg = alembic_config(db_url)
        with hall.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        assert "queue_length" not in sa.inspect(hall.engine).get_table_names()
        with hall.engine.begin() as conn:
            conn.execute(sa.text("UPDATE ticket SET state = 'done' WHERE number = 'B002'"))
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        kept = _kept(hall)
        assert kept == _counted(hall)
        assert sorted(kept.values()) == [1, 1, 1]
        hall.issue("A")  # and the triggers are back
        assert _kept(hall) == _counted(hall)
    finally:
        hall.close()
