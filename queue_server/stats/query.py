"""Reads of the rollup tables: sums over a range of days, grouped by one column, in SQL.

Every read is one GROUP BY over rows of the chosen halls and days, at most a few tens of thousands for
a year; the only read of ``ticket`` is ``live_waiting``: today's tickets still waiting (the queue as it
stands, for the service level of the current day).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, bindparam, text
from sqlalchemy.sql.elements import TextClause

from queue_server.domain.cases import CaseType
from queue_server.stats.rollups import (
    APPOINTMENTS,
    CASES,
    EXTENDED,
    PAUSES,
    RATINGS,
    SHIFTS,
    TICKETS,
    Rollup,
)
from queue_server.store.types import UTCDateTime

# The case types with a promised deadline (an immediate case is due the day it is accepted, on the spot).
PROMISED_TYPES = "({})".format(
    ", ".join(
        f"'{t.value}'" for t in (CaseType.PROMISED, CaseType.JOINT, CaseType.APPROVAL, CaseType.SPECIAL)
    )
)


@dataclass(frozen=True)
class Scope:
    """Which halls and hall-local days a report covers, and the current day (for "still waiting")."""

    hall_ids: tuple[int, ...]
    first: date
    last: date
    today: date


def _text(sql: str) -> TextClause:
    binds: list[Any] = [bindparam("halls", expanding=True)]
    binds += [bindparam(n, type_=Date()) for n in ("lo", "hi", "today") if f":{n}" in sql]
    if ":days" in sql:
        binds.append(bindparam("days", expanding=True, type_=Date()))
    return text(sql).bindparams(*binds)


def _params(scope: Scope, **more: Any) -> dict[str, Any]:
    return {"halls": list(scope.hall_ids), "lo": scope.first, "hi": scope.last, "today": scope.today, **more}


def key_text(value: object) -> str:
    """A group value as the report's key: days as ISO dates, numbers and text as text."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in conn.execute(_text(sql), params).mappings():
        values = dict(row)
        out[key_text(values.pop("g"))] = values
    return out


_TICKET_SUMS = ", ".join(f"SUM({m}) AS {m}" for m in TICKETS.measure_names)


def ticket_sums(conn: Connection, scope: Scope, dim: str, by: str) -> dict[str, dict[str, Any]]:
    """``stats_ticket`` sums of one dim, grouped by ``by`` (``dim_key``, ``service_day`` or
    ``hall_id``); ``abandoned`` = still waiting after their day."""
    sql = (
        f"SELECT {by} AS g, {_TICKET_SUMS}, "
        "SUM(CASE WHEN service_day < :today THEN waiting ELSE 0 END) AS abandoned "
        "FROM stats_ticket WHERE hall_id IN :halls AND dim = :dim AND service_day BETWEEN :lo AND :hi "
        f"GROUP BY {by}"
    )
    rows = _rows(conn, sql, _params(scope, dim=dim))
    # A ticket that moved on (called: from window 0 to its window) leaves zeros where it was counted.
    return {key: row for key, row in rows.items() if any(row.values())}


def issued_on(conn: Connection, scope: Scope, dim: str, by: str, days: Sequence[date]) -> dict[str, int]:
    """Tickets issued on some of the days (the weekends and holidays), grouped as ``ticket_sums``."""
    if not days:
        return {}
    sql = (
        f"SELECT {by} AS g, SUM(issued) AS n FROM stats_ticket WHERE hall_id IN :halls AND dim = :dim "
        f"AND service_day IN :days GROUP BY {by}"
    )
    return {
        k: int(v["n"] or 0) for k, v in _rows(conn, sql, _params(scope, dim=dim, days=list(days))).items()
    }


def calls_after(conn: Connection, scope: Scope, slot: str) -> list[tuple[int, date, int, int]]:
    """Tickets first called in a 5-minute slot at or after ``slot`` (minutes as four digits), per hall
    and day: (hall id, day, slot minute, tickets)."""
    sql = (
        "SELECT hall_id, service_day, dim_key, SUM(visits) AS n FROM stats_ticket "
        "WHERE hall_id IN :halls AND dim = 'call_slot' AND service_day BETWEEN :lo AND :hi "
        "AND dim_key <> '-' AND dim_key >= :slot GROUP BY hall_id, service_day, dim_key"
    )
    rows = conn.execute(_text(sql), _params(scope, slot=slot)).all()
    return [(int(h), _day(d), int(k), int(n or 0)) for h, d, k, n in rows]


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def side_sums(
    conn: Connection, rollup: Rollup, scope: Scope, by: str | None, *, day: str | None = None
) -> dict[str, dict[str, Any]]:
    """Sums of a side rollup (ratings, pauses, shifts, …) grouped by one key column (None: one row
    keyed ""), over the days of ``day`` (default: the rollup's day column)."""
    day = day or rollup.day
    sums = ", ".join(f"SUM({m}) AS {m}" for m in rollup.measure_names)
    group = by or "''"
    tail = f" GROUP BY {by}" if by else ""
    sql = (
        f"SELECT {group} AS g, {sums} FROM {rollup.table} "
        f"WHERE hall_id IN :halls AND {day} BETWEEN :lo AND :hi{tail}"
    )
    return _rows(conn, sql, _params(scope))


