"""Migration 0017 (PostgreSQL): a fresh ticket's statistics are added at commit, once per transaction
(``queue_server/stats/fold.py``), and the ticket rollup stays equal to its rebuild whatever the
transaction did with the rows it inserted: updated them, rolled a savepoint back, inserted hundreds at
once; the migration goes down (row triggers again) and up."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command

from harness.factories import HallFixture, build_hall
from queue_server.stats.fold import PENDING_LIMIT
from queue_server.stats.rebuild import rebuild
from queue_server.stats.rollups import TICKETS
from queue_server.store.migrate import alembic_config

INSERT = (
    "INSERT INTO ticket (hall_id, service_id, service_day, number, seq, state, lane, special, materials, "
    "citizen_token, public_id, issued_at, queued_at, recall_count, no_show_count, device_id) "
    "SELECT :hall, :service, CURRENT_DATE, :tag || g, :seq + g, 'waiting', 'normal', false, '[]', "
    "'tok-' || :tag || g, :tag || g, now(), now(), 0, 0, 'kiosk-1' FROM generate_series(1, :n) AS g "
    "RETURNING id"
)


def _rollup(hall: HallFixture) -> set[tuple[str, ...]]:
    with hall.engine.connect() as conn:
        rows = conn.execute(sa.text(f"SELECT * FROM {TICKETS.table}")).mappings().all()  # noqa: S608
    return {tuple(str(v) for v in row.values()) for row in rows if any(row[m] for m in TICKETS.measure_names)}


def _exact(hall: HallFixture) -> set[tuple[str, ...]]:
    """The rollup as the triggers kept it, asserted equal to a rebuild from the tickets."""
    kept = _rollup(hall)
    rebuild(hall.engine)
    assert _rollup(hall) == kept
    return kept


def _triggers(hall: HallFixture) -> set[str]:
    with hall.engine.connect() as conn:
        query = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'stats_ticket%'"
        return {row[0] for row in conn.execute(sa.text(query))}


def _insert(conn: sa.Connection, hall: HallFixture, n: int, tag: str) -> list[Any]:
    """``n`` fresh tickets of service A, numbered ``{tag}1``… (plain SQL, past the services)."""
    service = conn.execute(
        sa.text("SELECT id FROM service WHERE hall_id = :h AND code = 'A'"), {"h": hall.hall_id}
    ).scalar_one()
    params = {"hall": hall.hall_id, "service": service, "n": n, "tag": tag, "seq": 1000 * ord(tag)}
    return list(conn.execute(sa.text(INSERT), params).scalars())


def test_fresh_tickets_are_counted_at_commit_whatever_the_transaction_did(pg_url: str) -> None:
    hall = build_hall(pg_url)
    try:
        assert f"{TICKETS.table}_fold" in _triggers(hall)
        for _ in range(3):
            hall.issue("A")
        before = _exact(hall)
        with hall.engine.begin() as conn:
            first, second, *_ = _insert(conn, hall, 4, "a")
            # Inserted, then changed in the same transaction: called, then finished.
            conn.execute(
                sa.text("UPDATE ticket SET state = 'called', first_called_at = now() WHERE id = :i"),
                {"i": first},
            )
            conn.execute(
                sa.text("UPDATE ticket SET state = 'done', finished_at = now() WHERE id = :i"), {"i": second}
            )
            with conn.begin_nested() as savepoint:
                _insert(conn, hall, 2, "b")
                savepoint.rollback()  # its tickets and their pending contributions go
        after = _exact(hall)
        assert after != before
        with hall.engine.begin() as conn:
            # A bulk insert: far more than the pending limit holds, folded on the way.
            _insert(conn, hall, PENDING_LIMIT // 100, "c")
        _exact(hall)
    finally:
        hall.close()


def test_the_migration_goes_down_to_row_triggers_and_up_again(pg_url: str) -> None:
    hall = build_hall(pg_url)
    try:
        hall.issue("A")
        cfg = alembic_config(pg_url)
        with hall.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0016")
        assert _triggers(hall) == {f"{TICKETS.table}_insert_delete", f"{TICKETS.table}_update"}
        hall.issue("A")
        _exact(hall)
        with hall.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert f"{TICKETS.table}_fold" in _triggers(hall)
        hall.issue("A")
        assert len(_exact(hall)) > 0
    finally:
        hall.close()
