"""A city's comparison grouped by county: which county a hall belongs to, the order of the rows, and a
subtotal's figures (sums, the recomputed ratios, and None where the rows cannot give the figure)."""

from __future__ import annotations

from queue_server.domain.hierarchy import HallNode, at_or_below
from queue_server.services.views.hall_subtotals import by_county, county_of, subtotal

NODES = {
    n.code: n
    for n in (
        HallNode("city", "city", None),
        HallNode("east", "county", "city"),
        HallNode("e1", "township", "east"),
        HallNode("west", "county", "city"),
        HallNode("w1", "township", "west"),
        HallNode("lone", "township", "city"),  # a township straight under the city: in no county
    )
}


def _row(key: str, **figures: object) -> dict[str, object]:
    return {"key": key, "label": key, "issued": 0, "visits": 0, "wait_mean_s": None, **figures}


def test_a_hall_belongs_to_the_county_above_it_or_to_none() -> None:
    assert [county_of(NODES, c) for c in ("city", "east", "e1", "w1", "lone")] == [
        None,
        "east",
        "east",
        "west",
        None,
    ]


def test_rows_follow_the_tree_and_each_county_gets_a_subtotal() -> None:
    keys = {code: f"k-{code}" for code in NODES}
    rows = [_row(f"k-{c}", issued=i) for i, c in enumerate(("w1", "e1", "city", "east", "lone"), start=1)]
    rows.append(_row("k-gone", issued=100))  # a hall no longer in the tree keeps its place at the end
    ordered, subtotals = by_county(NODES, at_or_below(NODES.values(), "city"), keys, {"east": "东县"}, rows)
    assert [r["key"] for r in ordered] == ["k-city", "k-east", "k-e1", "k-lone", "k-w1", "k-gone"]
    assert [(s["key"], s["label"], s["halls"], s["issued"]) for s in subtotals] == [
        ("county-k-east", "东县 小计", ["k-east", "k-e1"], 4 + 2),
        ("county-k-west", "west 小计", ["k-w1"], 1),  # west has no row of its own that day
    ]


def test_a_subtotal_adds_up_sums_and_recomputes_only_what_the_rows_allow() -> None:
    a = _row("a", issued=3, visits=2, wait_mean_s=60.0, wait_median_s=50.0, ratings=4, bad_ratings=1,
             signed_in_minutes=0.1, serving_minutes=0.1, ratings_by_level={"1": 1, "5": 3},
             pauses_by_reason={"午休": {"count": 1, "minutes": 30.0}})  # fmt: skip
    b = _row("b", issued=5, visits=6, wait_mean_s=100.0, wait_median_s=90.0, ratings=0, bad_ratings=0,
             signed_in_minutes=0.2, serving_minutes=0.0, ratings_by_level={"5": 0},
             pauses_by_reason={"午休": {"count": 2, "minutes": 15.5}})  # fmt: skip
    got = subtotal([a, b])
    assert (got["issued"], got["visits"]) == (8, 8)
    assert got["wait_mean_s"] == (60.0 * 2 + 100.0 * 6) / 8  # weighted by visits, not the mean of means
    assert got["wait_median_s"] is None and got["service_level"] is None and got["handling_mean_s"] is None
    assert got["satisfaction"] == 3 / 4
    assert got["signed_in_minutes"] == 0.3  # rounded to a tenth as the rows are
    assert got["utilisation"] == 0.1 / 0.3
    assert got["ratings_by_level"] == {"1": 1, "5": 3}
    assert got["pauses_by_reason"] == {"午休": {"count": 3, "minutes": 45.5}}
    assert "key" not in got and "label" not in got
    nothing = subtotal([_row("c")])
    assert (nothing["wait_mean_s"], nothing["satisfaction"], nothing["utilisation"]) == (None, None, None)
