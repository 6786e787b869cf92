"""Request bodies of the HTTP API that have no MQTT counterpart (strict: unknown fields refused)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoginRequest(_Body):
    hall: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class SpecialTicketRequest(_Body):
    service: str = Field(min_length=1, max_length=3)
    reason: str = Field(min_length=1, max_length=200, description="why this case is handled specially")


class CallTicketRequest(_Body):
    ticket_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=200, description="why out of order (audited)")


class TransferRequest(_Body):
    to_service: str | None = Field(None, max_length=3)
    to_window: str | None = Field(None, max_length=16)
    note: str = Field("", max_length=200)


class PriorityRequest(_Body):
    confirmed: bool


class RatingRequest(_Body):
    score: int = Field(ge=1, le=5)
    id: str = Field(min_length=1, max_length=128, description="unique per rating (idempotency)")
    visit: str | None = Field(None, max_length=64, description="ticket id; default: the window's last visit")


class BookingRequest(_Body):
    service: str = Field(min_length=1, max_length=3)
    slot_start: AwareDatetime
    slot_end: AwareDatetime
    matter: str | None = Field(None, max_length=64)
    id_hash: str | None = Field(None, min_length=16, max_length=128)
    name: str = Field("", max_length=64)
    phone: str | None = Field(None, pattern=r"^[0-9+\- ]{5,20}$")
