"""A matter's content as the hall file writes it (a "spec"), its validation and the diff of two specs.

A spec is the ``[[matters]]`` table of a hall file as a dict. The catalog pages edit specs, and they
are validated by the same model and checks as a hall file (``halls/catalogue.py`` ``Matter``, the
references of ``halls/checks.py`` with the same messages): every problem, each with its path
(``materials[1].name``), so the page puts it next to its field.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from queue_server.halls.catalogue import Matter
from queue_server.halls.errors import HallFileError, format_loc, unknown
from queue_server.halls.messages_zh import zh as zh  # the pages' zh-CN of a message (workflow.py)
from queue_server.halls.validate import translate

_MATTER = TypeAdapter(Matter)

# The fields of a spec in the order a page shows them, with their zh-CN labels (the diff's).
FIELD_LABELS: dict[str, str] = {
    "name": "事项名称",
    "service": "所属业务",
    "department": "实施部门",
    "co_departments": "协办部门",
    "case_type": "办件类型",
    "promised_days": "承诺办结时限（工作日）",
    "licensing": "行政许可",
    "content": "服务内容",
    "legal_basis": "审批依据",
    "conditions": "申报条件",
    "materials": "申报材料",
    "procedure": "办理程序",
    "time_limit": "承诺期限",
    "fees": "收费标准",
    "result": "办事结果",
}
MATERIAL_KEYS = ("code", "name", "copies", "form", "required", "note")


def validate(
    raw: Mapping[str, Any], services: Collection[str], departments: Collection[str]
) -> Matter | list[HallFileError]:
    """The matter ``raw`` describes, or every problem in it (paths relative to the matter)."""
    try:
        matter = _MATTER.validate_python(dict(raw))
    except ValidationError as exc:
        return translate(exc)
    problems = [
        HallFileError(format_loc(loc), unknown(what, value, known))
        for loc, what, value, known in _references(matter, services, departments)
        if value not in known
    ]
    return problems or matter


def _references(
    matter: Matter, services: Collection[str], departments: Collection[str]
) -> list[tuple[tuple[str | int, ...], str, str, Collection[str]]]:
    refs: list[tuple[tuple[str | int, ...], str, str, Collection[str]]] = [
        (("service",), "service", matter.service, services),
        (("department",), "department", matter.department, departments),
    ]
    refs += [
        (("co_departments", i), "department", co, departments) for i, co in enumerate(matter.co_departments)
    ]
    return refs


def spec_of(matter: Matter) -> dict[str, Any]:
    """The spec of a validated matter (what a draft and a history step keep)."""
    spec: dict[str, Any] = matter.model_dump(mode="json")
    return spec


def from_rows(
    row: Mapping[str, Any], materials: Sequence[Mapping[str, Any]], service: str, department: str
) -> dict[str, Any]:
    """The spec of a version written before versions kept their spec: the table's columns (a material's
    form and copies are then inside its note, as the loader wrote them)."""
    return {
        "code": row["code"],
        "name": row["name"],
        "service": service,
        "department": department,
        "co_departments": list(row.get("co_departments") or []),
        "case_type": row["case_type"],
        "promised_days": row["promised_days"] or 0,
        "licensing": bool(row["licensing"]),
        "published": bool(row["published"]),
        **{key: row[key] for key in ("content", "legal_basis", "conditions", "procedure", "time_limit")},
        "fees": row["fees"],
        "result": row["result"],
        "materials": [
            {"code": m["code"], "name": m["name"], "copies": 1, "form": "original", "required": m["required"],
             "note": m["note"]}
            for m in materials
        ],
    }  # fmt: skip


def material_line(material: Mapping[str, Any]) -> str:
    """One material as one line of a diff."""
    required = "必需" if material.get("required", True) else "非必需"
    parts = [
        str(material.get("name", "")),
        str(material.get("form", "")),
        f"{material.get('copies', 1)}份",
        required,
    ]
    note = material.get("note")
    return " · ".join(parts + ([str(note)] if note else []))


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What changed from ``before`` to ``after``: one entry per changed field, and per material (by code)
    that was added, removed or changed: ``{"field", "label", "before", "after"}``."""
    changes: list[dict[str, Any]] = []
    for key, label in FIELD_LABELS.items():
        if key == "materials":
            changes += _material_changes(before.get(key) or [], after.get(key) or [])
        elif before.get(key) != after.get(key):
            changes.append({"field": key, "label": label, "before": before.get(key), "after": after.get(key)})
    return changes


def _material_changes(
    before: Sequence[Mapping[str, Any]], after: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    old = {str(m.get("code")): m for m in before}
    new = {str(m.get("code")): m for m in after}
    changes: list[dict[str, Any]] = []
    for code in [*old, *(c for c in new if c not in old)]:
        a, b = old.get(code), new.get(code)
        if a is not None and b is not None and all(a.get(k) == b.get(k) for k in MATERIAL_KEYS):
            continue
        changes.append(
            {
                "field": f"materials.{code}",
                "label": f"申报材料 {code}",
                "before": None if a is None else material_line(a),
                "after": None if b is None else material_line(b),
            }
        )
    if [m.get("code") for m in before] != [m.get("code") for m in after] and not changes:
        order = "、".join(str(m.get("name")) for m in after)
        changes.append({"field": "materials", "label": "申报材料顺序", "before": None, "after": order})
    return changes
