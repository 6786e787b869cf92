"""Results of the use cases that have no MQTT op (staff, appointments, statistics): HTTP-only models."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from queue_server.protocol.messages import WindowState


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class StaffInfo(_Model):
    login: str
    name: str
    role: str
    window: str | None = Field(None, description="the window the person is signed in at")
    qualification_no: str | None = None
    qualification_valid: bool = False


class LoginResult(_Model):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_at: float
    staff: StaffInfo


class SignInResult(_Model):
    window: WindowState
    staff: StaffInfo
    rotation_due: bool = Field(description="at this window for 2 years or more: due to rotate (轮岗)")
    days_at_window: int


class AppointmentResult(_Model):
    code: str
    service: str
    service_name: str
    slot_start: float
    slot_end: float
    state: str
    ticket_id: str | None = None


class StatsRow(_Model):
    """One service or window over the period. Times in seconds; None when nothing to measure."""

    key: str
    name: str
    tickets: int
    served: int
    no_shows: int
    transferred: int
    mean_wait_s: float | None
    p90_wait_s: float | None
    mean_handling_s: float | None
    within_target: float | None = Field(description="share (0..1) of called tickets called within target")


class StatsResult(_Model):
    hall: str
    date_from: date
    date_to: date
    total: StatsRow
    services: list[StatsRow]
    windows: list[StatsRow]


class Ack(_Model):
    ok: bool = True
