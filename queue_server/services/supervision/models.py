"""Requests and replies of supervision: alerts as managers see them, the acknowledgement, devices."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from queue_server.domain.alerts import Paper
from queue_server.protocol.alerts import AlertSeverity
from queue_server.services.engine.models import Reply, Request


class AlertView(Reply):
    """One alert. Times are UNIX seconds; ``title`` and ``detail`` are zh-CN."""

    id: int
    kind: str
    key: str
    severity: AlertSeverity
    title: str
    detail: str
    window: str | None
    service: str | None
    device: str | None
    raised_at: float
    acknowledged_at: float | None
    acknowledged_by: str | None
    note: str | None
    resolved_at: float | None


class AlertList(Reply):
    alerts: list[AlertView]


AlertsWanted = Literal["open", "all"]


class AcknowledgeRequest(Request):
    note: str = Field(min_length=1, max_length=500, description="what the manager did or decided (zh-CN)")


class Evaluated(Reply):
    """What one evaluation changed: alerts raised, re-graded and resolved (their keys)."""

    raised: list[str] = Field(default_factory=list)
    regraded: list[str] = Field(default_factory=list)
    resolved: list[str] = Field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.raised or self.regraded or self.resolved)


class DeviceStatusView(Reply):
    """A device as the managers' overview shows it."""

    id: str
    kind: str
    window: str | None
    online: bool
    state: str  # as last reported: online, offline, unknown (never reported)
    last_seen: float | None
    boot_count: int
    paper: Paper
    version: str | None
    health: dict[str, str]
    name: str = ""  # as the hall file names it (大厅东侧1号取号机); empty when it names none


class DeviceStatusList(Reply):
    devices: list[DeviceStatusView]
