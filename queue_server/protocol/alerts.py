"""The supervision alerts of the MQTT contract: the retained ``…/alerts`` message (docs/design/PROTOCOL.md).

Beside ``messages.py`` (the rest of the contract) only to keep each module readable; same base model.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from queue_server.protocol.messages import _Msg


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertInfo(_Msg):
    """One open supervision alert. Times are epoch seconds; ``title``/``detail`` are zh-CN."""

    id: int
    kind: str
    key: str
    severity: AlertSeverity
    title: str
    detail: str
    window: str | None = None
    service: str | None = None
    device: str | None = None
    raised_at: float
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    note: str | None = None


class AlertsState(_Msg):
    """Retained on ``…/alerts``: every open (unresolved) alert of the hall, most severe first."""

    alerts: list[AlertInfo] = Field(default_factory=list)
    ts: float = 0.0
