"""The guide desk (导办台): a clerk helps citizens in the lobby.

Search the catalogue by name, code or pinyin initials; issue a ticket on a citizen's behalf (a priority
class the clerk saw proof of, who came along, a 特事特办 grant with its reason); look a ticket up by
its number, its public id or the citizen's ID hash; reprint it; void it with a reason; record an
enquiry (咨询) with its matter. Every act is an event carrying the clerk's staff id; what statistics
read of it:

- a ticket issued here has no device, so the rollups count it in the ``desk`` channel (a special one
  in ``special``); its ``guide_issue`` event names the clerk and the person who came along, and the
  counter console shows both (``guide_note``);
- an enquiry is an ``enquiry`` event: ``staff_id`` the clerk, ``data`` ``{"matter", "service"}``.

Rights: the guide desk's clerks (role ``guide``) and managers (``engine/access.py`` ``GUIDE_DESK``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from sqlmodel import col, func, or_, select

from queue_server.documents.ticket_slip import SlipContent
from queue_server.domain.priority import PriorityBasis, PriorityClass, PriorityGrant
from queue_server.errors import BadRequestError
from queue_server.protocol.messages import TicketIssueArgs, TicketState
from queue_server.services.engine.access import require_guide_desk
from queue_server.services.engine.lookup import (
    published_matter,
    refuse_clear_id,
    service_by_code,
    service_by_id,
    staff_by_login,
    ticket_by_public_id,
)
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor
from queue_server.services.queue import special, tickets
from queue_server.services.queue.guide_models import (
    EnquiryAck,
    EnquiryRequest,
    GuideIssueRequest,
    GuideSlip,
    GuideTicket,
    GuideTicketView,
    MatterHit,
)
from queue_server.services.queue.voiding import VOIDABLE, void_waiting
from queue_server.services.views.models import GuideNote
from queue_server.store.tables import Event, Material, Matter, Service, Staff, Ticket, Window

GUIDE_ISSUE = "guide_issue"
ENQUIRY = "enquiry"
MATTER_HITS = 20  # a search box shows a short list; a longer one means "type more"
LOOKUP_HITS = 20
STATE_ZH = {
    TicketState.WAITING.value: "等候中",
    TicketState.HELD.value: "暂挂",
    TicketState.CALLED.value: "已叫号",
    TicketState.SERVING.value: "办理中",
    TicketState.DONE.value: "已办结",
    TicketState.NO_SHOW.value: "过号",
    TicketState.TRANSFERRED.value: "已转移",
    TicketState.VOID.value: "已作废",
}
# A ticket number is short (prefix + 3 digits); a public id (16 hex) or an ID hash (64 hex) is long.
_NUMBER_MAX = 15


def search_matters(tx: Tx, query: str, actor: Actor) -> list[MatterHit]:
    """Published matters whose name or code contains ``query``, or whose pinyin initials start
    with it (``hkqy`` finds 户口迁移), newest version of each."""
    require_guide_desk(actor)
    q = query.strip()
    if not q:
        return []
    like = f"%{q.lower()}%"
    rows = tx.session.exec(
        select(Matter, Service)
        .join(Service, col(Service.id) == col(Matter.service_id))
        .where(
            Matter.hall_id == tx.hall_id,
            col(Matter.published),
            col(Service.active),
            or_(
                col(Matter.name).contains(q),
                func.lower(Matter.code).like(like),
                func.lower(Matter.pinyin_initials).startswith(q.lower()),
            ),
        )
        .order_by(col(Matter.code), col(Matter.version).desc())
    ).all()
    newest: dict[str, tuple[Matter, Service]] = {}
    for matter, service in rows:
        newest.setdefault(matter.code, (matter, service))
    hits = list(newest.values())[:MATTER_HITS]
    return [
        MatterHit(
            code=m.code,
            name=m.name,
            service=s.code,
            service_name=s.name,
            pinyin_initials=m.pinyin_initials,
            materials=list(
                tx.session.exec(
                    select(Material.name)
                    .where(Material.matter_id == m.id)
                    .order_by(col(Material.position), col(Material.id))
                ).all()
            ),
        )
        for m, s in hits
    ]


def issue(tx: Tx, request: GuideIssueRequest, actor: Actor) -> GuideTicket:
    """A ticket on the citizen's behalf; a special reason makes it a 特事特办 ticket with its grant."""
    require_guide_desk(actor)
    clerk = staff_by_login(tx, actor.id)
    if request.matter is None and request.service is None:
        raise BadRequestError("请选择事项或业务。", field="matter")
    args = TicketIssueArgs(
        matter=request.matter,
        service=request.service,
        id_hash=request.id_hash,
        phone=request.phone,
        materials=request.materials,
    )
    reason = None if request.special_reason is None else request.special_reason.strip()
    if reason is not None:  # blank: refused by grant_special (a special ticket always says why)
        result = special.grant_special(tx, args, reason, clerk).ticket
    else:
        options = tickets.IssueOptions(priority=_confirmed(request.priority))
        result = tickets.issue(tx, args, options)
    row = ticket_by_public_id(tx, result.ticket_id)
    accompanied = request.accompanied_by.strip()
    tx.event(
        GUIDE_ISSUE,
        ticket=row,
        staff_id=clerk.id,
        accompanied_by=accompanied,
        priority=row.priority_class,
        special=reason is not None,
        note=request.note.strip(),
    )
    return GuideTicket(
        ticket=result,
        clerk=clerk.name,
        accompanied_by=accompanied,
        special=reason is not None,
        special_reason=reason,
    )


