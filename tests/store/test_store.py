"""Storage: migrations from an empty database match the models; SQLite pragmas; UTC datetimes;
the atomic counters (a new series per day, history kept; hall sequences never reset)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import StatementError
from sqlmodel import Session, SQLModel, select

from queue_server.store import init_db, make_engine
from queue_server.store.counters import current_hall_seq, next_hall_seq, next_ticket_seq
from queue_server.store.migrate import alembic_config
from queue_server.store.tables import Event, Hall, Service, TicketCounter


def _hall_and_service(engine: Engine) -> tuple[int, int]:
    with Session(engine) as s, s.begin():
        hall = Hall(code="h1", name="大厅", created_at=datetime.now(UTC))
        s.add(hall)
        s.flush()
        assert hall.id is not None
        service = Service(hall_id=hall.id, code="A", name="户籍")
        s.add(service)
        s.flush()
        assert service.id is not None
        return hall.id, service.id


def test_migrations_counters_and_datetimes(db_url: str) -> None:
    engine = init_db(db_url)
    try:
        # The migrations build exactly what the models describe, and running them again is a no-op.
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
            head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
            assert MigrationContext.configure(conn).get_current_revision() == head
        init_db(db_url).dispose()
        assert "ticket" in inspect(engine).get_table_names()

        hall_id, service_id = _hall_and_service(engine)
        day1, day2 = date(2025, 3, 12), date(2025, 3, 13)

        def bump(day: date) -> int:
            with Session(engine) as s, s.begin():
                return next_ticket_seq(s, hall_id, service_id, day)

        barrier = threading.Barrier(8)

        def worker(_: int) -> list[int]:
            barrier.wait()
            return [bump(day1) for _ in range(10)]

        with ThreadPoolExecutor(8) as pool:
            values = sorted(v for chunk in pool.map(worker, range(8)) for v in chunk)
        assert values == list(range(1, 81))
        assert [bump(day2), bump(day2)] == [1, 2]
        with Session(engine) as s:
            counters = {c.day: c.value for c in s.exec(select(TicketCounter))}
            assert counters == {day1: 80, day2: 2}
        with Session(engine) as s, s.begin():
            assert [next_hall_seq(s, hall_id) for _ in range(3)] == [1, 2, 3]
            s.rollback()  # a rolled-back call gives its number back: no gaps
        with Session(engine) as s, s.begin():
            assert current_hall_seq(s, hall_id) == 0
            assert next_hall_seq(s, hall_id) == 1

        # Datetimes come back aware and in UTC, whatever zone they went in with.
        shanghai = timezone(timedelta(hours=8))
        with Session(engine) as s, s.begin():
            s.add(Event(hall_id=hall_id, ts=datetime(2025, 3, 12, 10, 0, tzinfo=shanghai), kind="probe"))
        with Session(engine) as s:
            ts = s.exec(select(Event.ts)).one()
        assert ts == datetime(2025, 3, 12, 2, 0, tzinfo=UTC) and ts.tzinfo is UTC
        with Session(engine) as s, s.begin(), pytest.raises(StatementError):
            s.add(Event(hall_id=hall_id, ts=datetime(2025, 3, 12, 10, 0), kind="naive"))  # noqa: DTZ001
            s.flush()
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_mode_with_the_field_notes_pragmas(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'hallq.db'}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
        # synchronous=2 is FULL: the WAL is synced at every commit, so a power cut loses no acknowledged
        # ticket (NORMAL, 1, may lose the last transactions).
        assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}
    finally:
        engine.dispose()
