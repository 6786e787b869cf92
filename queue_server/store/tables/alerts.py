"""Supervision (电子监察): the alerts the running server raised, and each hall's thresholds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel, col

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.tables.audit import Event
from queue_server.store.types import json_field, utc_field

# Supervision's no-show streak reads a window's newest visit events (services/supervision/snapshot.py):
# without this index that read scans the hall's whole day of events. Partial: a ticket issue's event
# names no window, so the issuing hot path never writes this index.
Index(
    "ix_event_window",
    col(Event.window_id),
    col(Event.id),
    sqlite_where=text("window_id IS NOT NULL"),
    postgresql_where=text("window_id IS NOT NULL"),
)


class SupervisionAlert(SQLModel, table=True):
    """One alert: raised once per ``key`` while its condition holds, resolved when it clears.

    ``key`` is the domain's ``Alert.key`` (kind and subject). At most one unresolved row per hall and
    key (a partial unique index): two server instances evaluating at once cannot raise it twice. The
    title and detail are zh-CN as raised; the acknowledgement (who, when, the note) is the manager's.
    """

    __tablename__ = "supervision_alert"
    __table_args__ = (
        Index(
            "uq_supervision_alert_open",
            "hall_id",
            "key",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_supervision_alert_hall_raised", "hall_id", "raised_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id")
    kind: str = Field(max_length=40)
    key: str = Field(max_length=120)
    severity: int
    title: str = Field(max_length=40)
    detail: str = Field(max_length=500)
    window: str | None = Field(default=None, max_length=16)
    service: str | None = Field(default=None, max_length=3)
    device: str | None = Field(default=None, max_length=40)
    raised_at: datetime = utc_field(nullable=False)
    acknowledged_at: datetime | None = utc_field()
    acknowledged_by: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=500)
    resolved_at: datetime | None = utc_field()


class HallSupervision(SQLModel, table=True):
    """A hall's supervision thresholds, as its hall file's ``[supervision]`` table says (loader).

    A hall without a row (built before supervision, or not from a hall file) uses the defaults of
    ``domain.alerts.AlertRules``, which are also the hall file's defaults.
    """

    __tablename__ = "hall_supervision"

    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    max_waiting_per_window: int
    max_pause_min: int
    pause_limits_min: dict[str, Any] = json_field(nullable=False, default_factory=dict)
    case_due_within_working_days: int
    idle_with_waiting_min: int
    no_show_streak: int
    device_offline_after_s: int
