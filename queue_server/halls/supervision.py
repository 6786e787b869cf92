"""The hall file's ``[supervision]`` table: the thresholds of the running hall's alerts (电子监察).

Every field is stored by the loader (``hall_supervision`` row) and read by the server's supervision
(``services/supervision/``) each time it evaluates. A service's own target wait stays on the service
(``target_wait_min``). The defaults are those of ``domain.alerts.AlertRules`` (a test holds them equal).
Import-light like ``schema`` (pydantic and the standard library only).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .values import Section

PauseReason = Annotated[str, Field(min_length=1, max_length=100)]


class Supervision(Section):
    """When the running server raises an alert (see docs/design/DOMAIN.md, "Supervision")."""

    max_waiting_per_window: int = Field(
        default=10,
        ge=1,
        le=1000,
        title="crowding",
        description="people waiting per open window of a service above which crowding is raised",
    )
    max_pause_min: int = Field(
        default=15, ge=1, le=480, title="longest pause", description="minutes a window may stay paused"
    )
    pause_limits_min: dict[PauseReason, Annotated[int, Field(ge=1, le=480)]] = Field(
        default_factory=dict,
        title="pause limits by reason",
        description='minutes per pause reason, overriding max_pause_min, e.g. {"用餐" = 45}',
    )
    case_due_within_working_days: int = Field(
        default=1,
        ge=0,
        le=30,
        title="case due soon",
        description="working days before a promised case's deadline when it is flagged",
    )
    idle_with_waiting_min: int = Field(
        default=5,
        ge=1,
        le=240,
        title="idle window",
        description="minutes a staffed window may stay idle while people wait for its services",
    )
    no_show_streak: int = Field(
        default=3,
        ge=2,
        le=50,
        title="no-show streak",
        description="no-shows in a row at one window (the day's latest visits) that raise an alert",
    )
    device_offline_after_s: int = Field(
        default=90,
        ge=30,
        le=3600,
        title="device offline",
        description="seconds without a status or heartbeat after which a device is offline "
        "(devices send a heartbeat every 30 s)",
    )
