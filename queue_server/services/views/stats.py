"""Statistics for managers, read from the rollups (``queue_server/stats/``), never from ticket rows.

``statistics`` groups any range of hall-local days (at most a year) one way; ``heatmap`` gives arrivals
or mean waits per weekday and hour; ``evaluation`` is the staff report (考核); ``rotation`` and
``qualifications`` are the lists of people due to rotate and of qualifications running out. Comparing
halls (group ``hall``) covers the hall of the report and every hall below it (市/县/乡,
``people/scope.py``); a city's comparison comes grouped by county with a subtotal each
(``hall_subtotals.py``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from queue_server.domain.hierarchy import HallNode, at_or_below
from queue_server.errors import BadRequestError
from queue_server.services.engine.rules import hall_calendar, hall_schedule
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.people.scope import halls_at_or_below
from queue_server.services.people.staff import ROTATION_YEARS
from queue_server.services.ports import Actor
from queue_server.services.views import hall_subtotals
from queue_server.services.views.models import (
    Evaluation,
    EvaluationRow,
    Heatmap,
    QualificationRow,
    Qualifications,
    Rotation,
    RotationRow,
    StatsFigures,
    StatsResult,
    StatsRow,
    StatsSubtotal,
)
from queue_server.services.views.staff_lists import overdue_cases_by_staff, rotation_due, stints
from queue_server.stats import query
from queue_server.stats.labels import WEEKDAYS_ZH, load_names
from queue_server.stats.report import GROUPS, Context, HallInfo, report
from queue_server.store.tables import Hall, Staff

MAX_DAYS = 366
HEATMAP_MEASURES = ("arrivals", "wait_mean")
EXPIRING_DAYS = 90  # a qualification running out within this many days is listed as expiring


def _check_range(date_from: date, date_to: date) -> None:
    if date_to < date_from or (date_to - date_from).days >= MAX_DAYS:
        raise BadRequestError("统计区间无效（最长一年）。", date_from=str(date_from), date_to=str(date_to))


def _halls(tx: Tx, group: str, actor: Actor | None) -> list[Hall]:
    if group != "hall" or actor is None:
        return [tx.hall]
    # The route let the manager open this hall (theirs or one below it): the comparison covers it and
    # every hall below it (市/县/乡).
    return halls_at_or_below(tx.session, tx.hall.code)


def _context(tx: Tx, halls: list[Hall]) -> tuple[Context, query.Scope]:
    ids = tuple(pk(h) for h in halls)
    infos = {
        pk(h): HallInfo(pk(h), h.code, h.name, ZoneInfo(h.tz), hall_calendar(h), hall_schedule(h))
        for h in halls
    }
    return Context(infos, load_names(tx.conn, ids), tx.now), query.Scope(ids, tx.today, tx.today, tx.today)


def _scope(scope: query.Scope, date_from: date, date_to: date) -> query.Scope:
    return query.Scope(scope.hall_ids, date_from, date_to, scope.today)


def statistics(
    tx: Tx, date_from: date, date_to: date, group: str = "service", actor: Actor | None = None
) -> StatsResult:
    _check_range(date_from, date_to)
    if group not in GROUPS:
        raise BadRequestError("未知的分组方式。", field="group", allowed=list(GROUPS))
    halls = _halls(tx, group, actor)
    ctx, scope = _context(tx, halls)
    rows, total = report(tx.conn, ctx, _scope(scope, date_from, date_to), group)
    subtotals: list[dict[str, Any]] = []
    if group == "hall" and tx.hall.level == "city":
        rows, subtotals = _by_county(tx, halls, rows)
    return StatsResult(
        hall=tx.hall.code,
        date_from=date_from,
        date_to=date_to,
        group=group,
        rows=[StatsRow.model_validate(row) for row in rows],
        total=StatsFigures.model_validate(total),
        subtotals=[StatsSubtotal.model_validate(s) for s in subtotals],
    )


def _by_county(
    tx: Tx, halls: list[Hall], rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A city's comparison: its halls in tree order, a subtotal per county (``hall_subtotals.py``)."""
    nodes = {h.code: HallNode(h.code, h.level, h.parent) for h in halls}
    order = at_or_below(nodes.values(), tx.hall.code)
    keys = {h.code: str(pk(h)) for h in halls}
    return hall_subtotals.by_county(nodes, order, keys, {h.code: h.name for h in halls}, rows)


