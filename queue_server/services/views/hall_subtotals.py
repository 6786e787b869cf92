"""A city's comparison of halls grouped by county (市/县/乡): each county's hall and townships together,
then the county's subtotal (小计), computed from the per-hall rows the report already has.

Pure: rows in (the report's ``key``/``label``/figures dicts), rows and subtotals out; the query engine
is not asked again. Counts and minutes add up exactly. Of the figures that are not sums, the mean wait
(weighted by visits), satisfaction (ratings not bad ÷ ratings) and utilisation (serving ÷ signed-in
minutes, from the rows' minutes rounded to a tenth) are recomputed; medians, percentiles, the service
level and the mean handling time need the histograms or denominators behind the rows and stay None.
The city total (合计) remains the report's own, exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from queue_server.domain.hierarchy import HallNode
from queue_server.stats import measures

# Figures of a row that are not sums: left out of the adding up (some are recomputed after).
NOT_SUMS = frozenset(
    {
        "service_level",
        "wait_mean_s",
        "wait_median_s",
        "wait_p90_s",
        "wait_p95_s",
        "handling_mean_s",
        "handling_median_s",
        "handling_p90_s",
        "handling_p95_s",
        "utilisation",
        "satisfaction",
    }
)
# Minutes are given to a tenth: their sums are rounded the same, so that 0.1 + 0.2 reads 0.3.
NOT_FIGURES = ("key", "label", "halls")
MINUTES = ("signed_in_minutes", "serving_minutes", "pause_minutes", "idle_waiting_minutes")

Row = Mapping[str, Any]


def county_of(nodes: Mapping[str, HallNode], code: str) -> str | None:
    """The county hall ``code`` belongs to (itself, if a county); None at the city's own level."""
    current: str | None = code
    seen: set[str] = set()
    while current is not None and current in nodes and current not in seen:
        seen.add(current)
        if nodes[current].level == "county":
            return current
        current = nodes[current].parent
    return None


def subtotal(rows: Sequence[Row]) -> dict[str, Any]:
    """The figures of several halls' rows together (see the module's note for which ones)."""
    summed: dict[str, Any] = {}
    for row in rows:
        measures.add(summed, {k: v for k, v in row.items() if k not in NOT_SUMS and k not in NOT_FIGURES})
    for name in MINUTES:
        if summed.get(name) is not None:
            summed[name] = round(summed[name], 1)
    waits = [
        (float(r["wait_mean_s"]), int(r.get("visits") or 0)) for r in rows if r.get("wait_mean_s") is not None
    ]
    visits = sum(n for _, n in waits)
    summed["wait_mean_s"] = round(sum(mean * n for mean, n in waits) / visits, 3) if visits else None
    ratings = summed.get("ratings")
    summed["satisfaction"] = (ratings - summed.get("bad_ratings", 0)) / ratings if ratings else None
    signed = summed.get("signed_in_minutes")
    summed["utilisation"] = summed.get("serving_minutes", 0) / signed if signed else None
    return {**dict.fromkeys(NOT_SUMS), **summed}


def by_county(
    nodes: Mapping[str, HallNode],
    order: Sequence[str],
    keys: Mapping[str, str],
    names: Mapping[str, str],
    rows: Sequence[Row],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows in the hierarchy's ``order`` (hall codes: the city, then each county followed by its
    townships), and a subtotal per county that has rows. ``keys``: a hall's row key by code; ``names``:
    a hall's name by code. A row of no hall in ``order`` keeps its place at the end."""
    by_key = {str(r["key"]): dict(r) for r in rows}
    ordered: list[dict[str, Any]] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for code in order:
        row = by_key.pop(keys.get(code, ""), None)
        if row is None:
            continue
        ordered.append(row)
        county = county_of(nodes, code)
        if county is not None:
            groups.setdefault(county, []).append(row)
    ordered.extend(by_key.values())
    subtotals = [
        {
            **subtotal(members),
            "key": f"county-{keys.get(county, county)}",
            "label": f"{names.get(county, county)} 小计",
            "halls": [str(r["key"]) for r in members],
        }
        for county, members in groups.items()
    ]
    return ordered, subtotals
