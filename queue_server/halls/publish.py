"""The catalog pages' publish of one matter, written as a load writes it (``loader.py``), so a version
has one shape whichever door published it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from queue_server.store import tables as t

from .catalogue import Matter
from .loader import _Loader
from .schema import HallFile


def publish_matter(session: Session, hall_id: int, matter: Matter, *, now: datetime) -> int:
    """Publish ``matter`` as a load writes it (a new version when its content changed), every other
    version of it unpublished: the catalog pages' publish. Returns the published version; the caller
    records the step and commits."""
    no_file: dict[str, Any] = {}  # only ``_matter`` runs, which reads no section of a file
    loader = _Loader(session, HallFile.model_construct(**no_file), now, allow_dev=False)
    loader.record_steps = False
    services = session.exec(select(t.Service).where(t.Service.hall_id == hall_id))
    loader.service_ids = {s.code: s.id for s in services if s.id is not None}
    departments = session.exec(select(t.Department).where(t.Department.hall_id == hall_id))
    loader.dept_ids = {d.code: d.id for d in departments if d.id is not None}
    versions = select(t.Matter).where(t.Matter.hall_id == hall_id, t.Matter.code == matter.code)
    rows = session.exec(versions.order_by(col(t.Matter.version))).all()
    loader._matter(hall_id, matter.model_copy(update={"published": True}), rows[-1] if rows else None)
    session.flush()
    for row in session.exec(versions.order_by(col(t.Matter.version).desc())).all()[1:]:
        if row.published:
            row.published = False
            session.add(row)
    newest = session.exec(versions.order_by(col(t.Matter.version).desc())).first()
    assert newest is not None
    return newest.version
