"""The append-only event log and the request log that makes device requests idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field


class Event(SQLModel, table=True):
    """Every state change appends one row in the same transaction; rows are never updated."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_hall_ts", "hall_id", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    ts: datetime = utc_field(nullable=False)
    kind: str = Field(max_length=32)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    window_id: int | None = Field(default=None, foreign_key="window.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    device_id: str | None = Field(default=None, max_length=40)
    request_id: str | None = Field(default=None, max_length=128)
    data: dict[str, Any] = json_field(nullable=False, default_factory=dict)


class RequestLog(SQLModel, table=True):
    """The reply to each mutating request, written in the transaction of the change it made.

    The unique (hall, scope, request id) turns a concurrent or a later duplicate into a read of this
    reply. ``scope`` is who sent it (a device, a signed-in person, or "" for the anonymous doors): one
    sender cannot read or block another's key. ``fingerprint`` hashes the request's arguments: the same
    key with other arguments is refused, not answered with the first reply. Rows older than the
    idempotency window are deleted (``retention.py``).
    """

    __tablename__ = "request_log"
    __table_args__ = (
        UniqueConstraint("hall_id", "scope", "request_id", name="uq_request_log"),
        Index("ix_request_log_ts", "ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    scope: str = Field(default="", max_length=80)
    request_id: str = Field(max_length=128)
    fingerprint: str = Field(default="", max_length=64)
    device_id: str = Field(default="", max_length=64)
    op: str = Field(max_length=32)
    response: dict[str, Any] = json_field(nullable=False, default_factory=dict)
    ts: datetime = utc_field(nullable=False)
