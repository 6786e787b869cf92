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

from queue_server.stats.buckets import percentile_ms
from queue_server.stats.rollups import TICKETS, hist_columns

Sums = MutableMapping[str, Any]

TICKET_SUMS: tuple[str, ...] = (*TICKETS.measure_names, "abandoned", "live_late")
WAIT_HIST = hist_columns("w")
HAND_HIST = hist_columns("h")


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
    out: dict[str, Any] = {}
    for row in rows:
        add(out, row)
    return out


def _s(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 3)


def _ratio(part: float, whole: float) -> float | None:
    return None if whole <= 0 else part / whole


def ticket_figures(t: Mapping[str, Any]) -> dict[str, Any]:
    """The ticket figures of one report row from its summed ``stats_ticket`` measures."""
    wait = [int(t.get(c, 0)) for c in WAIT_HIST]
    hand = [int(t.get(c, 0)) for c in HAND_HIST]
    visits, handled = int(t.get("visits", 0)), int(t.get("handled", 0))
    abandoned = int(t.get("abandoned", 0))
    denominator = visits + int(t.get("late_uncalled", 0)) + abandoned + int(t.get("live_late", 0))
    return {
        "issued": int(t.get("issued", 0)),
        "visits": visits,
        "served": int(t.get("served", 0)),
        "no_show": int(t.get("no_show", 0)),
        "transferred": int(t.get("transferred", 0)),
        "voided": int(t.get("voided", 0)),
        "abandoned": abandoned,
        "waiting": int(t.get("waiting", 0)) - abandoned,
        "recalls": int(t.get("recalls", 0)),
        "called_in_target": int(t.get("in_target", 0)),
        "service_level": _ratio(int(t.get("in_target", 0)), denominator),
        "wait_mean_s": _s(_ratio(int(t.get("wait_ms", 0)), visits)),
        "wait_median_s": _s(percentile_ms(wait, 50)),
        "wait_p90_s": _s(percentile_ms(wait, 90)),
        "wait_p95_s": _s(percentile_ms(wait, 95)),
        "handling_mean_s": _s(_ratio(int(t.get("hand_ms", 0)), handled)),
        "handling_median_s": _s(percentile_ms(hand, 50)),
        "handling_p90_s": _s(percentile_ms(hand, 90)),
        "handling_p95_s": _s(percentile_ms(hand, 95)),
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
