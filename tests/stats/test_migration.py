"""Migration 0006 on a database that already holds a history: its upgrade fills the rollups with what a
rebuild computes, and the triggers keep them from there (SQLite and PostgreSQL). A fresh database
migrated to head has every trigger, although a later migration copies ``ticket`` on SQLite."""

from __future__ import annotations

import importlib
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

from harness.factories import build_hall
from queue_server.services.ports import Actor, Role
from queue_server.services.queue.guide_models import EnquiryRequest
from queue_server.stats.rebuild import rebuild
from queue_server.stats.rollups import ROLLUPS
from queue_server.store.migrate import upgrade

_0006 = importlib.import_module("queue_server.store.migrations.versions.0006_stats_rollups")


def _run_0006(engine: Any, step: str) -> None:
    """Run migration 0006's own ``upgrade`` or ``downgrade`` on the database as it is (the later
    migrations of other tables stay: going below them would copy tables holding rows)."""
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        getattr(_0006, step)()


def _rollups(engine: Any) -> dict[str, set[tuple[str, ...]]]:
    out = {}
    with engine.connect() as conn:
        for rollup in ROLLUPS:
            rows = conn.execute(text(f"SELECT * FROM {rollup.table}")).mappings().all()  # noqa: S608
            out[rollup.table] = {
                tuple(str(v) for v in row.values())
                for row in rows
                if any(row[m] for m in rollup.measure_names)
            }
    return out


def _triggers(engine: Any) -> set[str]:
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'stats_%'"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'stats_%'"
        return {row[0] for row in conn.execute(text(query))}


def test_migration_fills_the_rollups_of_an_existing_history(db_url: str) -> None:
    hall = build_hall(db_url)
    try:
        triggers = _triggers(hall.engine)
        assert "stats_ticket_update" in triggers
        zhang = hall.open_window("1", "zhang")
        for _ in range(3):
            hall.issue("A")
        hall.clock.advance(minutes=7)
        hall.services.call_next(hall.code, "1", actor=zhang, request_id=hall.rid())
        hall.services.start(hall.code, "1", actor=zhang, request_id=hall.rid())
        hall.clock.advance(minutes=3)
        hall.services.finish(hall.code, "1", None, actor=zhang, request_id=hall.rid())
        kept = _rollups(hall.engine)
        assert kept["stats_ticket"] and kept["stats_shift"]

        _run_0006(hall.engine, "downgrade")  # the rollups and their triggers go
        assert _triggers(hall.engine) == set()
        _run_0006(hall.engine, "upgrade")  # 0006 fills them from the history
        assert _rollups(hall.engine) == kept
        upgrade(hall.engine)  # a run of the migrations leaves every trigger in place
        assert _triggers(hall.engine) == triggers
        rebuild(hall.engine)
        assert _rollups(hall.engine) == kept

        hall.issue("A")  # and the triggers run again
        assert _rollups(hall.engine) != kept
    finally:
        hall.close()


_0016 = importlib.import_module("queue_server.store.migrations.versions.0016_stats_idle")


def test_migration_0016_fills_enquiries_and_idle_time(db_url: str) -> None:
    """On a database with a history, 0016 sums the enquiries (and keeps them from then on) and stores
    the idle time with people waiting of every day that is over."""
    hall = build_hall(db_url)
    try:
        clerk = Actor(Role.GUIDE, "daoban")
        zhang = hall.open_window("1", "zhang")
        hall.issue("A")
        hall.clock.advance(minutes=4)  # window 1 idle while A001 waits
        hall.services.call_next(hall.code, "1", actor=zhang, request_id=hall.rid())
        hall.services.guide_enquiry(
            hall.code, EnquiryRequest(matter="A01"), actor=clerk, request_id=hall.rid()
        )
        enquiries = _rollups(hall.engine)["stats_enquiry"]
        assert len(enquiries) == 1

        with hall.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            _0016.downgrade()
        assert "stats_enquiry_insert" not in _triggers(hall.engine)
        with hall.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
            _0016.upgrade()  # the test hall's day (2025) is over by the machine's clock
        assert _rollups(hall.engine)["stats_enquiry"] == enquiries
        assert "stats_enquiry_insert" in _triggers(hall.engine)
        with hall.engine.connect() as conn:
            stored = conn.execute(text("SELECT window_id, idle_waiting_ms FROM stats_idle")).all()
            days = conn.execute(text("SELECT day FROM stats_idle_day")).all()
        assert [ms for _w, ms in stored] == [4 * 60_000] and len(days) == 1

        hall.services.guide_enquiry(
            hall.code, EnquiryRequest(service="C"), actor=clerk, request_id=hall.rid()
        )
        assert len(_rollups(hall.engine)["stats_enquiry"]) == 2  # the trigger counts again
    finally:
        hall.close()
