"""The staff lists beside the evaluation: current stints at a window (rotation), overdue cases per person."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, bindparam, text
from sqlmodel import col, select

from queue_server.services.engine.tx import Tx
from queue_server.services.people.staff import rotation_due
from queue_server.stats.dialect import dialect_of
from queue_server.stats.query import PROMISED_TYPES
from queue_server.store.tables import Staff, Window, WindowShift


def stints(tx: Tx) -> list[tuple[Staff, Window, date]]:
    """Each active person's current stint: the window of their latest shift and the hall-local day the
    unbroken run of shifts there began (the rule of the sign-in's rotation flag)."""
    shifts = tx.session.exec(
        select(WindowShift.staff_id, WindowShift.window_id, WindowShift.started_at)
        .where(WindowShift.hall_id == tx.hall_id)
        .order_by(col(WindowShift.staff_id), col(WindowShift.started_at).desc())
    )
    current: dict[int, tuple[int, date]] = {}
    broken: set[int] = set()
    for staff_id, window_id, started_at in shifts:
        if staff_id in broken:
            continue
        if staff_id in current and current[staff_id][0] != window_id:
            broken.add(staff_id)
            continue
        current[staff_id] = (window_id, started_at.astimezone(tx.zone).date())
    people = {
        s.id: s for s in tx.session.exec(select(Staff).where(Staff.hall_id == tx.hall_id, col(Staff.active)))
    }
    windows = {w.id: w for w in tx.session.exec(select(Window).where(Window.hall_id == tx.hall_id))}
    return [
        (people[staff_id], windows[window_id], since)
        for staff_id, (window_id, since) in sorted(current.items())
        if staff_id in people and window_id in windows
    ]


def overdue_cases_by_staff(tx: Tx, first: date, last: date) -> dict[int, int]:
    """Promised cases due in ``first``..``last`` that were closed after their deadline or are still
    open past it, per person who accepted them (the staff of the case's ticket)."""
    d = dialect_of(tx.conn.dialect.name)
    closed_day = d.local_day("c.closed_at", "c.hall_id")
    open_late = "c.closed_at IS NULL AND c.deadline < :today"
    late = f"({open_late}) OR (c.closed_at IS NOT NULL AND {closed_day} > c.deadline)"
    sql = text(
        "SELECT t.staff_id, COUNT(*) FROM case_file c JOIN ticket t ON t.id = c.ticket_id "  # noqa: S608  (no input in it)
        f"WHERE c.hall_id = :hall AND c.deadline BETWEEN :lo AND :hi AND c.case_type IN {PROMISED_TYPES} "
        "AND t.staff_id IS NOT NULL "
        f"AND ({late}) GROUP BY t.staff_id"
    ).bindparams(*(bindparam(n, type_=Date()) for n in ("lo", "hi", "today")))
    rows = tx.conn.execute(sql, {"hall": tx.hall_id, "lo": first, "hi": last, "today": tx.today}).all()
    return {int(staff_id): int(n) for staff_id, n in rows}


__all__ = ["overdue_cases_by_staff", "rotation_due", "stints"]
