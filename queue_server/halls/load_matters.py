"""The hall loader's catalogue: a matter whose content changed gets a new version row (the old one
unpublished, never deleted: tickets and cases point at it); each publish and retirement is a step of
the matter's history (``steps.py``), shared with the catalog pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import col, select

from queue_server.store import tables as t

from . import steps
from .catalogue import Material, Matter
from .load_base import FORM_ZH, _Base


def _initials(text: str) -> str:
    # Imported here, when a hall file is loaded: pypinyin reads its dictionaries at import, about 55 MB
    # of resident memory the running server would otherwise carry from its start (docs/managers.md).
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(ch for p in parts for ch in p if ch.isascii() and ch.isalnum()).lower()[:64]


def _material_note(material: Material) -> str:
    # The table keeps name, required and note: the form and copies travel in the note, as a checklist
    # prints them ("原件及复印件，2份").
    head = FORM_ZH[material.form] + (f"，{material.copies}份" if material.copies != 1 else "")
    return f"{head}；{material.note}" if material.note else head


class _MatterLoader(_Base):
    def _matters(self, hall_id: int) -> None:
        rows = self.s.exec(
            select(t.Matter).where(t.Matter.hall_id == hall_id).order_by(col(t.Matter.version))
        ).all()
        newest = {row.code: row for row in rows}  # ascending versions: the last one wins
        in_file = {m.code for m in self.f.matters}
        by_pages = steps.changed_by_pages(self.s, hall_id)
        for matter in self.f.matters:
            if by_pages.get(matter.code) != matter.model_dump(mode="json"):  # else unchanged since its load
                self._matter(hall_id, matter, newest.get(matter.code))
        kept = in_file | steps.created_by_pages(self.s, hall_id)  # the pages' own matters stay
        for row in rows:
            # Only the newest version of a matter still in the file (or the pages') may stay published.
            current = row.code in kept and newest[row.code] is row
            if row.published and not (current and row.code not in self.report.new_matter_versions):
                row.published = False
                self.s.add(row)
                if row.code not in in_file:
                    self.report.retired["matter"] += 1
                    steps.record(self.s, hall_id, row.code, "retired", now=self.now, version=row.version)

    def _matter(self, hall_id: int, matter: Matter, current: t.Matter | None) -> None:
        content: dict[str, Any] = {
            "name": matter.name,
            "service_id": self.service_ids[matter.service],
            "department_id": self.dept_ids[matter.department],
            "case_type": matter.case_type.value,
            "licensing": matter.licensing,
            "content": matter.content,
            "legal_basis": matter.legal_basis,
            "conditions": matter.conditions,
            "procedure": matter.procedure,
            "time_limit": matter.time_limit,
            "promised_days": matter.promised_days,
            "fees": matter.fees,
            "result": matter.result,
            "pinyin_initials": _initials(matter.name),
            "co_departments": list(matter.co_departments),
        }
        materials: list[dict[str, Any]] = [
            {"position": i, "code": m.code, "name": m.name, "required": m.required, "note": _material_note(m)}
            for i, m in enumerate(matter.materials)
        ]
        if current is not None and self._same(current, content, materials):
            if current.published != matter.published:
                current.published = matter.published
                self.s.add(current)
                self.report.updated["matter"] += 1
                self._step(hall_id, matter, current.version)
            return
        version = 1 if current is None else current.version + 1
        row = t.Matter(
            hall_id=hall_id,
            code=matter.code,
            version=version,
            published=matter.published,
            updated_at=self.now,
            **content,
        )
        self.s.add(row)
        self.s.flush()
        assert row.id is not None
        for values in materials:
            self.s.add(t.Material(matter_id=row.id, **values))
        if current is None:
            self.report.created["matter"] += 1
        else:
            self.report.updated["matter"] += 1
            self.report.new_matter_versions[matter.code] = version
        self._step(hall_id, matter, version)

    def _step(self, hall_id: int, matter: Matter, version: int) -> None:
        if self.record_steps:
            action = "published" if matter.published else "retired"
            spec = matter.model_dump(mode="json")
            steps.record(self.s, hall_id, matter.code, action, now=self.now, version=version, spec=spec)

    def _same(self, row: t.Matter, content: Mapping[str, Any], materials: list[dict[str, Any]]) -> bool:
        if any(getattr(row, k) != v for k, v in content.items()):
            return False
        stored = self.s.exec(
            select(t.Material).where(t.Material.matter_id == row.id).order_by(col(t.Material.position))
        ).all()
        keys = ("position", "code", "name", "required", "note")
        return [{k: getattr(m, k) for k in keys} for m in stored] == materials
