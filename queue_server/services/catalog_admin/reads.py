"""What the catalog pages read: the matters with their versions, drafts and history; a version's spec;
the diff between two versions (or a version and a draft)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from queue_server.errors import BadRequestError, NotFoundError
from queue_server.halls.catalogue import CaseType, MaterialForm
from queue_server.services.engine.tx import Tx
from queue_server.store.tables import Department, Material, MatterDraft, MatterStep, Service, Staff
from queue_server.store.tables import Matter as MatterRow

from . import specs
from .models import (
    OPEN_STATES,
    CatalogAdminList,
    Change,
    Choice,
    DraftKind,
    DraftState,
    DraftView,
    MatterAdmin,
    MatterSummary,
    StepAction,
    StepView,
    VersionDiff,
    VersionView,
)

LOADER = "hallq hall load"  # who published a version a load wrote
CASE_TYPES_ZH = {
    CaseType.IMMEDIATE: "即办件",
    CaseType.PROMISED: "承诺件",
    CaseType.JOINT: "联办件",
    CaseType.APPROVAL: "报批件",
    CaseType.RETURNED: "退回件",
    CaseType.SUPPLEMENT: "补办件",
    CaseType.SPECIAL: "特办件",
}
FORMS_ZH = {
    MaterialForm.ORIGINAL: "原件",
    MaterialForm.COPY: "复印件",
    MaterialForm.ORIGINAL_AND_COPY: "原件及复印件",
    MaterialForm.ELECTRONIC: "电子材料",
}


def newest_row(tx: Tx, code: str) -> MatterRow | None:
    return tx.session.exec(
        select(MatterRow)
        .where(MatterRow.hall_id == tx.hall_id, MatterRow.code == code)
        .order_by(col(MatterRow.version).desc())
    ).first()


def current_spec(tx: Tx, row: MatterRow) -> dict[str, Any]:
    """The spec of a version: the one recorded when it was published, else rebuilt from its rows."""
    step = tx.session.exec(
        select(MatterStep)
        .where(
            MatterStep.hall_id == tx.hall_id,
            MatterStep.code == row.code,
            MatterStep.version == row.version,
            MatterStep.action == StepAction.PUBLISHED.value,
            col(MatterStep.spec).is_not(None),
        )
        .order_by(col(MatterStep.id).desc())
    ).first()
    if step is not None and step.spec is not None:
        return dict(step.spec)
    service = tx.session.get(Service, row.service_id)
    department = tx.session.get(Department, row.department_id) if row.department_id is not None else None
    materials = tx.session.exec(
        select(Material).where(Material.matter_id == row.id).order_by(col(Material.position))
    ).all()
    return specs.from_rows(
        row.model_dump(),
        [m.model_dump() for m in materials],
        service.code if service is not None else "",
        department.code if department is not None else "",
    )


def _names(tx: Tx) -> dict[str, str]:
    return dict(tx.session.exec(select(Staff.login, Staff.name).where(Staff.hall_id == tx.hall_id)).all())


def draft_view(tx: Tx, draft: MatterDraft, names: dict[str, str] | None = None) -> DraftView:
    names = _names(tx) if names is None else names
    return DraftView(
        id=draft.id or 0,
        code=draft.code,
        kind=DraftKind(draft.kind),
        base_version=draft.base_version,
        spec=draft.spec,
        state=DraftState(draft.state),
        author=draft.author,
        author_name=names.get(draft.author, draft.author),
        created_at=draft.created_at,
        updated_at=draft.updated_at,
        submitted_at=draft.submitted_at,
        reviewer=draft.reviewer,
        reviewer_name=None if draft.reviewer is None else names.get(draft.reviewer, draft.reviewer),
        reviewed_at=draft.reviewed_at,
        review_note=draft.review_note,
        version=draft.version,
    )


def catalog_list(tx: Tx) -> CatalogAdminList:
    names = _names(tx)
    rows = tx.session.exec(
        select(MatterRow, Service.code)
        .join(Service, col(Service.id) == col(MatterRow.service_id))
        .where(MatterRow.hall_id == tx.hall_id)
        .order_by(col(MatterRow.code), col(MatterRow.version))
    ).all()
    newest = {row.code: (row, service) for row, service in rows}
    drafts = {
        d.code: d
        for d in tx.session.exec(
            select(MatterDraft).where(
                MatterDraft.hall_id == tx.hall_id, col(MatterDraft.state).in_([s.value for s in OPEN_STATES])
            )
        )
    }
    matters = [
        MatterSummary(
            code=code,
            name=row.name,
            service=service,
            version=row.version,
            published=row.published,
            open_draft=None if code not in drafts else draft_view(tx, drafts[code], names),
        )
        for code, (row, service) in newest.items()
    ]
    services = tx.session.exec(
        select(Service)
        .where(Service.hall_id == tx.hall_id, col(Service.active))
        .order_by(col(Service.position))
    ).all()
    departments = tx.session.exec(select(Department).where(Department.hall_id == tx.hall_id)).all()
    return CatalogAdminList(
        matters=matters,
        new_drafts=[draft_view(tx, d, names) for code, d in drafts.items() if code not in newest],
        services=[Choice(value=s.code, label=f"{s.code} {s.name}") for s in services],
        departments=[Choice(value=d.code, label=d.name) for d in departments],
        case_types=[Choice(value=k.value, label=v) for k, v in CASE_TYPES_ZH.items()],
        forms=[Choice(value=k.value, label=v) for k, v in FORMS_ZH.items()],
    )


def matter_admin(tx: Tx, code: str) -> MatterAdmin:
    names = _names(tx)
    rows = tx.session.exec(
        select(MatterRow)
        .where(MatterRow.hall_id == tx.hall_id, MatterRow.code == code)
        .order_by(col(MatterRow.version).desc())
    ).all()
    drafts = tx.session.exec(
        select(MatterDraft)
        .where(MatterDraft.hall_id == tx.hall_id, MatterDraft.code == code)
        .order_by(col(MatterDraft.id).desc())
    ).all()
    if not rows and not drafts:
        raise NotFoundError("未找到该事项。", what="matter", matter=code)
    history = tx.session.exec(
        select(MatterStep)
        .where(MatterStep.hall_id == tx.hall_id, MatterStep.code == code)
        .order_by(col(MatterStep.id).desc())
    ).all()
    publishers = {
        s.version: _who(s.actor, s.source, names)
        for s in reversed(history)
        if s.action == StepAction.PUBLISHED.value and s.version is not None
    }
    spec = current_spec(tx, rows[0]) if rows else dict(drafts[0].spec)
    return MatterAdmin(
        code=code,
        name=str(spec.get("name", code)),
        spec=spec,
        published=bool(rows) and any(r.published for r in rows),
        versions=[
            VersionView(
                version=r.version,
                published=r.published,
                updated_at=r.updated_at,
                by=publishers.get(r.version, ""),
            )
            for r in rows
        ],
        drafts=[draft_view(tx, d, names) for d in drafts],
        history=[
            StepView(
                action=StepAction(s.action),
                source=s.source,
                actor=s.actor or LOADER,
                actor_name=_who(s.actor, s.source, names),
                at=s.at,
                version=s.version,
                draft_id=s.draft_id,
                note=s.note,
            )
            for s in history
        ],
    )


def _who(login: str, source: str, names: dict[str, str]) -> str:
    if source == "load" or not login:
        return LOADER
    return f"{names.get(login, login)}（{login}）"


def version_spec(tx: Tx, code: str, ref: str) -> dict[str, Any]:
    """``ref``: a version number ("3") or a draft ("d12")."""
    if ref.startswith("d") and ref[1:].isdigit():
        draft = tx.session.get(MatterDraft, int(ref[1:]))
        if draft is None or draft.hall_id != tx.hall_id or draft.code != code:
            raise NotFoundError("未找到该草稿。", what="draft", draft=ref)
        return dict(draft.spec)
    if not ref.isdigit():
        raise BadRequestError("版本须为数字或草稿编号（如 3、d12）。", field="version")
    row = tx.session.exec(
        select(MatterRow).where(
            MatterRow.hall_id == tx.hall_id, MatterRow.code == code, MatterRow.version == int(ref)
        )
    ).first()
    if row is None:
        raise NotFoundError("未找到该版本。", what="version", matter=code, version=ref)
    return current_spec(tx, row)


def version_diff(tx: Tx, code: str, a: str, b: str) -> VersionDiff:
    changes = specs.diff(version_spec(tx, code, a), version_spec(tx, code, b))
    return VersionDiff(code=code, a=a, b=b, changes=[Change(**c) for c in changes])
