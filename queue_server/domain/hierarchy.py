"""The 市/县/乡 hierarchy of halls: which halls lie at or below a hall, and which trees are valid.

A hall names its parent by code (``hall.parent``); the parent may run on another server, so a parent
that is not among the halls given is allowed and simply ends the walk up. Among the halls given, a
parent must sit at a higher level than its child (a city above a county, a county above a township)
and no chain of parents may come back to where it started.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Higher in the hierarchy = smaller rank (halls.schema.HallLevel's values).
LEVEL_RANK: Mapping[str, int] = {"city": 0, "county": 1, "township": 2}


@dataclass(frozen=True, slots=True)
class HallNode:
    """A hall's place in the hierarchy: its code, level and the code of its parent (None: a root)."""

    code: str
    level: str
    parent: str | None


def hierarchy_problems(halls: Iterable[HallNode]) -> list[tuple[str, str]]:
    """Every problem of the tree the halls form, as (hall code, message), by code."""
    nodes = {h.code: h for h in halls}
    problems: list[tuple[str, str]] = []
    for code in sorted(nodes):
        node = nodes[code]
        if node.level not in LEVEL_RANK:
            problems.append((code, f"unknown level {node.level!r}; known: {', '.join(LEVEL_RANK)}"))
            continue
        parent = nodes.get(node.parent) if node.parent is not None else None
        if node.parent == code:
            problems.append((code, "a hall cannot be its own parent"))
        elif parent is not None and LEVEL_RANK.get(parent.level, len(LEVEL_RANK)) >= LEVEL_RANK[node.level]:
            problems.append(
                (code, f"parent {parent.code!r} is a {parent.level} hall, not above a {node.level} hall")
            )
        cycle = _cycle_from(nodes, code)
        if cycle:
            problems.append((code, f"the parents form a cycle: {' → '.join(cycle)}"))
    return problems


def placement_problems(stored: Iterable[HallNode], hall: HallNode) -> list[str]:
    """What storing ``hall`` (new, or replacing the stored hall of its code) would break in the stored
    tree, as "code: message"; problems the stored halls already had are not its doing and not listed."""
    nodes = list(stored)
    before = set(hierarchy_problems(nodes))
    after = hierarchy_problems([*(n for n in nodes if n.code != hall.code), hall])
    return [f"{code}: {message}" for code, message in after if (code, message) not in before]


def _cycle_from(nodes: Mapping[str, HallNode], start: str) -> list[str]:
    """The chain of parents from ``start`` back to itself, or [] when the walk up ends."""
    chain, seen = [start], {start}
    parent = nodes[start].parent
    while parent is not None and parent in nodes:
        chain.append(parent)
        if parent == start:
            return chain if len(chain) > 2 else []  # a hall its own parent is reported on its own
        if parent in seen:
            return []  # a cycle further up, reported from one of its own halls
        seen.add(parent)
        parent = nodes[parent].parent
    return []


def at_or_below(halls: Iterable[HallNode], code: str) -> list[str]:
    """The codes of ``code`` and every hall below it, the hall first, then each child's subtree by code.

    A cycle in stored data ends the walk where it comes back; a code not among the halls gives [].
    """
    children: dict[str, list[str]] = {}
    known: set[str] = set()
    for h in halls:
        known.add(h.code)
        if h.parent is not None and h.parent != h.code:
            children.setdefault(h.parent, []).append(h.code)
    if code not in known:
        return []
    out: list[str] = []
    seen: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        out.append(current)
        stack.extend(sorted(children.get(current, ()), reverse=True))
    return out
