"""Tickets: issue (reception desk), special tickets (supervisors), status (public), hold/resume."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff, HallSupervisor, IdempotencyKey, ServicesDep, request_id
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.schemas import SpecialTicketRequest
from queue_server.protocol.messages import TicketIssueArgs, TicketResult, TicketStatusResult

router = APIRouter(prefix="/api/halls/{hall}/tickets", tags=["tickets"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=TicketResult, summary="issue a ticket (as a kiosk would)")
def issue(
    hall: HallDep, body: TicketIssueArgs, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> TicketResult:
    return services.issue_ticket(hall, body, request_id=request_id(key), device_id=None)


@router.post(
    "/special", response_model=TicketResult, summary="issue a special ticket (特事特办), called first"
)
def special(
    hall: HallDep,
    body: SpecialTicketRequest,
    staff: HallSupervisor,
    services: ServicesDep,
    key: IdempotencyKey = None,
) -> TicketResult:
    return services.issue_special(hall, body.service, body.reason, actor=staff.actor, request_id=key)


@router.get("/{ticket_id}", response_model=TicketStatusResult, summary="a ticket's state, position and wait")
def status(hall: HallDep, ticket_id: str, services: ServicesDep) -> TicketStatusResult:
    return services.ticket_status(hall, ticket_id)


@router.post("/{ticket_id}/hold", response_model=TicketStatusResult, summary="set a ticket aside")
def hold(
    hall: HallDep, ticket_id: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> TicketStatusResult:
    return services.hold_ticket(hall, ticket_id, actor=staff.actor, request_id=key)


@router.post("/{ticket_id}/resume", response_model=TicketStatusResult, summary="put a held ticket back")
def resume(
    hall: HallDep, ticket_id: str, staff: HallStaff, services: ServicesDep, key: IdempotencyKey = None
) -> TicketStatusResult:
    return services.resume_ticket(hall, ticket_id, actor=staff.actor, request_id=key)
