"""The month layer (``stats/months.py``): a sealed month's rows stay the sum of its day rows whatever
happens to its days afterwards, and a report read through month rows answers exactly what the day rows
answer, for random ranges (cutting months, reaching into the open month). Migration 0018 seals the
months of a database that was at 0017, and ``hallq stats rebuild`` seals them again."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text

from harness.factories import SHANGHAI, HallFixture, build_hall
from queue_server.errors import HallqError
from queue_server.stats import months
from queue_server.stats.rebuild import rebuild
from queue_server.stats.report import GROUPS
from queue_server.stats.rollups import ROLLUPS
from queue_server.store.migrate import alembic_config, upgrade
from queue_server.store.tables.stats import STATS_TABLES
from tests.stats.test_rollups_property import OPS, _apply

FIRST = date(2025, 3, 3)  # a Monday; the history spans March to June 2025
TODAY = date(2025, 6, 18)  # the clock's day when reports run: June is the open month
DAYS = (TODAY - FIRST).days


def _play(hall: HallFixture, day: date, ops: list[tuple[Any, ...]]) -> None:
    hall.clock.set(datetime.combine(day, time(9, 30), SHANGHAI))
    for op in [("open", "1"), ("open", "4"), *ops]:
        with contextlib.suppress(HallqError):  # not allowed in this state: the history goes on without it
            _apply(hall, op)


def _seal(hall: HallFixture) -> int:
    return months.seal_missing(hall.engine, hall.hall_id, months.complete_months(FIRST, TODAY, TODAY))


def _nonzero(row: dict[str, Any], names: tuple[str, ...]) -> bool:
    return any(row[m] for m in names)


def _month_rows_equal_day_sums(engine: Engine, hall_id: int) -> int:
    """Every sealed month's rows equal the sums of its day rows; returns how many months were checked."""
    checked = 0
    with engine.connect() as conn:
        markers = conn.execute(
            text("SELECT rollup, month FROM stats_month WHERE hall_id = :h"), {"h": hall_id}
        ).all()
        sealed = {(str(t), str(m)) for t, m in markers}
        for rollup in ROLLUPS:
            names = rollup.measure_names
            expected: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
            table = STATS_TABLES[rollup.table]
            rows = conn.execute(select(table).where(table.c.hall_id == hall_id)).mappings()
            for row in rows:
                month = str(row[rollup.day])[:8] + "01"
                if (rollup.table, month) not in sealed:
                    continue
                key = tuple(month if name == rollup.day else str(row[name]) for name, _k, _e in rollup.keys)
                for m in names:
                    expected[key][m] += int(row[m])
            by_month = STATS_TABLES[months.month_table(rollup)]
            stored = conn.execute(select(by_month).where(by_month.c.hall_id == hall_id)).mappings()
            got = {
                tuple(str(row[name]) for name, _k in months.month_keys(rollup)): {
                    m: int(row[m]) for m in names
                }
                for row in stored
                if _nonzero(dict(row), names)
            }
            want = {k: dict(v) for k, v in expected.items() if any(v.values())}
            assert got == want, rollup.table
            checked += len({m for t, m in sealed if t == rollup.table})
    return checked


def _answers(hall: HallFixture, ranges: list[tuple[date, date]]) -> dict[tuple[Any, ...], Any]:
    s = hall.services
    out: dict[tuple[Any, ...], Any] = {}
    for first, last in ranges:
        for group in GROUPS:
            result = s.statistics(hall.code, first, last, group, actor=hall.manager)
            out[first, last, group] = result.model_dump()
    return out


