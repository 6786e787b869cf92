"""What the catalog pages send and read: drafts, versions, history steps, diffs, the choices of a form."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class DraftKind(StrEnum):
    EDIT = "edit"  # a new matter, or a new content of one
    RETIRE = "retire"  # take the matter off the kiosks and the public pages


class DraftState(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    REJECTED = "rejected"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


OPEN_STATES = frozenset({DraftState.DRAFT, DraftState.REVIEW, DraftState.REJECTED})


class StepAction(StrEnum):
    CREATED = "created"
    EDITED = "edited"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    PUBLISHED = "published"
    RETIRED = "retired"


class DraftNew(BaseModel):
    """A new draft: ``spec`` is the matter as a hall file writes it (ignored for a retirement)."""

    code: str = Field(min_length=1, max_length=64)
    kind: DraftKind = DraftKind.EDIT
    spec: dict[str, Any] = Field(default_factory=dict)


class DraftEdit(BaseModel):
    spec: dict[str, Any]


class ReviewNote(BaseModel):
    note: str = Field(default="", max_length=500)


class DraftView(BaseModel):
    id: int
    code: str
    kind: DraftKind
    base_version: int | None
    spec: dict[str, Any]
    state: DraftState
    author: str
    author_name: str
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    reviewer: str | None
    reviewer_name: str | None
    reviewed_at: datetime | None
    review_note: str
    version: int | None


class StepView(BaseModel):
    action: StepAction
    source: str  # "admin" (the catalog pages) or "load" (hallq hall load)
    actor: str
    actor_name: str
    at: datetime
    version: int | None
    draft_id: int | None
    note: str


class VersionView(BaseModel):
    version: int
    published: bool
    updated_at: datetime | None
    by: str  # who published it ("hallq hall load" for the loader)


class MatterAdmin(BaseModel):
    """One matter for the administration page: its newest content, versions, open drafts, history."""

    code: str
    name: str
    spec: dict[str, Any]
    published: bool
    versions: list[VersionView]
    drafts: list[DraftView]
    history: list[StepView]


class MatterSummary(BaseModel):
    code: str
    name: str
    service: str
    version: int
    published: bool
    open_draft: DraftView | None


class Choice(BaseModel):
    value: str
    label: str


class CatalogAdminList(BaseModel):
    """Every matter of the hall (retired ones too), the drafts not yet tied to a matter, the choices."""

    matters: list[MatterSummary]
    new_drafts: list[DraftView]
    services: list[Choice]
    departments: list[Choice]
    case_types: list[Choice]
    forms: list[Choice]


class Change(BaseModel):
    field: str
    label: str
    before: Any = None
    after: Any = None


class VersionDiff(BaseModel):
    code: str
    a: str
    b: str
    changes: list[Change]
