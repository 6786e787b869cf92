"""The figures a report shows, from summed rollup rows (pure: plain dicts of sums in, numbers out).

Definitions (docs/design/DOMAIN.md, "Statistics"):
- wait = first call − issue, handling = finish − start of a served ticket; mean from exact sums,
  median / p90 / p95 from the histogram (``stats/buckets.py``);
- service level = tickets called within their service's target ÷ (tickets called + tickets never
  called that left after waiting past the target + tickets still waiting when their day closed +
  today's tickets still waiting past the target); None when the denominator is 0;
- abandoned = tickets still waiting or held after their service day;
- utilisation = serving time (handling) ÷ signed-in time; satisfaction = ratings not bad (level 3–5)
  ÷ ratings; rectifications in time = closed on or before their due day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from queue_server.stats.buckets import percentiles_ms
from queue_server.stats.rollups import TICKETS, hist_columns

Sums = MutableMapping[str, Any]

TICKET_SUMS: tuple[str, ...] = (*TICKETS.measure_names, "abandoned", "live_late")
WAIT_HIST = hist_columns("w")
HAND_HIST = hist_columns("h")
_PERCENTILES = (50.0, 90.0, 95.0)  # median, p90, p95
_ZEROS = (0,) * len(WAIT_HIST)  # the default of each histogram column


def add(into: Sums, row: Mapping[str, Any]) -> None:
    """Add a row of sums into another (nested dicts of sums are added key by key)."""
    for name, value in row.items():
        if value is None:
            continue
        # Numbers first: a year report adds tens of thousands of them, and an ABC check costs more.
        if not isinstance(value, int | float) and isinstance(value, Mapping):
            add(into.setdefault(name, {}), value)
        else:
            into[name] = into.get(name, 0) + value


def total(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The sum of rows of sums, as ``add`` would leave it: None skipped, nested dicts summed key by
    key (the names' order may differ: figures are read by name). Column by column, a transpose and a
    ``sum``, both in C, rather than value by value: a year grouped by day sums ~300 rows of ~95
    columns (with the other changes of docs/managers.md, "Profiled on the full year", 5-10 % less CPU
    per year report). Rows come in a few shapes (the SQL's
    columns, some figures added to some rows): each shape is transposed at once, so a column's values
    are not added in the order of the rows, which is exact for what the rollups hold: integers (or
    PostgreSQL's integral NUMERIC sums)."""
    shapes: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        shapes.setdefault(tuple(row), []).append(row)
    columns: dict[str, list[Any]] = {}
    for names, group in shapes.items():
        for name, column in zip(names, zip(*(row.values() for row in group), strict=True), strict=True):
            columns.setdefault(name, []).extend(column)
    out: dict[str, Any] = {}
    for name, found in columns.items():
        values = [v for v in found if v is not None] if None in found else found
        if values:
            out[name] = total(values) if isinstance(values[0], Mapping) else sum(values, 0)
    return out


def _s(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 3)


def _ratio(part: float, whole: float) -> float | None:
    return None if whole <= 0 else part / whole


def ticket_figures(t: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket figures of one report row from its summed ``stats_ticket`` measures."""
    get = t.get
    wait_median, wait_p90, wait_p95 = percentiles_ms(
        list(map(int, map(get, WAIT_HIST, _ZEROS))), _PERCENTILES
    )
    hand_median, hand_p90, hand_p95 = percentiles_ms(
        list(map(int, map(get, HAND_HIST, _ZEROS))), _PERCENTILES
    )
    visits, handled = int(get("visits", 0)), int(get("handled", 0))
    abandoned = int(get("abandoned", 0))
    denominator = visits + int(get("late_uncalled", 0)) + abandoned + int(get("live_late", 0))
    return {
        "issued": int(get("issued", 0)),
        "visits": visits,
        "served": int(get("served", 0)),
        "no_show": int(get("no_show", 0)),
        "transferred": int(get("transferred", 0)),
        "voided": int(get("voided", 0)),
        "abandoned": abandoned,
        "waiting": int(get("waiting", 0)) - abandoned,
        "recalls": int(get("recalls", 0)),
        "called_in_target": int(get("in_target", 0)),
        "service_level": _ratio(int(get("in_target", 0)), denominator),
        "wait_mean_s": _s(_ratio(int(get("wait_ms", 0)), visits)),
        "wait_median_s": _s(wait_median),
        "wait_p90_s": _s(wait_p90),
        "wait_p95_s": _s(wait_p95),
        "handling_mean_s": _s(_ratio(int(get("hand_ms", 0)), handled)),
        "handling_median_s": _s(hand_median),
        "handling_p90_s": _s(hand_p90),
        "handling_p95_s": _s(hand_p95),
    }


def floor_figures(
    shift: Mapping[str, Any], pause: Mapping[str, Any], ext: Mapping[str, Any], hand_ms: int
) -> dict[str, Any]:
    """Window-time figures: signed-in and serving minutes, utilisation, pauses, extended minutes."""
    signed = int(shift.get("signed_ms", 0))
    reasons = {
        reason: {"count": int(v.get("pauses", 0)), "minutes": round(int(v.get("paused_ms", 0)) / 60000, 1)}
        for reason, v in sorted(pause.get("by_reason", {}).items())
    }
    return {
        "signed_in_minutes": round(signed / 60000, 1),
        "serving_minutes": round(hand_ms / 60000, 1),
        "utilisation": _ratio(hand_ms, signed),
        "pauses": int(pause.get("pauses", 0)),
        "pause_minutes": round(int(pause.get("paused_ms", 0)) / 60000, 1),
        "pauses_by_reason": reasons,
        "extended_minutes": int(ext.get("extended_min", 0)),
    }


def rating_figures(r: Mapping[str, Any]) -> dict[str, Any]:
    rated = int(r.get("rated", 0))
    bad = int(r.get("bad", 0))
    return {
        "ratings": rated,
        "ratings_by_level": {str(i): int(r.get(f"s{i}", 0)) for i in range(1, 6)},
        "bad_ratings": bad,
        "satisfaction": _ratio(rated - bad, rated),
        "rectifications_closed": int(r.get("rect_closed", 0)),
        "rectifications_in_time": int(r.get("rect_in_time", 0)),
    }


def appointment_figures(a: Mapping[str, Any], past_pending: int) -> dict[str, Any]:
    """``past_pending``: bookings never checked in whose day is over (missed)."""
    return {
        "appointments_booked": int(a.get("booked", 0)),
        "appointments_kept": int(a.get("kept", 0)),
        "appointments_late": int(a.get("late", 0)),
        "appointments_missed": past_pending,
    }


def case_figures(accepted: Mapping[str, Any], due: Mapping[str, Any]) -> dict[str, Any]:
    """``accepted``: cases accepted in the period (by type); ``due``: promised cases due in it."""
    return {
        "cases": int(accepted.get("cases", 0)),
        "cases_by_type": {k: int(v) for k, v in sorted(accepted.get("by_type", {}).items())},
        "promised_due": int(due.get("cases", 0)),
        "promised_overdue": int(due.get("overdue", 0)),
    }
