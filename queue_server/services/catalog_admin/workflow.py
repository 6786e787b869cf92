"""The catalog's workflow: draft → review → publish, by two administrators (四眼原则).

An administrator writes a draft (a new matter, a new content, or a retirement), edits it while it is
theirs, and submits it; another administrator publishes it or sends it back with a note. The author
never reviews their own draft, so a hall with one administrator changes its catalog only through the
hall file (``hallq hall load``, whose file is reviewed outside hallq). Publishing writes a new version
as a load does (``halls/loader.py`` ``publish_matter``), unpublishes the others and republishes the
hall state, whose ``catalog_etag`` makes every kiosk fetch the new catalog. Each step is recorded with
the person and the time (``matter_step``), the content with it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError, NotFoundError
from queue_server.halls import steps
from queue_server.halls.catalogue import Matter
from queue_server.halls.publish import publish_matter
from queue_server.services.engine.access import require_admin
from queue_server.services.engine.tx import Tx
from queue_server.services.ports import Actor
from queue_server.store.tables import Department, MatterDraft, Service
from queue_server.store.tables import Matter as MatterRow

from . import specs
from .models import OPEN_STATES, DraftKind, DraftNew, DraftState, StepAction
from .reads import current_spec, draft_view, newest_row


def create(tx: Tx, actor: Actor, request: DraftNew) -> MatterDraft:
    """A new draft of ``request.code``; one open draft per matter at a time."""
    require_admin(actor)
    code = request.code
    if _open_draft(tx, code) is not None:
        raise InvalidStateError("该事项已有未完成的草稿。", matter=code)
    newest = newest_row(tx, code)
    if request.kind is DraftKind.RETIRE:
        if newest is None or not newest.published:
            raise InvalidStateError("只能停用已公开的事项。", matter=code)
        spec = current_spec(tx, newest)
    else:
        spec = _valid(tx, request.spec, code)
    draft = MatterDraft(
        hall_id=tx.hall_id,
        code=code,
        kind=request.kind.value,
        base_version=None if newest is None else newest.version,
        spec=spec,
        author=actor.id,
        created_at=tx.now,
        updated_at=tx.now,
    )
    tx.session.add(draft)
    tx.session.flush()
    _step(tx, draft, StepAction.CREATED, actor, spec=spec)
    return draft


def edit(tx: Tx, actor: Actor, draft_id: int, spec: dict[str, Any]) -> MatterDraft:
    draft = _own(tx, actor, draft_id, DraftState.DRAFT, DraftState.REJECTED)
    if draft.kind == DraftKind.RETIRE:
        raise InvalidStateError("停用申请没有可编辑的内容。", draft=draft_id)
    draft.spec = _valid(tx, spec, draft.code)
    draft.state = DraftState.DRAFT.value
    draft.updated_at = tx.now
    tx.session.add(draft)
    _step(tx, draft, StepAction.EDITED, actor, spec=draft.spec)
    return draft


def submit(tx: Tx, actor: Actor, draft_id: int) -> MatterDraft:
    draft = _own(tx, actor, draft_id, DraftState.DRAFT, DraftState.REJECTED)
    if draft.kind == DraftKind.EDIT:
        _valid(tx, draft.spec, draft.code)  # a service or department may have gone since
    draft.state = DraftState.REVIEW.value
    draft.submitted_at = draft.updated_at = tx.now
    tx.session.add(draft)
    _step(tx, draft, StepAction.SUBMITTED, actor)
    return draft


def withdraw(tx: Tx, actor: Actor, draft_id: int) -> MatterDraft:
    draft = _own(tx, actor, draft_id, DraftState.DRAFT, DraftState.REVIEW, DraftState.REJECTED)
    draft.state = DraftState.WITHDRAWN.value
    draft.updated_at = tx.now
    tx.session.add(draft)
    _step(tx, draft, StepAction.WITHDRAWN, actor)
    return draft


def reject(tx: Tx, actor: Actor, draft_id: int, note: str) -> MatterDraft:
    draft = _under_review(tx, actor, draft_id)
    if not note.strip():
        raise BadRequestError("退回须写明理由。", field="note")
    _reviewed(tx, draft, actor, DraftState.REJECTED, note)
    _step(tx, draft, StepAction.REJECTED, actor, note=note)
    return draft


def publish(tx: Tx, actor: Actor, draft_id: int, note: str = "") -> MatterDraft:
    """The reviewer's approval: the draft becomes the published version (or the matter is retired)."""
    draft = _under_review(tx, actor, draft_id)
    newest = newest_row(tx, draft.code)
    if (None if newest is None else newest.version) != draft.base_version:
        raise InvalidStateError(
            "该事项在起草后已有新版本发布，请退回起草人基于最新版本重新编辑。",
            matter=draft.code,
            base_version=draft.base_version,
            newest=None if newest is None else newest.version,
        )
    if draft.kind == DraftKind.RETIRE:
        _retire(tx, draft.code)
        draft.version = draft.base_version
        action = StepAction.RETIRED
    else:
        matter = _matter(tx, draft.spec, draft.code)
        draft.version = publish_matter(tx.session, tx.hall_id, matter, now=tx.now)
        action = StepAction.PUBLISHED
    _reviewed(tx, draft, actor, DraftState.PUBLISHED, note)
    _step(tx, draft, action, actor, note=note, spec=draft.spec)
    tx.changes.hall_changed = True  # the hall state's catalog_etag tells the kiosks
    return draft


