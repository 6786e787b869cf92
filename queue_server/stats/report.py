"""A statistics report: the rollup sums of a range of days, grouped one way, turned into figures.

``report(conn, context, scope, group)`` gives the rows (``key``, ``label``, figures) and the total. Every
dim of ``stats_ticket`` counts each ticket once, so the total is the sum of the rows, whatever the
grouping. Figures that do not live in a grouping are left out of its rows (None): window time and
ratings exist per day, window, staff and hall; appointments per day, service, department and hall;
cases per day, department and hall; extended-hours tickets per day and hall; idle time with people
waiting per day, window, staff and hall (``stats/idle.py``); enquiries per day, service, department,
staff (the clerk) and hall.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.schedule import HallSchedule, last_closing
from queue_server.stats import idle, measures, months, query
from queue_server.stats.labels import Names, label_of
from queue_server.stats.query import Scope
from queue_server.stats.rollups import APPOINTMENTS, CASES, EXTENDED, PAUSES, RATINGS, SHIFTS

TIME_GROUPS = ("day", "week", "month", "weekday")
GROUPS = (*TIME_GROUPS, "hour", "service", "window", "staff", "department", "channel", "priority", "hall")

# The ticket dim each grouping reads, and the column its rows come grouped by. Every dim counts each
# ticket once: days and halls read the dim with the fewest keys (four channels a day, not 24 hours).
_TICKET_READ: dict[str, tuple[str, str]] = {
    **dict.fromkeys(TIME_GROUPS, ("channel", "service_day")),
    "hour": ("hour", "dim_key"),
    "service": ("service", "dim_key"),
    "department": ("service", "dim_key"),
    "window": ("window", "dim_key"),
    "staff": ("staff", "dim_key"),
    "channel": ("channel", "dim_key"),
    "priority": ("priority", "dim_key"),
    "hall": ("channel", "hall_id"),
}
# The groupings that need every day's own rows (a sealed month's rows cannot be cut into days).
_BY_DAY = ("day", "week", "weekday")
# The side rollups' key column per grouping (absent: the figure does not exist in that grouping).
_DAY = dict.fromkeys(TIME_GROUPS, "day")
_FLOOR_BY = {**_DAY, "window": "window_id", "staff": "staff_id", "hall": "hall_id"}
_APPOINTMENT_BY = {**_DAY, "service": "service_id", "department": "service_id", "hall": "hall_id"}
_CASE_BY = {**dict.fromkeys(TIME_GROUPS, "day"), "department": "department_id", "hall": "hall_id"}
# The groupings enquiries exist in (by day, service and its department, the clerk, the hall).
_ENQUIRY_GROUPS = (*TIME_GROUPS, "service", "department", "staff", "hall", "total")


@dataclass(frozen=True)
class HallInfo:
    id: int
    code: str
    name: str
    zone: ZoneInfo
    calendar: HallCalendar
    schedule: HallSchedule | None


@dataclass(frozen=True)
class Context:
    halls: Mapping[int, HallInfo]
    names: Names
    now: datetime


def time_key(group: str, day: date) -> str:
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return f"{day:%Y-%m}"
    if group == "weekday":
        return str(day.isoweekday())
    return day.isoformat()


def _folder(group: str, ctx: Context) -> Callable[[str], str]:
    """Maps a rollup row's group value to the report's key."""
    if group == "day":
        return lambda day: day  # already the ISO date (``query.key_text``)
    if group in TIME_GROUPS:
        # Each side read of a year names the same ~300 days again: each day's key is worked out once.
        return functools.cache(lambda day: time_key(group, date.fromisoformat(day)))
    if group == "department":
        return lambda service: str(ctx.names.service_department.get(int(service), 0))
    return lambda key: key


def _fold(rows: Mapping[str, Mapping[str, Any]], fold: Callable[[str], str]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for key, row in rows.items():
        groups.setdefault(fold(key), []).append(row)
    return {
        # One row (every row, grouped by the rows' own key): copied; more: summed column by column.
        key: {n: v for n, v in group[0].items() if v is not None}
        if len(group) == 1
        else measures.total(group)
        for key, group in groups.items()
    }


def _days(scope: Scope) -> list[date]:
    return [scope.first + timedelta(days=i) for i in range((scope.last - scope.first).days + 1)]


def _live_key(group: str, row: Mapping[str, Any], ctx: Context, today: date) -> str:
    hall = ctx.halls[int(row["hall_id"])]
    if group in TIME_GROUPS:
        return time_key(group, today)
    if group == "hour":
        return str(row["issued_at"].astimezone(hall.zone).hour)
    if group in ("service", "department"):
        service = str(row["service_id"])
        return service if group == "service" else str(ctx.names.service_department.get(int(service), 0))
    if group == "channel":
        return _channel(row)
    if group == "priority":
        return str(row["priority_class"] or "")
    if group == "hall":
        return str(hall.id)
    return "0"  # window, staff: nobody has called them


def _channel(row: Mapping[str, Any]) -> str:
    if row["special"]:
        return "special"
    if row["appointment_id"] is not None:
        return "appointment"
    return "kiosk" if row["device_id"] is not None else "desk"


def _live_late(conn: Connection, ctx: Context, scope: Scope, group: str) -> dict[str, dict[str, Any]]:
    """Today's waiting tickets already past their service's target, per report key."""
    out: dict[str, dict[str, Any]] = {}
    for row in query.live_waiting(conn, scope):
        target = ctx.names.service_target_min.get(int(row["service_id"]), 0)
        if ctx.now - row["issued_at"] > timedelta(minutes=target):
            measures.add(out.setdefault(_live_key(group, row, ctx, scope.today), {}), {"live_late": 1})
    return out


def _weekend(conn: Connection, ctx: Context, scope: Scope, group: str) -> dict[str, dict[str, Any]]:
    rest = sorted(
        {d for hall in ctx.halls.values() for d in _days(scope) if not hall.calendar.is_working_day(d)}
    )
    dim, by = _TICKET_READ[group]
    rows = query.issued_on(conn, scope, dim, by, rest)
    return _fold({k: {"weekend_issued": v} for k, v in rows.items()}, _folder(group, ctx))


def _extended(conn: Connection, ctx: Context, scope: Scope) -> list[tuple[int, date, int]]:
    """Tickets first called at or after their day's closing time (延时服务): (hall id, day, tickets)."""
    closings: dict[tuple[int, date], int] = {}
    for hall in ctx.halls.values():
        if hall.schedule is None:
            continue  # always open: no closing, nothing is extended
        for day in _days(scope):
            closes = last_closing(hall.schedule, hall.calendar, day, hall.zone)
            if closes is not None:
                closings[hall.id, day] = closes.hour * 60 + closes.minute
    per_hall: dict[int, dict[date, int]] = {}
    for (hall_id, day), minute in closings.items():
        per_hall.setdefault(hall_id, {})[day] = minute
    return query.calls_after(conn, scope, per_hall)