DAY = st.integers(0, DAYS + 10)
RANGES = st.lists(st.tuples(DAY, st.integers(0, 120)), min_size=1, max_size=2)
HISTORY = st.lists(
    st.tuples(st.integers(0, DAYS), st.lists(OPS, min_size=4, max_size=12)), min_size=2, max_size=4
)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=HISTORY, late=st.lists(OPS, min_size=3, max_size=10), late_day=st.integers(0, 80), ranges=RANGES
)
def test_month_rows_answer_as_the_day_rows(
    hall: HallFixture,
    history: list[tuple[int, list[tuple[Any, ...]]]],
    late: list[tuple[Any, ...]],
    late_day: int,
    ranges: list[tuple[int, int]],
) -> None:
    for offset, ops in sorted(history):
        _play(hall, FIRST + timedelta(days=offset), ops)
    _play(hall, TODAY, [])  # the open month has a day too
    _seal(hall)
    # Changes to the days of sealed months after the seal: the triggers carry them into the month rows.
    _play(hall, FIRST + timedelta(days=late_day), late)
    hall.clock.set(datetime.combine(TODAY, time(16, 0), SHANGHAI))
    assert _month_rows_equal_day_sums(hall.engine, hall.hall_id) > 0

    spans = [
        (FIRST + timedelta(days=a), min(FIRST + timedelta(days=a + n), FIRST + timedelta(days=a + 365)))
        for a, n in ranges
    ]
    spans.append((FIRST, TODAY))  # whole months and the open one
    with_months = _answers(hall, spans)
    with hall.engine.begin() as conn:
        months.unseal(conn, hall.hall_id, FIRST, TODAY)
    assert _answers(hall, spans) == with_months
    _seal(hall)


def _downgrade_to_0017(engine: Engine) -> None:
    """The database as it was at 0017: no month tables, no month triggers."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0017")
        for table in (*(months.month_table(r) for r in ROLLUPS), months.MARKERS):
            STATS_TABLES[table].drop(conn)


def test_migration_0018_and_rebuild_seal_the_months_of_a_history(db_url: str) -> None:
    hall = build_hall(db_url)
    try:
        for i, offset in enumerate((0, 20, 40, 75, DAYS)):
            ops = [op for op in _DAY_OPS if i % 2 or op[0] != "rate"]
            _play(hall, FIRST + timedelta(days=offset), ops)
        hall.clock.set(datetime.combine(TODAY, time(16, 0), SHANGHAI))
        year = [(FIRST, TODAY), (FIRST + timedelta(days=10), TODAY - timedelta(days=3))]
        before = _answers(hall, year)  # nothing sealed yet: read from the day rows alone
        _downgrade_to_0017(hall.engine)

        # 0018 creates the layer and seals every month over by the machine's clock (June 2025 too: the
        # reports at the hall's clock on June 18 read June's day rows all the same).
        upgrade(hall.engine)
        with hall.engine.connect() as conn:
            sealed = conn.execute(text("SELECT DISTINCT month FROM stats_month")).scalars().all()
        assert sorted(str(m) for m in sealed) == ["2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01"]
        assert _month_rows_equal_day_sums(hall.engine, hall.hall_id) == 4 * len(ROLLUPS)
        assert _answers(hall, year) == before

        # Unseals each month it rewrites and seals it again (up to the hall's yesterday: it would store
        # the hall's today as over, by the machine's clock, and its idle time to midnight).
        rebuild(hall.engine, hall.code, FIRST, TODAY - timedelta(days=1))
        assert _month_rows_equal_day_sums(hall.engine, hall.hall_id) == 4 * len(ROLLUPS)
        assert _answers(hall, year) == before
        _play(hall, FIRST + timedelta(days=21), _DAY_OPS)  # a late change to sealed April
        hall.clock.set(datetime.combine(TODAY, time(16, 0), SHANGHAI))
        assert _month_rows_equal_day_sums(hall.engine, hall.hall_id) == 4 * len(ROLLUPS)
        assert _answers(hall, year) != before
    finally:
        hall.close()


_DAY_OPS: list[tuple[Any, ...]] = [
    ("issue", "A", "kiosk"),
    ("issue", "B", "desk"),
    ("issue", "C", "elderly"),
    ("special", "A"),
    ("advance", 12),
    ("visit", "1", "finish", 9),
    ("visit", "4", "no_show", 3),
    ("pause", "1"),
    ("advance", 5),
    ("resume", "1"),
    ("visit", "1", "transfer", 6),
    ("rate", "1", 2),
    ("enquiry", "A01", "A"),
    ("close", "4"),
]