def _confirmed(code: str | None) -> PriorityGrant | None:
    """The class the clerk saw proof of: confirmed at once, so the window need not ask again."""
    if code is None or not code.strip():
        return None
    try:
        return PriorityGrant(PriorityClass(code), PriorityBasis.GUIDE_DESK)
    except ValueError:
        raise BadRequestError("未知的优先类别。", field="priority", value=code) from None


def lookup(tx: Tx, query: str, day: date | None, actor: Actor) -> list[GuideTicketView]:
    """Tickets by number (on ``day``, default today), or by public ticket id or the citizen's ID hash
    (the newest first)."""
    require_guide_desk(actor)
    q = query.strip()
    if not q:
        return []
    refuse_clear_id(q)
    stmt = select(Ticket).where(Ticket.hall_id == tx.hall_id, col(Ticket.parent_ticket_id).is_(None))
    if len(q) <= _NUMBER_MAX:
        stmt = stmt.where(Ticket.number == q.upper(), Ticket.service_day == (day or tx.today))
    else:
        stmt = stmt.where(or_(Ticket.public_id == q.lower(), Ticket.id_hash == q))
    rows = tx.session.exec(stmt.order_by(col(Ticket.issued_at).desc()).limit(LOOKUP_HITS)).all()
    return [ticket_view(tx, root) for root in rows]


def ticket_view(tx: Tx, root: Ticket) -> GuideTicketView:
    """The visit that started with ``root`` as it stands now (its newest ticket)."""
    current = tickets.latest(tx, root)
    service = service_by_id(tx, current.service_id)
    matter = None if root.matter_id is None else tx.session.get(Matter, root.matter_id)
    window = None if current.window_id is None else tx.session.get(Window, current.window_id)
    note = guide_note(tx, root)
    label = None
    if current.priority_class is not None:
        try:
            label = PriorityClass(current.priority_class).label_zh
        except ValueError:
            label = current.priority_class
    return GuideTicketView(
        ticket_id=current.public_id,
        number=root.number,
        day=root.service_day.isoformat(),
        service="" if service is None else service.code,
        service_name="" if service is None else service.name,
        matter_name=None if matter is None else matter.name,
        state=current.state,
        state_label=STATE_ZH.get(current.state, current.state),
        issued_at=root.issued_at.timestamp(),
        priority_label=label,
        special=current.special,
        window=None if window is None else window.number,
        window_name=None if window is None else window.name,
        guide_clerk=None if note is None else note.clerk_name,
        voidable=current.state in VOIDABLE,
    )


