"""A report's reads of a long history on PostgreSQL go through their indexes. The planner chooses by its
statistics, so ``stats_ticket`` is filled as a year of a large hall fills it (every dim, a hundred keys
a day, 300 days) and analysed before the plan of the statement the report sends is read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from harness.statements import captured_statements
from queue_server.stats import query
from queue_server.stats.rollups import CALL_SLOT_MIN, DIMS
from queue_server.store import init_db

# After today (so the month triggers, which act on past days only, stay out of the fill).
FIRST = datetime.now(UTC).date() + timedelta(days=30)
DAYS = 300
CLOSING = 17 * 60  # 17:00, as a minute of the day
FIRST_SLOT = 10 * 60
SLOTS = 100  # per day, five minutes apart: 10:00 … 18:15, the last 16 at or after closing


def _fill(url: str) -> None:
    engine = init_db(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO stats_ticket (hall_id, dim, service_day, dim_key, visits) "
                    "SELECT 1, d.dim, :first + day, lpad((:start + :step * k)::text, 4, '0'), 1 "
                    "FROM unnest(CAST(:dims AS text[])) AS d(dim), generate_series(0, :days - 1) AS day, "
                    "generate_series(0, :slots - 1) AS k"
                ),
                {
                    "first": FIRST,
                    "start": FIRST_SLOT,
                    "step": CALL_SLOT_MIN,
                    "dims": list(DIMS),
                    "days": DAYS,
                    "slots": SLOTS,
                },
            )
            conn.exec_driver_sql("ANALYZE stats_ticket")
    finally:
        engine.dispose()


def test_extended_hours_calls_read_the_call_slot_rows_by_index(pg_url: str) -> None:
    _fill(pg_url)
    engine = init_db(pg_url)
    try:
        weekdays = [
            FIRST + timedelta(days=i) for i in range(DAYS) if (FIRST + timedelta(days=i)).weekday() < 5
        ]
        scope = query.Scope((1,), FIRST, FIRST + timedelta(days=DAYS - 1), today=FIRST + timedelta(days=DAYS))
        with captured_statements(engine) as seen, engine.connect() as conn:
            answered = query.calls_after(conn, scope, {1: dict.fromkeys(weekdays, CLOSING)})
        late = sum(1 for k in range(SLOTS) if FIRST_SLOT + CALL_SLOT_MIN * k >= CLOSING)
        assert late == 16
        assert sorted(answered) == [(1, day, late) for day in weekdays]
        ((statement, parameters),) = seen
        with engine.connect() as conn:
            plan = "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters))
    finally:
        engine.dispose()
    assert "ix_stats_ticket_call_slot" in plan, plan
