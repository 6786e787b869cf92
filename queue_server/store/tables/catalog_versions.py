"""The catalog's workflow: drafts of a matter under review, and every step of a matter's history.

A published version is a ``Matter`` row (``catalog.py``); a draft is not, until a second administrator
approves it (``services/catalog_admin/``). ``matter_step`` is append-only: who did what to which
matter and when, by the pages (``source`` "admin") or by ``hallq hall load`` ("load"), with the
matter's content at that step (``spec``: the hall file's form of the matter).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text
from sqlmodel import Column, Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field


class MatterDraft(SQLModel, table=True):
    """A proposed change of one matter: ``kind`` "edit" (a new matter or a new content) or "retire".

    ``state``: draft → review → published, or rejected (back to the author) or withdrawn.
    ``base_version``: the newest version when the draft began (None: a new matter); a draft whose base
    is no longer the newest version is not published (someone else published meanwhile).
    """

    __tablename__ = "matter_draft"
    __table_args__ = (Index("ix_matter_draft_hall_code", "hall_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    code: str = Field(max_length=64)
    kind: str = Field(default="edit", max_length=16)
    base_version: int | None = None
    spec: dict[str, Any] = json_field(nullable=False, default_factory=dict)
    state: str = Field(default="draft", max_length=16)
    author: str = Field(max_length=64)
    created_at: datetime = utc_field(nullable=False)
    updated_at: datetime = utc_field(nullable=False)
    submitted_at: datetime | None = utc_field()
    reviewer: str | None = Field(default=None, max_length=64)
    reviewed_at: datetime | None = utc_field()
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    version: int | None = None  # the version it became, once published


class MatterStep(SQLModel, table=True):
    """One step of a matter's history (never updated): created, edited, submitted, rejected, withdrawn,
    published, retired; ``actor`` is the person's login ("" for ``hallq hall load``)."""

    __tablename__ = "matter_step"
    __table_args__ = (Index("ix_matter_step_hall_code", "hall_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    code: str = Field(max_length=64)
    action: str = Field(max_length=16)
    source: str = Field(default="admin", max_length=8)
    draft_id: int | None = Field(default=None, foreign_key="matter_draft.id")
    version: int | None = None
    actor: str = Field(default="", max_length=64)
    at: datetime = utc_field(nullable=False)
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    spec: dict[str, Any] | None = json_field()
