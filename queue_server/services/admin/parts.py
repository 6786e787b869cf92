"""The sections the administrators' pages edit besides the first tabs: the hall's own ``[hall]``
table, ``[[departments]]``, ``[[appointment_slots]]`` (capacities per morning, afternoon and
rest-day session) and ``[[devices]]``. Saved through ``sections.save_section`` like every section
(the whole hall validated, audited), written by ``halls.load_parts`` (the loader's own functions).

What the hall file allows but a page must not do to a running hall is refused here, with the path:
the hall's ``code`` (its topics, URLs and every device's credentials hang on it) and ``tz`` are read
only, and a department is never removed (its windows, people and matters keep their history; the
loader does not retire departments, so it would come back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from queue_server.halls.load_parts import PARTS_LOADED_ALONE, load_parts
from queue_server.halls.loader import load_sections
from queue_server.halls.schema import HallFile
from queue_server.services.engine.tx import Tx

from .models import FieldProblem, SectionName

READ_ONLY = ("code", "tz")


def prepared(
    section: SectionName,
    before: list[dict[str, Any]] | dict[str, Any],
    value: list[dict[str, Any]] | dict[str, Any],
) -> list[dict[str, Any]] | dict[str, Any]:
    """``value`` with the hall's read-only keys as stored where the edit leaves them out."""
    if section is SectionName.HALL and isinstance(before, dict) and isinstance(value, dict):
        return {**{k: before.get(k) for k in READ_ONLY}, **value}
    return value


def refusals(
    section: SectionName,
    before: list[dict[str, Any]] | dict[str, Any],
    value: list[dict[str, Any]] | dict[str, Any],
) -> list[dict[str, str]]:
    """The field problems of what a page may not do: a read-only key of the hall changed, a
    department removed (or re-coded)."""
    errors: list[dict[str, str]] = []
    if section is SectionName.HALL and isinstance(before, dict) and isinstance(value, dict):
        errors += [
            _problem(f"hall.{key}", "大厅编码和时区不能在此修改。", f"{key} is read-only here")
            for key in READ_ONLY
            if value.get(key) != before.get(key)
        ]
    if section is SectionName.DEPARTMENTS and isinstance(before, list) and isinstance(value, list):
        kept = {str(d.get("code")) for d in value if isinstance(d, Mapping)}
        errors += [
            _problem(
                f"departments[{i}].code",
                f"部门 {d['code']} 不能删除或改编码（其窗口、人员和事项的记录仍指向它）。",
                f"department {d['code']!r} cannot be removed",
            )
            for i, d in enumerate(before)
            if str(d["code"]) not in kept
        ]
    return errors


def load(tx: Tx, hall_file: HallFile, section: SectionName, passwords: Mapping[str, str] | None) -> None:
    """Write ``section`` of the validated ``hall_file`` by the loader's functions."""
    if section.value in PARTS_LOADED_ALONE:
        load_parts(tx.session, hall_file, frozenset({section.value}), now=tx.now)
    else:
        load_sections(tx.session, hall_file, frozenset({section.value}), passwords=passwords, now=tx.now)


def _problem(path: str, message: str, detail: str) -> dict[str, str]:
    section = path.split("[", 1)[0].split(".", 1)[0]
    return FieldProblem(path=path, section=section, message=message, detail=detail).model_dump()
