"""The year generator writes rows the live server could have written: consistent, complete, repeatable.

Small scales (a few days of a hundred or two tickets) on real SQLite and PostgreSQL; the full year is
the statistics benchmark's (benchmarks/stats_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from benchmarks.year.generate import Generated, Scale, generate
from queue_server.store import init_db

# A Friday, a rest-day Saturday (weekend service) and a Monday: 2026-11-20, 21, 23.
LAST_DAY = date(2026, 11, 23)
SMALL = Scale(days=3, per_day=200, chunk_days=2)  # two chunks: one of two days, one of one


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = init_db(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def generated(engine: Engine) -> Generated:
    return generate(engine, SMALL, seed=7, last_day=LAST_DAY)


def rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def one(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).scalar_one()


def test_the_days_are_the_service_days_and_every_ticket_is_written(
    engine: Engine, generated: Generated
) -> None:
    assert (generated.first_day, generated.last_day, generated.days) == (date(2026, 11, 20), LAST_DAY, 3)
    days = [r[0] for r in rows(engine, "SELECT DISTINCT service_day FROM ticket ORDER BY 1")]
    assert [str(d) for d in days] == ["2026-11-20", "2026-11-21", "2026-11-23"]
    assert one(engine, "SELECT count(*) FROM ticket") == generated.tickets > 300


def test_ticket_times_follow_each_other(engine: Engine, generated: Generated) -> None:
    out_of_order = one(
        engine,
        "SELECT count(*) FROM ticket WHERE first_called_at < issued_at OR called_at < first_called_at "
        "OR started_at < called_at OR finished_at < started_at OR finished_at < first_called_at",
    )
    assert out_of_order == 0
    states = dict(rows(engine, "SELECT state, count(*) FROM ticket GROUP BY state"))
    assert states["done"] > 0 and states["no_show"] > 0 and states["transferred"] > 0
    # Each state carries exactly the times it implies.
    assert (
        one(
            engine,
            "SELECT count(*) FROM ticket WHERE state = 'done' "
            "AND (started_at IS NULL OR finished_at IS NULL)",
        )
        == 0
    )
    assert (
        one(
            engine,
            "SELECT count(*) FROM ticket WHERE state = 'no_show' "
            "AND (finished_at IS NULL OR started_at IS NOT NULL)",
        )
        == 0
    )
    assert (
        one(engine, "SELECT count(*) FROM ticket WHERE state = 'waiting' AND first_called_at IS NOT NULL")
        == 0
    )
    assert (
        one(
            engine,
            "SELECT count(*) FROM ticket WHERE state <> 'waiting' "
            "AND (window_id IS NULL OR staff_id IS NULL)",
        )
        == 0
    )


def test_a_transfer_continues_as_a_child_with_the_same_number(engine: Engine, generated: Generated) -> None:
    pairs = rows(
        engine,
        "SELECT p.number, c.number, p.finished_at, c.issued_at, p.queued_at, c.queued_at, p.window_id, "
        "c.transferred_from_window_id, p.service_id, c.service_id "
        "FROM ticket p JOIN ticket c ON c.parent_ticket_id = p.id",
    )
    transferred = one(engine, "SELECT count(*) FROM ticket WHERE state = 'transferred'")
    assert len(pairs) == transferred > 0
    for (
        number,
        child_number,
        finished,
        issued,
        queued,
        child_queued,
        window,
        source,
        service,
        target,
    ) in pairs:
        assert (child_number, issued, child_queued, source) == (number, finished, queued, window)
        assert target != service


def test_calls_are_numbered_in_time_order_and_match_the_tickets(engine: Engine, generated: Generated) -> None:
    calls = rows(engine, 'SELECT seq, ts FROM "call" ORDER BY seq')
    assert [seq for seq, _ in calls] == list(range(1, len(calls) + 1))
    assert [ts for _, ts in calls] == sorted(ts for _, ts in calls)
    assert one(engine, "SELECT value FROM hall_sequence WHERE name = 'calls'") == len(calls)
    called = one(engine, "SELECT count(*) FROM ticket WHERE first_called_at IS NOT NULL")
    assert one(engine, "SELECT count(*) FROM \"call\" WHERE kind = 'call'") == called
    assert one(engine, "SELECT count(*) FROM \"call\" WHERE kind = 'recall'") == one(
        engine, "SELECT sum(recall_count) FROM ticket"
    )


def test_events_record_every_step(engine: Engine, generated: Generated) -> None:
    kinds = dict(rows(engine, "SELECT kind, count(*) FROM event GROUP BY kind"))
    first_tickets = one(engine, "SELECT count(*) FROM ticket WHERE parent_ticket_id IS NULL")
    assert kinds["issue"] == first_tickets
    assert kinds["finish"] == one(engine, "SELECT count(*) FROM ticket WHERE state = 'done'")
    assert kinds["no_show"] == one(engine, "SELECT count(*) FROM ticket WHERE state = 'no_show'")
    assert (
        kinds["transfer"]
        == kinds["transferred_in"]
        == one(engine, "SELECT count(*) FROM ticket WHERE state = 'transferred'")
    )
    assert kinds["rating"] == one(engine, "SELECT count(*) FROM rating")
    assert kinds["pause"] == kinds["resume_window"] == one(engine, "SELECT count(*) FROM pause")
    assert (
        kinds["sign_in"]
        == kinds["sign_out"]
        == kinds["window_close"]
        == one(engine, "SELECT count(*) FROM window_shift")
    )


def test_every_channel_and_the_weekend_service_are_there(engine: Engine, generated: Generated) -> None:
    channels = dict(
        rows(
            engine,
            "SELECT CASE WHEN special THEN 'special' WHEN appointment_id IS NOT NULL THEN 'appointment' "
            "WHEN device_id IS NOT NULL THEN 'kiosk' ELSE 'desk' END, count(*) FROM ticket "
            "WHERE parent_ticket_id IS NULL GROUP BY 1",
        )
    )
    assert set(channels) == {"special", "appointment", "kiosk", "desk"}
    assert one(engine, "SELECT count(*) FROM special_grant") == channels["special"]
    kept = one(engine, "SELECT count(*) FROM appointment WHERE state = 'checked_in'")
    assert kept == channels["appointment"]
    # The Saturday: only weekend windows served, only weekend services were issued.
    saturday = rows(
        engine,
        "SELECT DISTINCT w.weekend, s.code FROM ticket t JOIN service s ON s.id = t.service_id "
        "LEFT JOIN \"window\" w ON w.id = t.window_id WHERE t.service_day = '2026-11-21'",
    )
    assert saturday and {code for _, code in saturday} <= {"A", "C", "F"}
    assert all(weekend in (None, True, 1) for weekend, _ in saturday)


def test_cases_ratings_and_counters(engine: Engine, generated: Generated) -> None:
    cases = one(engine, "SELECT count(*) FROM case_file")
    assert cases == one(engine, "SELECT count(*) FROM ticket WHERE case_number IS NOT NULL") > 0
    assert (
        one(
            engine,
            "SELECT count(*) FROM case_file c JOIN ticket t ON t.id = c.ticket_id "
            "WHERE t.case_number <> c.case_number",
        )
        == 0
    )
    bad = one(engine, "SELECT count(*) FROM rating WHERE bad")
    assert one(engine, "SELECT count(*) FROM rectification") == bad
    counters = rows(
        engine,
        # A transfer's child keeps the number of its first service: it is not numbered by its new one.
        "SELECT c.value, (SELECT max(seq) FROM ticket t WHERE t.service_id = c.service_id "
        "AND t.service_day = c.day AND t.parent_ticket_id IS NULL) FROM ticket_counter c",
    )
    assert counters and all(value == top for value, top in counters)


def test_the_next_row_the_server_writes_gets_a_fresh_id(engine: Engine, generated: Generated) -> None:
    """PostgreSQL: the id sequences were moved past the generated ids."""
    top = one(engine, "SELECT max(id) FROM event")
    with engine.begin() as conn:
        new = conn.execute(
            sa.text(
                "INSERT INTO event (hall_id, ts, kind, data) "
                "VALUES (1, CURRENT_TIMESTAMP, 'probe', '{}') RETURNING id"
            )
        ).scalar_one()
    assert new > top


def _dump(url: str, scale: Scale, seed: int) -> dict[str, list[Any]]:
    engine = init_db(url)
    try:
        generate(engine, scale, seed=seed, last_day=LAST_DAY)
        tables = ("ticket", '"call"', "event", "appointment", "rating", "case_file", "pause", "window_shift")
        return {table: rows(engine, f"SELECT * FROM {table} ORDER BY id") for table in tables}  # noqa: S608
    finally:
        engine.dispose()


def test_the_same_seed_gives_the_same_rows_whatever_the_chunks(tmp_path: Path) -> None:
    one_day_chunks = _dump(
        f"sqlite:///{tmp_path / 'a.db'}", Scale(days=3, per_day=120, chunk_days=1), seed=11
    )
    one_chunk = _dump(f"sqlite:///{tmp_path / 'b.db'}", Scale(days=3, per_day=120, chunk_days=3), seed=11)
    other_seed = _dump(f"sqlite:///{tmp_path / 'c.db'}", Scale(days=3, per_day=120, chunk_days=3), seed=12)
    assert one_day_chunks == one_chunk
    assert one_chunk["ticket"] != other_seed["ticket"]


def test_a_hall_with_tickets_is_refused(engine: Engine, generated: Generated) -> None:
    with pytest.raises(RuntimeError, match="already has tickets"):
        generate(engine, SMALL, seed=7, last_day=LAST_DAY)


def test_a_weekend_make_up_working_day_is_served_as_a_working_day(tmp_path: Path) -> None:
    """2026-10-10 is a Saturday worked instead of a holiday (调休): the weekday hours apply."""
    engine = init_db(f"sqlite:///{tmp_path / 'hallq.db'}")
    try:
        done = generate(engine, Scale(days=1, per_day=100, chunk_days=1), seed=3, last_day=date(2026, 10, 10))
        assert (done.first_day, done.tickets > 50) == (date(2026, 10, 10), True)
        # Services that are closed on rest days were open: it was a working day.
        assert (
            one(
                engine,
                "SELECT count(*) FROM ticket t JOIN service s ON s.id = t.service_id WHERE s.code = 'B'",
            )
            > 0
        )
    finally:
        engine.dispose()