def _by(table: Mapping[str, str], group: str) -> tuple[bool, str | None]:
    """Whether a side figure exists in the grouping, and its key column (None: the total)."""
    if group == "total":
        return True, None
    return group in table, table.get(group)


Raw = dict[str, Any]
# A side part's sums per report key, and of the whole range (None: the figure is not in the total).
Part = tuple[dict[str, Raw], Raw | None]
Read = Callable[[str | None, Callable[[str], str]], dict[str, Raw]]


def _part(applies: bool, by: str | None, fold: Callable[[str], str], read: Read) -> Part:
    """A side part's rows (where it exists in the grouping) and its total: the sum of those rows, or
    (where it does not) one read for the whole range."""
    if applies:
        rows = read(by, fold)
        return rows, measures.total(rows.values())
    return {}, read(None, lambda _key: "").get("", {})


def _floor(conn: Connection, scope: Scope, hand: Mapping[str, Any], idle_ms: Mapping[str, int]) -> Read:
    def read(by: str | None, fold: Callable[[str], str]) -> dict[str, Raw]:
        parts = {
            "shift": _fold(query.side_sums(conn, SHIFTS, scope, by), fold),
            "pause": _fold(query.side_sums(conn, PAUSES, scope, by), fold),
            "ext": _fold(query.side_sums(conn, EXTENDED, scope, by), fold),
            "rating": _fold(query.side_sums(conn, RATINGS, scope, by), fold),
        }
        reasons = query.pauses_by_reason(conn, scope, by)
        for key, value in _fold({k: {"by_reason": v} for k, v in reasons.items()}, fold).items():
            measures.add(parts["pause"].setdefault(key, {}), value)
        keys = {key for rows in parts.values() for key in rows} | {*hand, *idle_ms}
        return {
            key: {
                **{name: rows.get(key, {}) for name, rows in parts.items()},
                "hand": int(hand.get(key, 0)),
                "idle": int(idle_ms.get(key, 0)),
            }
            for key in keys
        }

    return read


