"""Appointments: booking (public: citizens book online) and check-in at the reception services."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.schemas import BookingRequest
from queue_server.protocol.messages import AppointmentCheckinArgs, TicketResult
from queue_server.services.queue.models import AppointmentResult

router = APIRouter(
    prefix="/api/halls/{hall}/appointments", tags=["appointments"], responses=PROBLEM_RESPONSES
)


@router.post("", response_model=AppointmentResult, summary="book a slot (capacity per service and half-day)")
def book(hall: HallDep, body: BookingRequest, services: ServicesDep, key: RequestId) -> AppointmentResult:
    return services.book_appointment(
        hall,
        body.service,
        body.slot_start,
        body.slot_end,
        id_hash=body.id_hash,
        name=body.name,
        phone=body.phone,
        matter=body.matter,
        request_id=key,
    )


@router.post("/checkin", response_model=TicketResult, summary="check an appointment in: its ticket")
def checkin(
    hall: HallDep,
    body: AppointmentCheckinArgs,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> TicketResult:
    return services.checkin_appointment(hall, body, request_id=key, device_id=None)
