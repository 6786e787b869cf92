"""The citizen's phone page behind the ticket's QR code: no login, the unguessable ticket token is the
key. Where the visit stands (position, people ahead, estimated wait; "请到5号窗口办理" once called),
and afterwards the case number, the documents and the rating (one per visit).

A transferred visit continues as a new ticket with a new token; the citizen keeps the first, and
everything here follows the chain to its newest ticket.

The token is a secret: it is printed only in the ticket's QR code, sent only in the issuing kiosk's
own reply, and never travels on displays or public topics (they carry the ticket's ``public_id``). It
opens nothing ``Settings.citizen_token_days`` after the ticket was issued (``domain/privacy.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from queue_server.domain.cases import CaseType, DocumentKind
from queue_server.domain.privacy import token_expired
from queue_server.domain.ratings import is_bad, rating_level, rectification_due
from queue_server.errors import HallqError, InvalidStateError, NotFoundError
from queue_server.protocol.messages import ErrorCode, TicketState
from queue_server.services.casework import rectification
from queue_server.services.casework.documents import citizen_url, document_row
from queue_server.services.casework.models import RatingAck
from queue_server.services.casework.rectification import CITIZEN_EVENT_PREFIX
from queue_server.services.engine.lookup import ticket_by_token
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.people.throttle import LoginThrottle, LoginThrottledError
from queue_server.services.views import citizen_visit
from queue_server.services.views.models import CitizenDocument, CitizenView
from queue_server.services.views.snapshots import ticket_status
from queue_server.store.tables import Case, Hall, Matter, Rating, Service, Ticket
from queue_server.store.tables.casework import CaseDocument

_RATEABLE = (TicketState.SERVING.value, TicketState.DONE.value)


def hall_of_token(session: Session, token: str, now: datetime, days: int) -> str:
    """The hall a ticket token belongs to (tokens are unique across halls); an expired token is
    not found, like an unknown one (no hint that it ever existed)."""
    row = session.exec(
        select(Hall.code, Ticket.issued_at)
        .join(Ticket, col(Ticket.hall_id) == col(Hall.id))
        .where(Ticket.citizen_token == token)
    ).first()
    if row is None or token_expired(row[1], now, days):
        raise NotFoundError("未找到该号票。", what="ticket")
    return row[0]


def chain(tx: Tx, token: str) -> list[Ticket]:
    """The visit's tickets, first to newest."""
    ticket = ticket_by_token(tx, token)
    tickets = [ticket]
    while True:
        child = tx.session.exec(select(Ticket).where(Ticket.parent_ticket_id == tickets[-1].id)).first()
        if child is None:
            return tickets
        tickets.append(child)


def public_ids(tx: Tx, token: str) -> frozenset[str]:
    """The public ids of the visit's tickets: the calls and window states that concern its page."""
    return frozenset(t.public_id for t in chain(tx, token))


def view(tx: Tx, token: str) -> CitizenView:
    tickets = chain(tx, token)
    current = tickets[-1]
    status = ticket_status(tx, current)
    service = tx.session.get(Service, current.service_id)
    matter = None if current.matter_id is None else tx.session.get(Matter, current.matter_id)
    case = _case(tx, tickets)
    rating = _rating(tx, tickets)
    documents = [] if case is None else _documents(tx, case, token)
    state = TicketState(current.state)
    return CitizenView(
        hall_name=tx.hall.name,
        number=current.number,
        service_name="" if service is None else service.name,
        matter_name=None if matter is None else matter.name,
        state=state.value,
        message=_message(state, status.window, status.window_name, status.people_ahead),
        position=status.position,
        people_ahead=status.people_ahead,
        eta_min=status.eta_min,
        window=status.window,
        window_name=status.window_name,
        case_number=None if case is None else case.case_number,
        case_type_label=None if case is None else CaseType(case.case_type).label_zh,
        deadline=None if case is None else case.deadline,
        documents=documents,
        can_rate=rating is None and _rateable(tickets) is not None,
        rating=None if rating is None else rating.score,
        rating_label=None if rating is None else rating_level(rating.score).label_zh,
        hall_address=tx.hall.address,
        hall_phone=tx.hall.phone,
        **citizen_visit.details(tx, token, tickets, matter, case),
    )


