"""Appointments: the public booking pages' calls (book, slots, find, cancel, reschedule) and check-in
at the reception services.

Public on purpose (citizens book from their phones, on the hall network or behind a government
portal): each write and look-up counts against the caller's address (429 past the limit). A resident
ID number is accepted only in a request body (never a URL, which access logs keep), hashed at once
with the hall's key; it is never stored, logged or echoed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.documents.qr import qr_svg
from queue_server.errors import BadRequestError
from queue_server.protocol.messages import AppointmentCheckinArgs, TicketResult
from queue_server.services.facade import Services
from queue_server.services.queue.appointments import CODE_PREFIX
from queue_server.services.queue.booking import Availability
from queue_server.services.queue.models import AppointmentResult

router = APIRouter(
    prefix="/api/halls/{hall}/appointments", tags=["appointments"], responses=PROBLEM_RESPONSES
)

# The shape only; the check character is verified by the server (domain/idcard.py).
ID_NUMBER = r"^[0-9]{17}[0-9Xx]$"
CODE = r"^(YY|yy)?[0-9]{8}$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Identified(_Body):
    """Who books: the resident ID number (hashed by the server) or a kiosk's keyed hash of it."""

    id_number: str | None = Field(None, pattern=ID_NUMBER, description="resident ID; hashed, never stored")
    id_hash: str | None = Field(None, min_length=16, max_length=128, description="the hall's keyed hash")

    def hashed(self, services: Services) -> str:
        if self.id_number is not None:
            return services.resident_id_hash(self.id_number)
        if self.id_hash is not None:
            return self.id_hash
        raise BadRequestError("请填写身份证号码。", field="id_number")


class BookingForm(_Identified):
    service: str = Field(min_length=1, max_length=3)
    slot_start: AwareDatetime
    slot_end: AwareDatetime
    matter: str | None = Field(None, max_length=64)
    name: str = Field("", max_length=64)
    phone: str | None = Field(None, pattern=r"^1[0-9]{10}$", description="mobile number, for the reminder")


class LookupForm(_Identified):
    code: str = Field(pattern=CODE)


class RescheduleForm(LookupForm):
    slot_start: AwareDatetime
    slot_end: AwareDatetime


class BookingView(AppointmentResult):
    """A booking with the QR code the kiosk's scanner checks in (``YY`` + the code)."""

    qr_payload: str
    qr_svg: str


def _view(result: AppointmentResult) -> BookingView:
    payload = CODE_PREFIX + result.code
    return BookingView(**result.model_dump(), qr_payload=payload, qr_svg=qr_svg(payload))


def _address(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


@router.get("/services", response_model=list[str], summary="the services that take bookings")
def bookable(hall: HallDep, services: ServicesDep) -> list[str]:
    return services.bookable_services(hall)


@router.get("/slots", response_model=Availability, summary="a service's slots and the places left")
def slots(
    hall: HallDep,
    services: ServicesDep,
    service: Annotated[str, Query(min_length=1, max_length=3)],
    first: Annotated[date | None, Query(alias="from")] = None,
    days: Annotated[int, Query(ge=1, le=31)] = 14,
) -> Availability:
    return services.booking_availability(hall, service, first, days)


@router.post("", response_model=BookingView, summary="book a slot the hall offers (public, per-ID limits)")
def book(
    hall: HallDep, body: BookingForm, services: ServicesDep, key: RequestId, request: Request
) -> BookingView:
    services.count_booking_request(_address(request))
    booked = services.book_appointment(
        hall,
        body.service,
        body.slot_start,
        body.slot_end,
        id_hash=body.hashed(services),
        name=body.name,
        phone=body.phone,
        matter=body.matter,
        request_id=key,
    )
    return _view(booked)


@router.post("/find", response_model=BookingView, summary="a booking by its code and the ID that booked it")
def find(hall: HallDep, body: LookupForm, services: ServicesDep, request: Request) -> BookingView:
    services.count_booking_request(_address(request))
    return _view(services.find_appointment(hall, body.code, body.hashed(services)))


@router.post("/cancel", response_model=BookingView, summary="cancel a booking before its slot")
def cancel(
    hall: HallDep, body: LookupForm, services: ServicesDep, key: RequestId, request: Request
) -> BookingView:
    services.count_booking_request(_address(request))
    return _view(services.cancel_appointment(hall, body.code, body.hashed(services), request_id=key))


@router.post("/reschedule", response_model=BookingView, summary="move a booking to another slot")
def reschedule(
    hall: HallDep, body: RescheduleForm, services: ServicesDep, key: RequestId, request: Request
) -> BookingView:
    services.count_booking_request(_address(request))
    moved = services.reschedule_appointment(
        hall, body.code, body.hashed(services), body.slot_start, body.slot_end, request_id=key
    )
    return _view(moved)


@router.post("/checkin", response_model=TicketResult, summary="check an appointment in: its ticket")
def checkin(
    hall: HallDep,
    body: AppointmentCheckinArgs,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> TicketResult:
    return services.checkin_appointment(hall, body, request_id=key, device_id=None)
