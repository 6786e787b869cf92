"""Two of the six handling modes (六办理制) that bypass the ordinary queue:

- 特事特办: a supervisor issues a special ticket, called before all others; the grant (who, why) is
  kept beside the ticket.
- 上门服务: a door-to-door visit is booked like an appointment and recorded as a case, with no ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from sqlmodel import col, select

from queue_server.domain.masking import mask_phone
from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError, NotFoundError
from queue_server.protocol.messages import TicketIssueArgs, TicketState
from queue_server.services.casework import case_views, cases
from queue_server.services.casework.models import CaseRequest
from queue_server.services.casework.opening import open_case
from queue_server.services.engine.access import SUPERVISORS, require_supervisor
from queue_server.services.engine.lookup import (
    published_matter,
    service_by_code,
    staff_by_login,
    ticket_by_public_id,
)
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor, Role
from queue_server.services.queue import tickets
from queue_server.services.queue.models import (
    DoorVisitRequest,
    DoorVisitView,
    SpecialGrantView,
    SpecialTicket,
)
from queue_server.store.tables import Case, Matter, Service, Staff, Ticket
from queue_server.store.tables.casework import (
    VISIT_BOOKED,
    VISIT_CANCELLED,
    VISIT_DONE,
    DoorVisit,
    SpecialGrant,
)

VISIT_STATE_ZH = {VISIT_BOOKED: "已预约", VISIT_DONE: "已上门办理", VISIT_CANCELLED: "已取消"}
# A visit longer than this is a typing mistake, not a visit.
MAX_VISIT = timedelta(hours=12)


# --- 特事特办 -------------------------------------------------------------------------------------


def issue_special(tx: Tx, service: str, reason: str, actor: Actor) -> SpecialTicket:
    """A special ticket: no hours, cap or ID limits; called first at any window of its service."""
    require_supervisor(actor)
    code = service_by_code(tx, service).code
    return grant_special(tx, TicketIssueArgs(service=code), reason, staff_by_login(tx, actor.id))


def grant_special(tx: Tx, args: TicketIssueArgs, reason: str, granter: Staff) -> SpecialTicket:
    """Issue ``args`` as a special ticket granted by ``granter`` (whose right the caller checked), the
    grant kept beside it: a supervisor's own, or one a guide-desk clerk records (``guide.py``)."""
    if not reason.strip():
        raise BadRequestError("特事特办须填写原因。", field="reason")
    options = tickets.IssueOptions(special=True, special_reason=reason.strip())
    result = tickets.issue(tx, args, options)
    ticket = ticket_by_public_id(tx, result.ticket_id)
    tx.session.add(
        SpecialGrant(
            hall_id=tx.hall_id,
            ticket_id=pk(ticket),
            granted_by_id=pk(granter),
            reason=reason.strip(),
            granted_at=tx.now,
        )
    )
    tx.event("special_grant", ticket=ticket, staff_id=granter.id, reason=reason.strip())
    return SpecialTicket(ticket=result, granted_by=granter.name, reason=reason.strip())


def grants(tx: Tx, day: date, actor: Actor) -> list[SpecialGrantView]:
    require_supervisor(actor)
    rows = tx.session.exec(
        select(SpecialGrant, Ticket, Service.code, Staff.name)
        .join(Ticket, col(Ticket.id) == col(SpecialGrant.ticket_id))
        .join(Service, col(Service.id) == col(Ticket.service_id))
        .join(Staff, col(Staff.id) == col(SpecialGrant.granted_by_id))
        .where(SpecialGrant.hall_id == tx.hall_id, Ticket.service_day == day)
        .order_by(col(SpecialGrant.granted_at))
    ).all()
    result = []
    for grant, ticket, service, name in rows:
        # Follow a transfer to where the visit is now.
        current = tickets.latest(tx, ticket)
        result.append(
            SpecialGrantView(
                number=ticket.number,
                service=service,
                reason=grant.reason,
                granted_by=name,
                granted_at=grant.granted_at.timestamp(),
                state=TicketState(current.state).value,
            )
        )
    return result


# --- 上门服务 -------------------------------------------------------------------------------------


def book_visit(tx: Tx, request: DoorVisitRequest, actor: Actor) -> DoorVisitView:
    booker = _person(tx, actor)
    if not timedelta(0) < request.end - request.start <= MAX_VISIT:
        raise BadRequestError("上门时间段不正确。", field="end")
    service = service_by_code(tx, request.service)
    matter = None
    if request.matter is not None:
        matter = published_matter(tx, request.matter)
        if matter.service_id != service.id:
            raise BadRequestError("事项与业务不一致。", field="matter")
    assignee = None if request.staff is None else staff_by_login(tx, request.staff)
    visit = DoorVisit(
        hall_id=tx.hall_id,
        service_id=pk(service),
        matter_id=None if matter is None else matter.id,
        applicant_name=request.applicant_name.strip(),
        phone=request.phone.strip(),
        address=request.address.strip(),
        scheduled_start=request.start,
        scheduled_end=request.end,
        staff_id=None if assignee is None else assignee.id,
        note=request.note.strip(),
        request_id=tx.request_id,
        booked_at=tx.now,
        booked_by_id=booker.id,
    )
    tx.session.add(visit)
    tx.session.flush()
    tx.event("door_visit_booked", staff_id=booker.id, visit=visit.id, service=service.code)
    return visit_view(tx, visit, booker, actor)


