"""Which halls a manager may see, in the 市/县/乡 hierarchy (``domain/hierarchy.py``, ``hall.level`` and
``hall.parent``).

A manager signed in at a hall opens the reports and overview of that hall and of every hall below it
(``require_below``): a city manager the city hall, its county halls and their township halls; a county
manager their county hall and its townships, never a sibling county or the city. The statistics'
hall comparison (group ``hall``) covers ``halls_at_or_below`` the hall of the report. A login names a
person within one hall only: two halls' managers may both be "manager", so a login never widens what
anyone sees. A parent running on another server is not in this database: the scope stops at the
halls stored here.

Every managers' read of a hall goes through this one rule (``api/deps.py`` ``HallViewer``: overview,
statistics and their exports, heatmap, evaluation, rotation, qualifications, alerts, device status,
and the live channel behind the overview); writes stay with the hall's own people. The hall list is
public (names, levels, parents: what each hall's own page shows anyway); ``visible`` is the reach.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from queue_server.domain.hierarchy import HallNode, at_or_below
from queue_server.errors import NotAuthorizedError
from queue_server.services.engine.models import Reply
from queue_server.store.tables import Hall


class HallEntry(Reply):
    code: str
    name: str
    level: str  # city / county / township
    parent: str | None  # the code of the hall one level up; it may run on another server


class HallList(Reply):
    halls: list[HallEntry]  # every hall in this database, by code
    visible: list[str] | None  # for a signed-in manager, the halls they may open, by code
    home: str | None = None  # for a signed-in manager, the hall they signed in at (their token's)


def hall_nodes(session: Session) -> list[HallNode]:
    rows = session.exec(select(Hall.code, Hall.level, Hall.parent))
    return [HallNode(code, level, parent) for code, level, parent in rows]


def halls_at_or_below(session: Session, code: str) -> list[Hall]:
    """The hall ``code`` and every hall below it stored here, by code."""
    codes = at_or_below(hall_nodes(session), code)
    return list(session.exec(select(Hall).where(col(Hall.code).in_(codes)).order_by(col(Hall.code))))


def require_below(session: Session, home: str, hall: str) -> None:
    """NotAuthorizedError unless ``hall`` is ``home`` or lies below it: a manager signed in at ``home``
    opens the reports and overview of the halls below their own, never of a hall beside or above it."""
    if hall not in at_or_below(hall_nodes(session), home):
        raise NotAuthorizedError("您无权查看该大厅。", hall=hall)


def hall_list(session: Session, home: str | None) -> HallList:
    """Every hall with its place in the hierarchy; ``home``: the hall a manager signed in at (then
    ``visible`` lists it and the halls below it, the halls whose reports they may open)."""
    nodes = hall_nodes(session)
    halls = [
        HallEntry(code=h.code, name=h.name, level=h.level, parent=h.parent)
        for h in session.exec(select(Hall).order_by(col(Hall.code)))
    ]
    visible = None if home is None else sorted(at_or_below(nodes, home))
    return HallList(halls=halls, visible=visible, home=home)
