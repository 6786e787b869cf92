"""The 市/县/乡 hierarchy as pure rules: the halls at or below a hall, and which trees are refused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from queue_server.domain.hierarchy import (
    LEVEL_RANK,
    HallNode,
    at_or_below,
    hierarchy_problems,
    placement_problems,
)

CITY = [
    HallNode("city", "city", None),
    HallNode("east", "county", "city"),
    HallNode("west", "county", "city"),
    HallNode("east-a", "township", "east"),
    HallNode("east-b", "township", "east"),
    HallNode("west-a", "township", "west"),
]


def test_the_halls_at_or_below_a_hall() -> None:
    assert at_or_below(CITY, "city") == ["city", "east", "east-a", "east-b", "west", "west-a"]
    assert at_or_below(CITY, "east") == ["east", "east-a", "east-b"]
    assert at_or_below(CITY, "west-a") == ["west-a"]
    assert at_or_below(CITY, "elsewhere") == []
    assert hierarchy_problems(CITY) == []


def test_a_parent_on_another_server_is_allowed() -> None:
    county = [HallNode("east", "county", "remote-city"), HallNode("east-a", "township", "east")]
    assert hierarchy_problems(county) == []
    assert at_or_below(county, "east") == ["east", "east-a"]


def test_a_parent_must_sit_above_its_child() -> None:
    halls = [
        HallNode("city", "city", None),
        HallNode("town", "township", "city"),  # a township straight under the city: allowed
        HallNode("county", "county", "town"),  # a county under a township
        HallNode("twin", "county", "county"),  # a county under a county
        HallNode("odd", "province", "city"),
    ]
    assert hierarchy_problems(halls) == [
        ("county", "parent 'town' is a township hall, not above a county hall"),
        ("odd", "unknown level 'province'; known: city, county, township"),
        ("twin", "parent 'county' is a county hall, not above a county hall"),
    ]


def test_cycles_are_refused_and_walks_end() -> None:
    loop = [HallNode("a", "county", "b"), HallNode("b", "county", "c"), HallNode("c", "county", "a")]
    problems = dict(hierarchy_problems(loop))
    assert problems["a"] == "the parents form a cycle: a → b → c → a"
    assert problems["b"] == "the parents form a cycle: b → c → a → b"
    assert at_or_below(loop, "a") == ["a", "c", "b"]  # the walk stops where it comes back
    assert hierarchy_problems([HallNode("a", "city", "a")]) == [("a", "a hall cannot be its own parent")]
    assert at_or_below([HallNode("a", "city", "a")], "a") == ["a"]


def test_placement_lists_only_what_the_new_hall_breaks() -> None:
    assert placement_problems(CITY, HallNode("east-c", "township", "east")) == []
    assert placement_problems(CITY, HallNode("east-c", "county", "east-a")) == [
        "east-c: parent 'east-a' is a township hall, not above a county hall"
    ]
    # Reloading a county as a township leaves its townships under a hall of their own level.
    assert placement_problems(CITY, HallNode("east", "township", "city")) == [
        "east-a: parent 'east' is a township hall, not above a township hall",
        "east-b: parent 'east' is a township hall, not above a township hall",
    ]
    broken = [*CITY, HallNode("old", "county", "east-a")]  # already wrong: not the new hall's doing
    assert placement_problems(broken, HallNode("east-c", "township", "east")) == []


@st.composite
def trees(draw: st.DrawFn) -> list[HallNode]:
    """A valid tree: each hall's parent is an earlier hall of a higher level, or none."""
    nodes: list[HallNode] = []
    for i in range(draw(st.integers(1, 12))):
        level = draw(st.sampled_from(sorted(LEVEL_RANK)))
        above = [n.code for n in nodes if LEVEL_RANK[n.level] < LEVEL_RANK[level]]
        parent = draw(st.sampled_from([None, *above]))
        nodes.append(HallNode(f"h{i}", level, parent))
    return nodes


@given(trees())
def test_below_is_every_hall_whose_parents_reach_the_hall(halls: list[HallNode]) -> None:
    assert hierarchy_problems(halls) == []
    parents = {h.code: h.parent for h in halls}
    for top in parents:
        expected = set()
        for code in parents:
            walk: str | None = code
            while walk is not None and walk != top:
                walk = parents.get(walk)
            if walk == top:
                expected.add(code)
        below = at_or_below(halls, top)
        assert below[0] == top and len(below) == len(set(below)) and set(below) == expected
