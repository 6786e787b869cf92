"""Supervision over what is still open from earlier days, at runtime, on SQLite and PostgreSQL: promised
cases raise when due within the hall's working days or overdue, and no earlier; they resolve when the
case closes. On SQLite the reads the monitor sends seek the open cases and the unrectified bad
ratings through their indexes (migration 0023) instead of walking the hall's history."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from harness.factories import HallFixture
from harness.statements import captured_statements
from queue_server.store import tables as t


def _case(hall: HallFixture, number: str, deadline: date | None, *, closed: bool = False) -> None:
    now = hall.clock()
    with Session(hall.engine) as session:
        session.add(
            t.Case(
                hall_id=hall.hall_id,
                case_number=f"{hall.code}-{number}",
                case_type="promised",
                accepted_on=now.date() - timedelta(days=20),
                deadline=deadline,
                created_at=now,
                closed_at=now if closed else None,
            )
        )
        session.commit()


def _close(hall: HallFixture, number: str) -> None:
    with Session(hall.engine) as session:
        case = session.exec(select(t.Case).where(t.Case.case_number == f"{hall.code}-{number}")).one()
        case.closed_at = hall.clock()
        session.add(case)
        session.commit()


def test_promised_cases_raise_from_the_horizon_and_resolve_when_closed(hall: HallFixture) -> None:
    monitor = hall.services.supervision
    today = hall.clock().date()  # Wednesday 2025-03-12; the default horizon: one working day
    _case(hall, "overdue", today - timedelta(days=1))
    _case(hall, "today", today)
    _case(hall, "thursday", today + timedelta(days=1))  # the horizon itself
    _case(hall, "friday", today + timedelta(days=2))  # past it
    _case(hall, "closed", today - timedelta(days=2), closed=True)
    _case(hall, "no-deadline", None)

    assert sorted(monitor.evaluate(hall.code).raised) == [
        f"case_due_soon:{hall.code}-thursday",
        f"case_due_soon:{hall.code}-today",
        f"case_overdue:{hall.code}-overdue",
    ]
    hall.clock.advance(days=1)  # Thursday: Friday's case enters the horizon, Wednesday's is overdue
    _close(hall, "overdue")
    result = monitor.evaluate(hall.code)
    key = f"{{}}:{hall.code}-{{}}".format
    assert sorted(result.raised) == [key("case_due_soon", "friday"), key("case_overdue", "today")]
    assert sorted(result.resolved) == [key("case_due_soon", "today"), key("case_overdue", "overdue")]


def test_the_monitor_seeks_open_cases_and_unrectified_ratings_by_index(hall: HallFixture) -> None:
    if hall.engine.dialect.name != "sqlite":
        pytest.skip("the plan read is SQLite's; PostgreSQL chooses by its statistics")
    _case(hall, "due", hall.clock().date())
    with captured_statements(hall.engine) as seen:
        hall.services.supervision.evaluate(hall.code)
    plans: dict[str, str] = {}
    with hall.engine.connect() as conn:
        for statement, parameters in seen:
            for table in ("case_file", "rating"):
                if statement.lstrip().startswith("SELECT") and f"FROM {table}" in statement:
                    rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                    plans[table] = " | ".join(str(row[-1]) for row in rows)
    assert "USING INDEX ix_case_file_open" in plans["case_file"], plans
    assert "USING INDEX ix_rating_unrectified" in plans["rating"], plans