# --- helpers -----------------------------------------------------------------------------------------


def _retire(tx: Tx, code: str) -> None:
    for row in tx.session.exec(
        select(MatterRow).where(
            MatterRow.hall_id == tx.hall_id, MatterRow.code == code, col(MatterRow.published)
        )
    ):
        row.published = False
        tx.session.add(row)


def _valid(tx: Tx, raw: dict[str, Any], code: str) -> dict[str, Any]:
    return specs.spec_of(_matter(tx, raw, code))


def _matter(tx: Tx, raw: dict[str, Any], code: str) -> Matter:
    """The spec validated as the hall file validates a matter; BadRequestError lists every problem."""
    services = tx.session.exec(
        select(Service.code).where(Service.hall_id == tx.hall_id, col(Service.active))
    ).all()
    departments = tx.session.exec(select(Department.code).where(Department.hall_id == tx.hall_id)).all()
    result = specs.validate({**raw, "code": code}, services, departments)
    if isinstance(result, list):
        # ``message`` for the page, ``detail`` as `hallq hall validate` says it.
        errors = [{"path": e.path, "message": specs.zh(e.message), "detail": e.message} for e in result]
        raise BadRequestError("事项内容有误，请按提示修改。", errors=errors)
    return result


def _open_draft(tx: Tx, code: str) -> MatterDraft | None:
    return tx.session.exec(
        select(MatterDraft).where(
            MatterDraft.hall_id == tx.hall_id,
            MatterDraft.code == code,
            col(MatterDraft.state).in_([s.value for s in OPEN_STATES]),
        )
    ).first()


def _draft(tx: Tx, draft_id: int) -> MatterDraft:
    draft = tx.session.get(MatterDraft, draft_id)
    if draft is None or draft.hall_id != tx.hall_id:
        raise NotFoundError("未找到该草稿。", what="draft", draft=draft_id)
    return draft


def _own(tx: Tx, actor: Actor, draft_id: int, *states: DraftState) -> MatterDraft:
    require_admin(actor)
    draft = _draft(tx, draft_id)
    if draft.author != actor.id:
        raise NotAuthorizedError("只有起草人可以修改、提交或撤回草稿。", draft=draft_id)
    _require_state(draft, *states)
    return draft


def _under_review(tx: Tx, actor: Actor, draft_id: int) -> MatterDraft:
    require_admin(actor)
    draft = _draft(tx, draft_id)
    if draft.author == actor.id:
        raise NotAuthorizedError("起草人不能审核自己的草稿，须由另一位管理员审核。", draft=draft_id)
    _require_state(draft, DraftState.REVIEW)
    return draft


def _require_state(draft: MatterDraft, *states: DraftState) -> None:
    if DraftState(draft.state) not in states:
        raise InvalidStateError(
            "草稿当前状态不允许此操作。",
            draft=draft.id,
            state=draft.state,
            allowed=[s.value for s in states],
        )


def _reviewed(tx: Tx, draft: MatterDraft, actor: Actor, state: DraftState, note: str) -> None:
    draft.state = state.value
    draft.reviewer = actor.id
    draft.reviewed_at = draft.updated_at = tx.now
    draft.review_note = note
    tx.session.add(draft)


def _step(
    tx: Tx,
    draft: MatterDraft,
    action: StepAction,
    actor: Actor,
    *,
    note: str = "",
    spec: dict[str, Any] | None = None,
) -> None:
    version = draft.version if action in (StepAction.PUBLISHED, StepAction.RETIRED) else draft.base_version
    steps.record(
        tx.session,
        tx.hall_id,
        draft.code,
        action.value,
        now=tx.now,
        version=version,
        spec=spec,
        source=steps.ADMIN,
        actor=actor.id,
        draft_id=draft.id,
        note=note,
    )


__all__ = ["create", "draft_view", "edit", "publish", "reject", "submit", "withdraw"]
