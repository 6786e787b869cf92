"""Requests and replies of the queue's use cases that have no MQTT message of their own."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from queue_server.protocol.messages import (
    TicketResult,
)
from queue_server.services.casework.models import CaseView
from queue_server.services.engine.models import Reply, Request


class CallNumberRequest(Request):
    """Call a ticket out of order by the number the citizen shows (today's, waiting or held)."""

    number: str = Field(pattern=r"^[A-Z]{1,3}[0-9]{3,}$")
    reason: str = Field(min_length=1, max_length=200)


class TransferRequest(Request):
    """Exactly one target: a service, a window, or a person (the window they are signed in at)."""

    to_service: str | None = Field(None, max_length=3)
    to_window: str | None = Field(None, max_length=16)
    to_staff: str | None = Field(None, max_length=64)
    note: str = Field("", max_length=200)


class SpecialRequest(Request):
    service: str = Field(min_length=1, max_length=3)
    reason: str = Field(min_length=1, max_length=200)


class DoorVisitRequest(Request):
    service: str = Field(min_length=1, max_length=3)
    matter: str | None = Field(None, max_length=64)
    applicant_name: str = Field(min_length=1, max_length=64)
    phone: str = Field(pattern=r"^[0-9+\- ]{5,20}$")
    address: str = Field(min_length=1, max_length=300)
    start: AwareDatetime
    end: AwareDatetime
    staff: str | None = Field(None, max_length=64, description="who goes (staff login)")
    note: str = Field("", max_length=500)


class SpecialTicket(Reply):
    ticket: TicketResult
    granted_by: str
    reason: str


class SpecialGrantView(Reply):
    number: str
    service: str
    reason: str
    granted_by: str
    granted_at: float
    state: str


class DoorVisitView(Reply):
    id: int
    service: str
    service_name: str
    matter: str | None
    matter_name: str | None
    applicant_name: str
    phone: str  # masked (138****5678) when the address is hidden
    address: str  # "" when hidden: only managers and the assigned person see it
    address_hidden: bool = False
    start: float
    end: float
    staff: str | None
    staff_name: str | None
    state: str
    state_label: str
    note: str
    case: CaseView | None


class AppointmentResult(Reply):
    code: str
    service: str
    service_name: str
    slot_start: float
    slot_end: float
    state: str
    ticket_id: str | None = None