def pauses_by_reason(conn: Connection, scope: Scope, by: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Pauses and paused ms per group and reason."""
    group = by or "''"
    tail = f", {by}" if by else ""
    sql = (
        f"SELECT {group} AS g, reason, SUM(pauses) AS pauses, SUM(paused_ms) AS paused_ms FROM stats_pause "
        f"WHERE hall_id IN :halls AND day BETWEEN :lo AND :hi GROUP BY reason{tail}"
    )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in conn.execute(_text(sql), _params(scope)).mappings():
        out.setdefault(key_text(row["g"]), {})[row["reason"]] = {
            "pauses": int(row["pauses"] or 0),
            "paused_ms": int(row["paused_ms"] or 0),
        }
    return out


def cases_by_type(conn: Connection, scope: Scope, by: str | None) -> dict[str, dict[str, int]]:
    group = by or "''"
    tail = f", {by}" if by else ""
    sql = (
        f"SELECT {group} AS g, case_type, SUM(cases) AS n FROM stats_case "
        f"WHERE hall_id IN :halls AND day BETWEEN :lo AND :hi GROUP BY case_type{tail}"
    )
    out: dict[str, dict[str, int]] = {}
    for row in conn.execute(_text(sql), _params(scope)).mappings():
        out.setdefault(key_text(row["g"]), {})[row["case_type"]] = int(row["n"] or 0)
    return out


def promised_due(conn: Connection, scope: Scope, by: str | None) -> dict[str, dict[str, int]]:
    """Promised cases whose deadline falls in the range, and how many of them ran late (closed after
    the deadline, or still open past it), grouped by ``by`` (``deadline`` for days)."""
    group = by or "''"
    tail = f" GROUP BY {by}" if by else ""
    sql = (
        f"SELECT {group} AS g, SUM(cases) AS cases, SUM(closed_late) "
        "+ SUM(CASE WHEN deadline < :today THEN cases - closed ELSE 0 END) AS overdue "
        f"FROM stats_case WHERE hall_id IN :halls AND deadline BETWEEN :lo AND :hi "
        f"AND case_type IN {PROMISED_TYPES}{tail}"
    )
    return {
        k: {n: int(v or 0) for n, v in row.items()} for k, row in _rows(conn, sql, _params(scope)).items()
    }


def missed_appointments(conn: Connection, scope: Scope, by: str | None) -> dict[str, int]:
    """Bookings never checked in whose day is over."""
    group = by or "''"
    tail = f" GROUP BY {by}" if by else ""
    sql = (
        f"SELECT {group} AS g, SUM(pending) AS n FROM stats_appointment "
        f"WHERE hall_id IN :halls AND day BETWEEN :lo AND :hi AND day < :today{tail}"
    )
    return {k: int(v["n"] or 0) for k, v in _rows(conn, sql, _params(scope)).items()}


def live_waiting(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """Today's tickets still waiting or held (the live queue): for today's service level."""
    if not scope.first <= scope.today <= scope.last:
        return []
    sql = (
        text(
            "SELECT hall_id, service_id, issued_at, special, appointment_id, device_id, parent_ticket_id, "
            "priority_class FROM ticket WHERE hall_id IN :halls AND service_day = :today "
            "AND state IN ('waiting', 'held')"
        )
        .bindparams(bindparam("halls", expanding=True), bindparam("today", type_=Date()))
        .columns(issued_at=UTCDateTime())
    )
    rows = conn.execute(sql, {"halls": list(scope.hall_ids), "today": scope.today}).mappings()
    return [dict(row) for row in rows]


SIDE_ROLLUPS = {r.table: r for r in (RATINGS, CASES, PAUSES, SHIFTS, APPOINTMENTS, EXTENDED)}


def enquiries(conn: Connection, scope: Scope) -> list[tuple[int, date, int, str, str, int]]:
    """Enquiries per (hall, day, clerk, service code, matter code) of the range."""
    sql = (
        "SELECT hall_id, day, staff_id, service, matter, SUM(enquiries) FROM stats_enquiry "
        "WHERE hall_id IN :halls AND day BETWEEN :lo AND :hi GROUP BY hall_id, day, staff_id, service, matter"
    )
    rows = conn.execute(_text(sql), _params(scope)).all()
    return [(int(h), _day(d), int(st), str(sv), str(m), int(n or 0)) for h, d, st, sv, m, n in rows]


def day_hours(conn: Connection, scope: Scope) -> list[tuple[date, int, int, int, int]]:
    """Per day and hour of issue: (day, hour, issued, called, summed wait ms), for the heatmaps."""
    sql = (
        "SELECT service_day, dim_key, SUM(issued), SUM(visits), SUM(wait_ms) FROM stats_ticket "
        "WHERE hall_id IN :halls AND dim = 'hour' AND service_day BETWEEN :lo AND :hi "
        "GROUP BY service_day, dim_key"
    )
    rows = conn.execute(_text(sql), _params(scope)).all()
    return [(_day(d), int(h), int(i or 0), int(v or 0), int(w or 0)) for d, h, i, v, w in rows]
