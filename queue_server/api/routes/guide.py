"""The guide desk (导办台): search the catalogue, issue on a citizen's behalf, look up, reprint, void,
record an enquiry. Signed-in guide-desk clerks and managers (the services check the right)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from queue_server.api.deps import HallDep, HallStaff, RequestId, ServicesDep
from queue_server.api.problems import PROBLEM_RESPONSES
from queue_server.services.queue.guide_models import (
    EnquiryAck,
    EnquiryRequest,
    GuideIssueRequest,
    GuideSlip,
    GuideTicket,
    GuideTicketView,
    GuideVoidRequest,
    MatterHit,
)

router = APIRouter(prefix="/api/halls/{hall}/guide", tags=["guide desk"], responses=PROBLEM_RESPONSES)

# No NUL: PostgreSQL refuses one in a string (a typed NUL would be a 500, not "not found").
Text = Annotated[str, Query(max_length=128, pattern=r"^[^\x00]*$", description="what the clerk typed")]


@router.get("/matters", response_model=list[MatterHit], summary="matters by name, code or pinyin initials")
def matters(hall: HallDep, staff: HallStaff, services: ServicesDep, q: Text = "") -> list[MatterHit]:
    return services.guide_matters(hall, q, actor=staff.actor)


@router.post("/tickets", response_model=GuideTicket, summary="issue a ticket on a citizen's behalf")
def issue(
    hall: HallDep, body: GuideIssueRequest, staff: HallStaff, services: ServicesDep, key: RequestId
) -> GuideTicket:
    return services.guide_issue(hall, body, actor=staff.actor, request_id=key)


@router.get(
    "/tickets",
    response_model=list[GuideTicketView],
    summary="tickets by number (on a day, default today), public ticket id or ID hash",
)
def lookup(
    hall: HallDep,
    staff: HallStaff,
    services: ServicesDep,
    q: Text = "",
    day: Annotated[date | None, Query(description="hall-local service day of a number")] = None,
) -> list[GuideTicketView]:
    return services.guide_lookup(hall, q, day, actor=staff.actor)


@router.post("/tickets/{ticket_id}/void", response_model=GuideTicketView, summary="void a waiting ticket")
def void(
    hall: HallDep,
    ticket_id: str,
    body: GuideVoidRequest,
    staff: HallStaff,
    services: ServicesDep,
    key: RequestId,
) -> GuideTicketView:
    return services.guide_void(hall, ticket_id, body.reason, actor=staff.actor, request_id=key)


@router.post(
    "/tickets/{ticket_id}/reprint",
    response_model=GuideSlip,
    summary="reprint a ticket: recorded; the slip is a printable page at the reply's url",
)
def reprint(
    hall: HallDep, ticket_id: str, staff: HallStaff, services: ServicesDep, key: RequestId
) -> GuideSlip:
    return services.guide_reprint(hall, ticket_id, actor=staff.actor, request_id=key)


@router.post("/enquiries", response_model=EnquiryAck, summary="record an enquiry (咨询) with its matter")
def enquiry(
    hall: HallDep, body: EnquiryRequest, staff: HallStaff, services: ServicesDep, key: RequestId
) -> EnquiryAck:
    return services.guide_enquiry(hall, body, actor=staff.actor, request_id=key)