def visits(tx: Tx, day: date, actor: Actor) -> list[DoorVisitView]:
    """The visits scheduled on a hall-local day (addresses only for whom they are meant: see
    :func:`may_see_address`)."""
    viewer = _person(tx, actor)
    start = datetime.combine(day, time.min, tzinfo=tx.zone)
    rows = tx.session.exec(
        select(DoorVisit)
        .where(
            DoorVisit.hall_id == tx.hall_id,
            col(DoorVisit.scheduled_start) >= start,
            col(DoorVisit.scheduled_start) < start + timedelta(days=1),
        )
        .order_by(col(DoorVisit.scheduled_start), col(DoorVisit.id))
    ).all()
    return [visit_view(tx, v, viewer, actor) for v in rows]


def record_visit(tx: Tx, visit_id: int, request: CaseRequest, actor: Actor) -> DoorVisitView:
    """The visit took place: it becomes a case (numbered like any other, documents issued)."""
    visit = _visit(tx, visit_id)
    staff = _person(tx, actor)
    if actor.role not in SUPERVISORS and visit.staff_id not in (None, staff.id):
        raise NotAuthorizedError("该上门服务已指派给其他工作人员。")
    case_type = cases.parse_case_type(request.case_type)
    # The core opens cases for tickets and reads only these three fields of one; a visit has no
    # ticket, so it hands over a stand-in: one numbering sequence for every case of the hall.
    case = open_case(tx, cast(Ticket, _NoTicket(matter_id=visit.matter_id)), case_type)
    tx.session.flush()
    cases.apply_details(tx, case, request, ticket=None, window=None, staff_id=staff.id)
    visit.state = VISIT_DONE
    visit.case_id = case.id
    visit.done_at = tx.now
    if visit.staff_id is None:
        visit.staff_id = staff.id
    tx.event("door_visit_done", staff_id=staff.id, visit=visit.id, case_number=case.case_number)
    return visit_view(tx, visit, staff, actor)


def cancel_visit(tx: Tx, visit_id: int, actor: Actor) -> DoorVisitView:
    visit = _visit(tx, visit_id)
    staff = _person(tx, actor)
    visit.state = VISIT_CANCELLED
    tx.event("door_visit_cancelled", staff_id=staff.id, visit=visit.id)
    return visit_view(tx, visit, staff, actor)


def may_see_address(visit: DoorVisit, viewer: Staff, actor: Actor) -> bool:
    """A citizen's home address and phone are for managers and the person assigned to go (while
    nobody is assigned, the person who booked it), not for every clerk of the hall."""
    if actor.role in SUPERVISORS:
        return True
    if visit.staff_id is not None:
        return visit.staff_id == viewer.id
    return visit.booked_by_id == viewer.id


def visit_view(tx: Tx, visit: DoorVisit, viewer: Staff, actor: Actor) -> DoorVisitView:
    shown = may_see_address(visit, viewer, actor)
    service = tx.session.get(Service, visit.service_id)
    matter = None if visit.matter_id is None else tx.session.get(Matter, visit.matter_id)
    staff = None if visit.staff_id is None else tx.session.get(Staff, visit.staff_id)
    case = None if visit.case_id is None else tx.session.get(Case, visit.case_id)
    return DoorVisitView(
        id=pk(visit),
        service="" if service is None else service.code,
        service_name="" if service is None else service.name,
        matter=None if matter is None else matter.code,
        matter_name=None if matter is None else matter.name,
        applicant_name=visit.applicant_name,
        phone=visit.phone if shown else mask_phone(visit.phone),
        address=visit.address if shown else "",
        address_hidden=not shown,
        start=visit.scheduled_start.timestamp(),
        end=visit.scheduled_end.timestamp(),
        staff=None if staff is None else staff.login,
        staff_name=None if staff is None else staff.name,
        state=visit.state,
        state_label=VISIT_STATE_ZH.get(visit.state, visit.state),
        note=visit.note,
        case=None if case is None else case_views.case_view(tx, case),
    )


@dataclass(frozen=True, slots=True)
class _NoTicket:
    matter_id: int | None
    id: None = None
    return_for: None = None


def _visit(tx: Tx, visit_id: int) -> DoorVisit:
    visit = tx.session.get(DoorVisit, visit_id, with_for_update=True)
    if visit is None or visit.hall_id != tx.hall_id:
        raise NotFoundError("未找到该上门服务预约。", what="door_visit")
    if visit.state != VISIT_BOOKED:
        raise InvalidStateError("该上门服务已办理或已取消。", state=visit.state)
    return visit


def _person(tx: Tx, actor: Actor) -> Staff:
    if actor.role is Role.DEVICE:
        raise NotAuthorizedError()
    return staff_by_login(tx, actor.id)