def _floor_figures(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **measures.floor_figures(
            raw.get("shift", {}), raw.get("pause", {}), raw.get("ext", {}), int(raw.get("hand", 0))
        ),
        "idle_waiting_minutes": round(int(raw.get("idle", 0)) / 60000, 1),
        **measures.rating_figures(raw.get("rating", {})),
    }


def _appointments(conn: Connection, scope: Scope) -> Read:
    def read(by: str | None, fold: Callable[[str], str]) -> dict[str, Raw]:
        booked = _fold(query.side_sums(conn, APPOINTMENTS, scope, by), fold)
        missed = _fold({k: {"n": v} for k, v in query.missed_appointments(conn, scope, by).items()}, fold)
        return {
            key: {"booked": booked.get(key, {}), "missed": int(missed.get(key, {}).get("n", 0))}
            for key in {*booked, *missed}
        }

    return read


def _cases(conn: Connection, scope: Scope) -> Read:
    def read(by: str | None, fold: Callable[[str], str]) -> dict[str, Raw]:
        accepted = _fold(query.side_sums(conn, CASES, scope, by), fold)
        types = query.cases_by_type(conn, scope, by)
        for key, value in _fold({k: {"by_type": v} for k, v in types.items()}, fold).items():
            measures.add(accepted.setdefault(key, {}), value)
        due = _fold(query.promised_due(conn, scope, "deadline" if by == "day" else by), fold)
        return {
            key: {"accepted": accepted.get(key, {}), "due": due.get(key, {})} for key in {*accepted, *due}
        }

    return read


def _row_key(
    group: str,
    ctx: Context,
    hall_id: int,
    day: date,
    *,
    staff: int,
    window: int = 0,
    service: int | None = None,
) -> str | None:
    """The report key of a figure kept per hall, day, person (and window or service); None: the figure
    does not exist in the grouping."""
    if group == "total":
        return ""
    if group in TIME_GROUPS:
        return time_key(group, day)
    by = {"hall": hall_id, "window": window, "staff": staff, "service": service}
    if group == "department" and service is not None:
        return str(ctx.names.service_department.get(service, 0))
    value = by.get(group)
    return None if value is None else str(value)


