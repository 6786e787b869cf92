"""Tickets: issue (reception desk), special tickets (supervisors; the grant is recorded and listed at
``GET …/special-tickets``), status (public), hold/resume (``?view=console``: the console's picture)."""

from __future__ import annotations

from fastapi import APIRouter

from queue_server.api.deps import HallDep, HallStaff, HallSupervisor, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.api.replies import TicketAnswer, TicketReply
from queue_server.protocol.messages import TicketIssueArgs, TicketResult, TicketStatusResult
from queue_server.services.queue.models import SpecialRequest

router = APIRouter(prefix="/api/halls/{hall}/tickets", tags=["tickets"], responses=PROBLEM_RESPONSES)


@router.post("", response_model=TicketResult, summary="issue a ticket (as a kiosk would)")
def issue(
    hall: HallDep, body: TicketIssueArgs, staff: HallStaff, services: ServicesDep, key: RequestId
) -> TicketResult:
    return services.issue_ticket(hall, body, request_id=key, device_id=None)


@router.post(
    "/special",
    response_model=TicketResult,
    summary="issue a special ticket (特事特办), called first; its grant is on the day's list",
)
def special(
    hall: HallDep, body: SpecialRequest, staff: HallSupervisor, services: ServicesDep, key: RequestId
) -> TicketResult:
    return services.issue_special(hall, body.service, body.reason, actor=staff.actor, request_id=key).ticket


@router.get("/{ticket_id}", response_model=TicketStatusResult, summary="a ticket's state, position and wait")
def status(hall: HallDep, ticket_id: str, services: ServicesDep) -> TicketStatusResult:
    return services.ticket_status(hall, ticket_id)


@router.post("/{ticket_id}/hold", response_model=TicketReply, summary="set a ticket aside")
def hold(
    hall: HallDep,
    ticket_id: str,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: TicketAnswer,
) -> TicketReply:
    return answer.ticket(services.hold_ticket(hall, ticket_id, actor=staff.actor, request_id=key))


@router.post("/{ticket_id}/resume", response_model=TicketReply, summary="put a held ticket back")
def resume(
    hall: HallDep,
    ticket_id: str,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
    answer: TicketAnswer,
) -> TicketReply:
    return answer.ticket(services.resume_ticket(hall, ticket_id, actor=staff.actor, request_id=key))