def _message(state: TicketState, window: str | None, window_name: str | None, ahead: int | None) -> str:
    at = _at_window(window, window_name)
    if state is TicketState.WAITING:
        return "马上就到您了，请留意叫号。" if not ahead else f"前面还有 {ahead} 人，请耐心等候。"
    if state is TicketState.CALLED:
        return f"轮到您了！请到{at}办理"
    if state is TicketState.SERVING:
        return f"正在{at}为您办理"
    if state is TicketState.HELD:
        return "您的号票已暂挂，请留意工作人员通知。"
    if state is TicketState.DONE:
        return "本次办理已结束，感谢您的耐心。"
    if state is TicketState.NO_SHOW:
        return "您已过号，如需办理请重新取号。"
    if state is TicketState.VOID:
        return "号票已作废（排队已取消），如需办理请重新取号。"
    return "该号票已失效。"


def _at_window(window: str | None, window_name: str | None) -> str:
    if window is not None and window.isdigit():
        return f" {window} 号窗口"
    return window_name or window or "窗口"


def _case(tx: Tx, tickets: list[Ticket]) -> Case | None:
    ids = [pk(t) for t in tickets]
    return tx.session.exec(
        select(Case).where(col(Case.ticket_id).in_(ids)).order_by(col(Case.id).desc())
    ).first()


def _documents(tx: Tx, case: Case, token: str) -> list[CitizenDocument]:
    rows = tx.session.exec(
        select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(col(CaseDocument.id))
    ).all()
    return [
        CitizenDocument(
            id=pk(d), kind=d.kind, title=DocumentKind(d.kind).label_zh, url=citizen_url(token, pk(d))
        )
        for d in rows
    ]


def _rating(tx: Tx, tickets: list[Ticket]) -> Rating | None:
    ids = [pk(t) for t in tickets]
    return tx.session.exec(select(Rating).where(col(Rating.ticket_id).in_(ids))).first()


def _rateable(tickets: list[Ticket]) -> Ticket | None:
    """The part of the visit a rating is about: the newest segment a window served."""
    for ticket in reversed(tickets):
        if ticket.state in _RATEABLE and ticket.window_id is not None:
            return ticket
    return None


# Rating attempts from the citizen page, per token and per client address, in an hour: enough for a
# citizen who mistyped; few enough that a leaked token or one phone cannot flood the rectification list.
RATINGS_PER_TOKEN = 5
RATINGS_PER_ADDRESS = 30
RATING_WINDOW_S = 3600.0


def citizen_rating_throttle() -> LoginThrottle:
    """The counter of rating attempts (in memory, per server instance: see ``people/throttle.py``)."""
    return LoginThrottle(RATINGS_PER_TOKEN, RATINGS_PER_ADDRESS, RATING_WINDOW_S)


def count_rating_attempt(throttle: LoginThrottle, token: str, address: str | None, now: float) -> None:
    """Count one rating attempt; ``too_many_requests`` (HTTP 429) past either limit."""
    try:
        throttle.check(token, address, now)
    except LoginThrottledError as exc:
        raise HallqError(
            "评价提交过于频繁，请稍后再试。",
            code=ErrorCode.TOO_MANY_REQUESTS,
            retry_after_s=exc.retry_after_s,
        ) from None
    throttle.failed(token, address, now)  # every attempt counts, answered or not


def rate(tx: Tx, token: str, score: int) -> RatingAck:
    """The citizen rates the visit from the page: once per visit (whatever the source)."""
    tickets = chain(tx, token)
    if _rating(tx, tickets) is not None:
        raise HallqError("该次办事已评价。", code=ErrorCode.CONFLICT)
    ticket = _rateable(tickets)
    if ticket is None:
        raise InvalidStateError("办理开始后才能评价。", state=tickets[-1].state)
    bad = is_bad(score)
    due = rectification_due(tx.today, tx.calendar) if bad else None
    rating = Rating(
        hall_id=tx.hall_id,
        ticket_id=pk(ticket),
        window_id=ticket.window_id,
        staff_id=ticket.staff_id,
        score=score,
        bad=bad,
        ts=tx.now,
        device_id=None,
        event_id=f"{CITIZEN_EVENT_PREFIX}{ticket.public_id}",  # never the token: managers read ratings
        rectification_due=due,
    )
    tx.session.add(rating)
    tx.session.flush()
    if bad:
        rectification.open_for_rating(tx, rating)
    tx.event("rating", ticket=ticket, staff_id=ticket.staff_id, score=score, bad=bad, source="citizen_page")
    return RatingAck(score=score, label=rating_level(score).label_zh, bad=bad, rectification_due=due)


def document_page_row(tx: Tx, token: str, document_id: int) -> CaseDocument:
    """A document of this visit's case; NotFound for any other (no hint that it exists)."""
    row = document_row(tx, document_id)
    case = tx.session.get(Case, row.case_id)
    ids = {pk(t) for t in chain(tx, token)}
    if case is None or case.ticket_id not in ids:
        raise NotFoundError("未找到该文书。", what="document")
    return row