def _idle_ms(group: str, ctx: Context, rows: list[idle.IdleRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        key = _row_key(group, ctx, r.hall_id, r.day, staff=r.staff_id, window=r.window_id)
        if key is not None:
            out[key] = out.get(key, 0) + r.ms
    return out


Enquiry = tuple[int, date, int, str, str, int]


def _enquiries(ctx: Context, group: str, found: list[Enquiry]) -> dict[str, Raw]:
    """Enquiries (咨询) per report key, by matter ("" none chosen)."""
    out: dict[str, Raw] = {"": {"enquiries": 0, "enquiries_by_matter": {}}} if group == "total" else {}
    for hall_id, day, staff, service, matter, n in found:
        service_id = ctx.names.service_ids.get((hall_id, service))
        key = _row_key(group, ctx, hall_id, day, staff=staff, service=service_id)
        if key is not None:
            cell = out.setdefault(key, {"enquiries": 0, "enquiries_by_matter": {}})
            cell["enquiries"] += n
            cell["enquiries_by_matter"][matter] = cell["enquiries_by_matter"].get(matter, 0) + n
    return out


def _ticket_parts(conn: Connection, ctx: Context, scope: Scope, group: str) -> list[tuple[Part, Figures]]:
    """The parts counted from the ticket rollup's call slots and the guide desk's enquiries: one read
    each, folded into the grouping's rows and into the total."""
    out: list[tuple[Part, Figures]] = []
    extended = _extended(conn, ctx, scope)
    rows: dict[str, Raw] = {}
    if group in (*TIME_GROUPS, "hall"):
        for hall_id, day, n in extended:
            key = str(hall_id) if group == "hall" else time_key(group, day)
            measures.add(rows.setdefault(key, {}), {"extended_tickets": n})
    total = {"extended_tickets": sum(n for *_k, n in extended)} if extended else None
    out.append(((rows, total), dict))
    found = query.enquiries(conn, scope)
    enquiry_rows = _enquiries(ctx, group, found) if group in _ENQUIRY_GROUPS else {}
    out.append(((enquiry_rows, _enquiries(ctx, "total", found)[""]), dict))
    return out


Figures = Callable[[Mapping[str, Any]], dict[str, Any]]


def _sides(
    conn: Connection,
    ctx: Context,
    scope: Scope,
    group: str,
    tickets: Mapping[str, Mapping[str, Any]],
    idle_rows: list[idle.IdleRow],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Per report key, the figures of the side rollups that exist in this grouping; and the total's."""
    fold = _folder(group, ctx)
    hand = {key: row.get("hand_ms", 0) for key, row in tickets.items()}
    floor_applies, floor_by = _by(_FLOOR_BY, group)
    idle_ms = _idle_ms(group if floor_applies else "total", ctx, idle_rows)
    if not floor_applies:
        hand = {"": sum(hand.values())}
    parts: list[tuple[Part, Figures]] = [
        (_part(floor_applies, floor_by, fold, _floor(conn, scope, hand, idle_ms)), _floor_figures),
        (
            _part(*_by(_APPOINTMENT_BY, group), fold, _appointments(conn, scope)),
            lambda raw: measures.appointment_figures(raw.get("booked", {}), int(raw.get("missed", 0))),
        ),
        (
            _part(*_by(_CASE_BY, group), fold, _cases(conn, scope)),
            lambda raw: measures.case_figures(raw.get("accepted", {}), raw.get("due", {})),
        ),
        *_ticket_parts(conn, ctx, scope, group),
    ]
    out: dict[str, dict[str, Any]] = {}
    total: dict[str, Any] = {}
    for (rows, part_total), figures in parts:
        for key, raw in rows.items():
            out.setdefault(key, {}).update(figures(raw))
        if part_total is not None:
            total.update(figures(part_total))
    return out, total


def _figures(tickets: Mapping[str, Any], side: Mapping[str, Any], weekend: bool) -> dict[str, Any]:
    figures = measures.ticket_figures(tickets)
    figures["weekend_issued"] = int(tickets.get("weekend_issued", 0)) if weekend else None
    figures.update(side)
    return figures


def report(
    conn: Connection, ctx: Context, scope: Scope, group: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows (``key``, ``label``, figures) and the total of one grouping over ``scope``."""
    dim, by = _TICKET_READ[group]
    fold = _folder(group, ctx)
    if group not in _BY_DAY:
        complete = months.complete_months(scope.first, scope.last, scope.today)
        scope = replace(scope, months=months.sealed(conn, scope.hall_ids, complete))
    tickets = _fold(query.ticket_sums(conn, scope, dim, by), fold)
    for extra in (_live_late(conn, ctx, scope, group), _weekend(conn, ctx, scope, group)):
        for key, value in extra.items():
            measures.add(tickets.setdefault(key, {}), value)
    halls = {hall.id: hall.zone for hall in ctx.halls.values() if hall.id in scope.hall_ids}
    # Idle time summed by the grouping's column where it exists (the total adds those rows up), else
    # by nothing, for the total alone.
    kept_by = _FLOOR_BY.get(group)
    idle_rows = idle.rows(
        conn, halls, scope.first, scope.last, ctx.now, kept_by if group in _FLOOR_BY else None
    )
    side, total_side = _sides(conn, ctx, scope, group, tickets, idle_rows)
    keys = sorted({*tickets, *side}, key=lambda k: _order(group, k))
    rows = [
        {
            "key": key,
            "label": label_of(group, key, ctx.names),
            **_figures(tickets.get(key, {}), side.get(key, {}), True),
        }
        for key in keys
    ]
    total = _figures(measures.total(tickets.values()), total_side, True)
    return rows, total


def _order(group: str, key: str) -> tuple[int, str]:
    return (int(key), "") if key.lstrip("-").isdigit() and group not in TIME_GROUPS else (0, key)
