"""Reads of the rollup tables: sums over a range of days, grouped by one column, in SQL.

Every read is one GROUP BY over rows of the chosen halls and days. Where the scope names sealed months
(``Scope.months``, ``stats/months.py``), the rollups read their month rows for those months and their
day rows for the other days (``_source``): a year is about twelve month rows per key plus the days of
the partial months. The only read of ``ticket`` is ``live_waiting``: today's tickets still waiting
(the queue as it stands, for the service level of the current day).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, bindparam, text
from sqlalchemy.sql.elements import TextClause

from queue_server.domain.cases import CaseType
from queue_server.stats.months import MONTH, month_table, segments
from queue_server.stats.rollups import (
    APPOINTMENTS,
    CASES,
    ENQUIRIES,
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
    # Per rollup table: the sealed months (wholly in the range, over before ``today``) read as month rows.
    months: Mapping[str, tuple[date, ...]] = field(default_factory=dict)


_SEGMENT = re.compile(r":([ab]\d+)\b")


def _text(sql: str) -> TextClause:
    binds: list[Any] = [bindparam("halls", expanding=True)]
    names = [n for n in ("lo", "hi", "today") if f":{n}" in sql] + sorted(set(_SEGMENT.findall(sql)))
    binds += [bindparam(n, type_=Date()) for n in names]
    binds += [bindparam(n, expanding=True, type_=Date()) for n in ("days", "months") if f":{n}" in sql]
    return text(sql).bindparams(*binds)


def _source(
    rollup: Rollup, scope: Scope, columns: Callable[[str], str], where: str = ""
) -> tuple[str, dict[str, Any]]:
    """The rollup's rows over the scope's days, as one UNION ALL: month rows of its sealed months, day
    rows of the other days. ``columns(day)`` is the select list, ``day`` the name of the row's day
    column (``month`` in month rows, holding the month's first day); ``where`` more conditions, with
    ``{day}`` for that name."""
    sealed = scope.months.get(rollup.table, ())
    parts: list[str] = []
    params: dict[str, Any] = {}
    if sealed:
        parts.append(
            f"SELECT {columns(MONTH)} FROM {month_table(rollup)} "
            f"WHERE hall_id IN :halls AND {MONTH} IN :months{where.format(day=MONTH)}"
        )
        params["months"] = list(sealed)
    for i, (lo, hi) in enumerate(segments(scope.first, scope.last, sealed)):
        parts.append(
            f"SELECT {columns(rollup.day)} FROM {rollup.table} "
            f"WHERE hall_id IN :halls AND {rollup.day} BETWEEN :a{i} AND :b{i}{where.format(day=rollup.day)}"
        )
        params[f"a{i}"], params[f"b{i}"] = lo, hi
    return " UNION ALL ".join(parts), params


def _group(rollup: Rollup, by: str | None, day: str) -> str:
    """The group column of a ``_source`` part: the part's day column when grouping by day."""
    if by is None:
        return "''"
    return day if by == rollup.day else by


def _params(scope: Scope, **more: Any) -> dict[str, Any]:
    return {"halls": list(scope.hall_ids), "lo": scope.first, "hi": scope.last, "today": scope.today, **more}


def key_text(value: object) -> str:
    """A group value as the report's key: days as ISO dates, numbers and text as text."""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _rows(conn: Connection, sql: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = conn.execute(_text(sql), params)
    names = list(result.keys())[1:]  # after "g"
    return {key_text(row[0]): dict(zip(names, row[1:], strict=True)) for row in result.all()}


_TICKET_MEASURES = ", ".join(TICKETS.measure_names)
_TICKET_SUMS = ", ".join(f"SUM({m}) AS {m}" for m in TICKETS.measure_names)


def ticket_sums(conn: Connection, scope: Scope, dim: str, by: str) -> dict[str, dict[str, Any]]:
    """``stats_ticket`` sums of one dim, grouped by ``by`` (``dim_key``, ``service_day`` or
    ``hall_id``); ``abandoned`` = still waiting after their day."""

    def columns(day: str) -> str:
        # A sealed month is over before today: all it still has waiting was abandoned.
        abandoned = "waiting" if day == MONTH else "CASE WHEN service_day < :today THEN waiting ELSE 0 END"
        return f"{_group(TICKETS, by, day)} AS g, {_TICKET_MEASURES}, {abandoned} AS abandoned"

    source, params = _source(TICKETS, scope, columns, " AND dim = :dim")
    sql = f"SELECT g, {_TICKET_SUMS}, SUM(abandoned) AS abandoned FROM ({source}) AS u GROUP BY g"
    rows = _rows(conn, sql, _params(scope, dim=dim, **params))
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


def calls_after(
    conn: Connection, scope: Scope, closings: Mapping[int, Mapping[date, int]]
) -> list[tuple[int, date, int]]:
    """Tickets first called at or after their day's closing time, per hall and day: (hall id, day,
    tickets). ``closings``: per hall, the closing minute of each day that has one. One read per hall
    and closing time (a hall closes at a few times: weekdays, Saturdays), summed in SQL."""
    out: list[tuple[int, date, int]] = []
    for hall_id, days in closings.items():
        by_closing: dict[int, list[date]] = {}
        for day, minute in days.items():
            by_closing.setdefault(minute, []).append(day)
        for minute, some in by_closing.items():
            # Slots are four-digit minutes: compared as text, in the order of the minutes.
            sql = (
                "SELECT service_day AS g, SUM(visits) AS n FROM stats_ticket WHERE hall_id IN :halls "
                "AND dim = 'call_slot' AND service_day IN :days AND dim_key <> '-' AND dim_key >= :slot "
                "GROUP BY service_day"
            )
            params = {"halls": [hall_id], "days": some, "slot": f"{minute:04d}"}
            out += [(hall_id, _day(g), int(n or 0)) for g, n in conn.execute(_text(sql), params).all()]
    return out


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def side_sums(conn: Connection, rollup: Rollup, scope: Scope, by: str | None) -> dict[str, dict[str, Any]]:
    """Sums of a side rollup (ratings, pauses, shifts, …) grouped by one key column (None: one row
    keyed "")."""
    names = rollup.measure_names
    source, params = _source(rollup, scope, lambda day: f"{_group(rollup, by, day)} AS g, {', '.join(names)}")
    sums = ", ".join(f"SUM({m}) AS {m}" for m in names)
    if by is None:  # one row, even when no row matches (as a plain SUM without GROUP BY answers)
        return _rows(conn, f"SELECT '' AS g, {sums} FROM ({source}) AS u", _params(scope, **params))
    return _rows(conn, f"SELECT g, {sums} FROM ({source}) AS u GROUP BY g", _params(scope, **params))


def pauses_by_reason(conn: Connection, scope: Scope, by: str | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Pauses and paused ms per group and reason."""
    source, params = _source(
        PAUSES, scope, lambda day: f"{_group(PAUSES, by, day)} AS g, reason, pauses, paused_ms"
    )
    sql = (
        f"SELECT g, reason, SUM(pauses) AS pauses, SUM(paused_ms) AS paused_ms FROM ({source}) AS u "
        "GROUP BY g, reason"
    )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for g, reason, pauses, paused_ms in conn.execute(_text(sql), _params(scope, **params)).all():
        out.setdefault(key_text(g), {})[reason] = {
            "pauses": int(pauses or 0),
            "paused_ms": int(paused_ms or 0),
        }
    return out


def cases_by_type(conn: Connection, scope: Scope, by: str | None) -> dict[str, dict[str, int]]:
    source, params = _source(CASES, scope, lambda day: f"{_group(CASES, by, day)} AS g, case_type, cases")
    sql = f"SELECT g, case_type, SUM(cases) AS n FROM ({source}) AS u GROUP BY g, case_type"
    out: dict[str, dict[str, int]] = {}
    for g, case_type, n in conn.execute(_text(sql), _params(scope, **params)).all():
        out.setdefault(key_text(g), {})[case_type] = int(n or 0)
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
    source, params = _source(
        APPOINTMENTS,
        scope,
        lambda day: f"{_group(APPOINTMENTS, by, day)} AS g, pending",
        " AND {day} < :today",
    )
    sql = f"SELECT g, SUM(pending) AS n FROM ({source}) AS u GROUP BY g"
    return {k: int(v["n"] or 0) for k, v in _rows(conn, sql, _params(scope, **params)).items()}


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
    """Enquiries per (hall, day, clerk, service code, matter code) of the range (the first day of the
    month for a sealed month's)."""
    source, params = _source(
        ENQUIRIES, scope, lambda day: f"hall_id, {day} AS day, staff_id, service, matter, enquiries"
    )
    sql = (
        f"SELECT hall_id, day, staff_id, service, matter, SUM(enquiries) FROM ({source}) AS u "
        "GROUP BY hall_id, day, staff_id, service, matter"
    )
    rows = conn.execute(_text(sql), _params(scope, **params)).all()
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