def heatmap(tx: Tx, date_from: date, date_to: date, measure: str) -> Heatmap:
    _check_range(date_from, date_to)
    if measure not in HEATMAP_MEASURES:
        raise BadRequestError("未知的热力图指标。", field="measure", allowed=list(HEATMAP_MEASURES))
    _ctx, scope = _context(tx, [tx.hall])
    cells: dict[tuple[int, int], list[int]] = {}
    for day, hour, issued, visits, wait_ms in query.day_hours(tx.conn, _scope(scope, date_from, date_to)):
        cell = cells.setdefault((day.weekday(), hour), [0, 0, 0])
        cell[0] += issued
        cell[1] += visits
        cell[2] += wait_ms
    hours = sorted({hour for _wd, hour in cells})
    out: list[tuple[int, int, float | None]] = []
    for (weekday, hour), (issued, visits, wait_ms) in sorted(cells.items()):
        value = (
            float(issued)
            if measure == "arrivals"
            else (round(wait_ms / visits / 1000, 1) if visits else None)
        )
        out.append((weekday, hour, value))
    return Heatmap(measure=measure, weekdays=list(WEEKDAYS_ZH), hours=hours, cells=out)


def evaluation(tx: Tx, date_from: date, date_to: date) -> Evaluation:
    """Per person (考核): the staff grouping of the report, with their overdue promised cases."""
    _check_range(date_from, date_to)
    ctx, scope = _context(tx, [tx.hall])
    rows, _total = report(tx.conn, ctx, _scope(scope, date_from, date_to), "staff")
    overdue = overdue_cases_by_staff(tx, date_from, date_to)
    out = [
        EvaluationRow.model_validate(
            {
                **row,
                "login": ctx.names.staff_login.get(int(row["key"]), ""),
                "overdue_cases": overdue.get(int(row["key"]), 0),
            }
        )
        for row in rows
        if row["key"] != "0"
    ]
    return Evaluation(hall=tx.hall.code, date_from=date_from, date_to=date_to, rows=out)


def rotation(tx: Tx) -> Rotation:
    """People at the same window for ROTATION_YEARS or more without a shift elsewhere (轮岗)."""
    rows = [
        RotationRow(
            login=s.login,
            name=s.name,
            window=w.number,
            window_name=w.name,
            since=since,
            days=(tx.today - since).days,
        )
        for s, w, since in stints(tx)
        if rotation_due(since, tx.today)
    ]
    return Rotation(hall=tx.hall.code, today=tx.today, years=ROTATION_YEARS, rows=rows)


def qualifications(tx: Tx) -> Qualifications:
    """Every active person's law enforcement qualification and how long it still runs."""
    people = tx.session.exec(
        select(Staff).where(Staff.hall_id == tx.hall_id, col(Staff.active)).order_by(col(Staff.login))
    )
    rows = []
    for s in people:
        left = None if s.qualification_expires is None else (s.qualification_expires - tx.today).days
        status = (
            "none"
            if left is None
            else "expired"
            if left < 0
            else "expiring"
            if left <= EXPIRING_DAYS
            else "valid"
        )
        rows.append(
            QualificationRow(
                login=s.login,
                name=s.name,
                role=s.role,
                qualification_no=s.qualification_no,
                expires=s.qualification_expires,
                status=status,
                days_left=left,
            )
        )
    return Qualifications(hall=tx.hall.code, today=tx.today, rows=rows)
