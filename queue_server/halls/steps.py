"""The history of the catalog's matters (``matter_step``), written by ``hallq hall load`` and the catalog
pages alike: a load is a publish by the loader, recorded as such (``source`` "load", no person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from queue_server.store.tables import MatterStep

LOAD = "load"
ADMIN = "admin"


def record(
    session: Session,
    hall_id: int,
    code: str,
    action: str,
    *,
    now: datetime,
    version: int | None = None,
    spec: dict[str, Any] | None = None,
    source: str = LOAD,
    actor: str = "",
    draft_id: int | None = None,
    note: str = "",
) -> None:
    """Append one step of a matter's history (never updated)."""
    session.add(
        MatterStep(
            hall_id=hall_id,
            code=code,
            action=action,
            source=source,
            draft_id=draft_id,
            version=version,
            actor=actor,
            at=now,
            note=note,
            spec=spec,
        )
    )


def created_by_pages(session: Session, hall_id: int) -> set[str]:
    """Matters whose first published version came from the catalog pages: a hall file that never named
    them does not retire them."""
    first: dict[str, str] = {}
    for code, source in session.exec(
        select(MatterStep.code, MatterStep.source)
        .where(MatterStep.hall_id == hall_id, MatterStep.action == "published")
        .order_by(col(MatterStep.id))
    ):
        first.setdefault(code, source)
    return {code for code, source in first.items() if source == ADMIN}


def changed_by_pages(session: Session, hall_id: int) -> dict[str, dict[str, Any]]:
    """Matters the catalog pages published or retired after their last load: code → the spec that load
    wrote. A file that still says that spec did not change the matter, so a reload keeps the pages'
    version instead of writing the file's older one back."""
    last: dict[str, MatterStep] = {}
    loaded: dict[str, dict[str, Any]] = {}
    for step in session.exec(
        select(MatterStep)
        .where(MatterStep.hall_id == hall_id, col(MatterStep.action).in_(("published", "retired")))
        .order_by(col(MatterStep.id))
    ):
        last[step.code] = step
        if step.source == LOAD and step.spec is not None:
            loaded[step.code] = step.spec
    return {code: loaded[code] for code, step in last.items() if step.source == ADMIN and code in loaded}
