"""What every part of the hall loader shares: the report of a load, the loader's state (the session,
the hall file, the ids by code) and its upsert. ``loader.py`` runs a whole load or some sections;
``load_matters.py`` writes the catalogue; ``load_parts.py`` the sections the administrators' pages
edit alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from queue_server.store import tables as t

from .catalogue import MaterialForm
from .schema import HallFile

# Skill weights of WindowService: higher is served first (ordering clause 6).
PRIMARY_WEIGHT = 2
SECONDARY_WEIGHT = 1

FORM_ZH = {
    MaterialForm.ORIGINAL: "原件",
    MaterialForm.COPY: "复印件",
    MaterialForm.ORIGINAL_AND_COPY: "原件及复印件",
    MaterialForm.ELECTRONIC: "电子材料",
}


@dataclass
class LoadReport:
    """What a load did. ``generated_passwords``: show once (development halls), never log."""

    hall_id: int
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    retired: Counter[str] = field(default_factory=Counter)
    new_matter_versions: dict[str, int] = field(default_factory=dict)
    generated_passwords: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) + sum(self.updated.values()) + sum(self.retired.values()))

    def summary(self) -> str:
        def fmt(c: Counter[str]) -> str:
            return ", ".join(f"{n} {k}" for k, n in sorted(c.items())) or "nothing"

        return f"created {fmt(self.created)}; updated {fmt(self.updated)}; retired {fmt(self.retired)}"


def _set(row: Any, values: Mapping[str, Any]) -> bool:
    """Assign changed attributes; True when any changed."""
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    return changed


class _Base:
    def __init__(self, session: Session, hall_file: HallFile, now: datetime, allow_dev: bool) -> None:
        self.s = session
        self.allow_dev = allow_dev
        self.f = hall_file
        self.now = now
        self.report = LoadReport(hall_id=0)
        self.dept_ids: dict[str, int] = {}
        self.service_ids: dict[str, int] = {}
        self.window_ids: dict[str, int] = {}
        self.record_steps = True  # False when the catalog pages publish (they record their own step)

    def _known_ids(self, hall_id: int) -> None:
        """The ids of the hall's departments, active services and windows by code, as stored."""
        for dept in self.s.exec(select(t.Department).where(t.Department.hall_id == hall_id)):
            self.dept_ids[dept.code] = dept.id or 0
        active = select(t.Service).where(t.Service.hall_id == hall_id, col(t.Service.active))
        for service in self.s.exec(active):
            self.service_ids[service.code] = service.id or 0
        for window in self.s.exec(select(t.Window).where(t.Window.hall_id == hall_id)):
            self.window_ids[window.number] = window.id or 0

    def _upsert(self, kind: str, row: Any | None, make: Any, values: Mapping[str, Any]) -> Any:
        if row is None:
            row = make(**values)
            self.s.add(row)
            self.s.flush()  # ids for the rows that refer to it
            self.report.created[kind] += 1
        elif _set(row, values):
            self.s.add(row)
            self.report.updated[kind] += 1
        return row
