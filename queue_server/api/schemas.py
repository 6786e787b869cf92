"""Request bodies of the HTTP API that have no MQTT counterpart (strict: unknown fields refused).

An action that two kinds of caller start with different facts takes either body on its one route
(``CallBody``, ``FinishBody``): both refuse unknown fields and one needs a field the other does not
know, so a request matches one of them or none.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from queue_server.protocol.messages import WindowFinishArgs
from queue_server.services.casework.models import CaseRequest
from queue_server.services.queue.models import CallNumberRequest


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoginRequest(_Body):
    hall: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    login: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class CallTicketRequest(_Body):
    ticket_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=200, description="why out of order (audited)")


CallBody = Annotated[
    CallTicketRequest | CallNumberRequest,
    Body(description="the ticket by its id (integrators) or by the number the citizen shows (the console)"),
]

FinishBody = Annotated[
    WindowFinishArgs | CaseRequest,
    Body(
        description="the outcome alone, as a keypad sends it (details may follow on the case), or the "
        "whole case: its type and what the type needs; its documents are issued and printed"
    ),
]


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