def void(tx: Tx, ticket_id: str, reason: str, actor: Actor) -> GuideTicketView:
    """Void a waiting or held ticket (a duplicate, a citizen who left, a wrong matter), with why."""
    require_guide_desk(actor)
    clerk = staff_by_login(tx, actor.id)
    if not reason.strip():
        raise BadRequestError("作废须填写原因。", field="reason")
    ticket = tickets.latest(tx, ticket_by_public_id(tx, ticket_id))
    refused = "该号票已叫号或已结束，不能作废。"
    void_waiting(tx, ticket, reason=reason.strip(), staff_id=pk(clerk), source="guide_desk", refused=refused)
    return ticket_view(tx, _root(tx, ticket))


def reprint(tx: Tx, ticket_id: str, actor: Actor) -> GuideSlip:
    """Record a reprint (the citizen lost the slip); the desk's browser prints the slip page."""
    require_guide_desk(actor)
    clerk = staff_by_login(tx, actor.id)
    ticket = ticket_by_public_id(tx, ticket_id)
    root = _root(tx, ticket)
    tx.event("guide_reprint", ticket=root, staff_id=clerk.id, number=root.number)
    return GuideSlip(ticket=ticket_view(tx, root), url=f"/console/guide/slips/{root.public_id}")


def slip_ticket(tx: Tx, ticket_id: str, actor: Actor) -> SlipContent:
    """What the printable slip shows: the visit's first ticket (its number and its citizen page)."""
    require_guide_desk(actor)
    root = _root(tx, ticket_by_public_id(tx, ticket_id))
    service = service_by_id(tx, root.service_id)
    matter = None if root.matter_id is None else tx.session.get(Matter, root.matter_id)
    return SlipContent(
        hall_name=tx.hall.name,
        number=root.number,
        service_name="" if service is None else service.name,
        matter_name=None if matter is None else matter.name,
        issued_at=root.issued_at,
        zone=tx.hall.tz,
        citizen_url=tickets.citizen_url(tx, root),
        people_ahead=tickets.status(tx, root.public_id).people_ahead,
    )


def record_enquiry(tx: Tx, request: EnquiryRequest, actor: Actor) -> EnquiryAck:
    require_guide_desk(actor)
    clerk = staff_by_login(tx, actor.id)
    matter = None if request.matter is None else published_matter(tx, request.matter)
    if matter is not None:
        service = service_by_id(tx, matter.service_id)
        assert service is not None
    elif request.service is not None:
        service = service_by_code(tx, request.service)
    else:
        raise BadRequestError("请选择咨询的事项或业务。", field="matter")
    earlier = _enquiries_today(tx)  # counted first: the event may be written only at commit
    tx.event(
        ENQUIRY,
        staff_id=clerk.id,
        matter=None if matter is None else matter.code,
        service=service.code,
        note=request.note.strip(),
    )
    return EnquiryAck(
        matter=None if matter is None else matter.code,
        matter_name=None if matter is None else matter.name,
        service=service.code,
        today=earlier + 1,
    )


def _enquiries_today(tx: Tx) -> int:
    start = datetime.combine(tx.today, time.min, tzinfo=tx.zone)
    return int(
        tx.session.exec(
            select(func.count()).where(
                Event.hall_id == tx.hall_id, Event.kind == ENQUIRY, col(Event.ts) >= start
            )
        ).one()
    )


def guide_note(tx: Tx, ticket: Ticket) -> GuideNote | None:
    """Who issued the visit at the guide desk and who came along (None: not issued there)."""
    root = _root(tx, ticket)
    row = tx.session.exec(
        select(Event.data, Staff.name)
        .join(Staff, col(Staff.id) == col(Event.staff_id))
        .where(Event.ticket_id == root.id, Event.kind == GUIDE_ISSUE)
    ).first()
    if row is None:
        return None
    data: Mapping[str, Any] = row[0]
    return GuideNote(
        clerk_name=row[1], accompanied_by=str(data.get("accompanied_by", "")), note=str(data.get("note", ""))
    )


def _root(tx: Tx, ticket: Ticket) -> Ticket:
    """The visit's first ticket (a transfer's continuation points back to it)."""
    while ticket.parent_ticket_id is not None:
        parent = tx.session.get(Ticket, ticket.parent_ticket_id)
        if parent is None:
            break
        ticket = parent
    return ticket
