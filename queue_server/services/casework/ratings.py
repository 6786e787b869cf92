"""Ratings (好差评) from a window's rating pad: one per visit; a bad one opens a rectification item."""

from __future__ import annotations

from sqlmodel import col, select

from queue_server.domain.ratings import is_bad, rectification_due
from queue_server.errors import HallqError, InvalidStateError, NotAuthorizedError
from queue_server.protocol.messages import ErrorCode, RatingEvent, TicketState
from queue_server.services.casework import rectification
from queue_server.services.engine.access import authorize_window
from queue_server.services.engine.lookup import staff_by_login, ticket_by_public_id, window_by_number
from queue_server.services.engine.models import Ack
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor, Role
from queue_server.store.tables import Rating, Ticket

_RATEABLE = (TicketState.SERVING.value, TicketState.DONE.value, TicketState.TRANSFERRED.value)


def record(tx: Tx, window_no: str, rating: RatingEvent, actor: Actor) -> Ack:
    """Tie the rating to the visit the window served last (or the one ``rating.visit`` names)."""
    window = window_by_number(tx, window_no)
    authorize_window(tx, actor, window)
    if rating.visit is not None:
        ticket: Ticket | None = ticket_by_public_id(tx, rating.visit)
    else:
        ticket = tx.session.exec(
            select(Ticket)
            .where(Ticket.window_id == window.id, col(Ticket.state).in_(_RATEABLE))
            .order_by(col(Ticket.called_at).desc(), col(Ticket.id).desc())
        ).first()
    if ticket is None or ticket.window_id != window.id:
        raise InvalidStateError("该窗口没有可评价的办件。", window=window.number)
    _refuse_own_visit(tx, ticket, actor)
    if tx.session.exec(select(Rating.id).where(Rating.ticket_id == ticket.id)).first() is not None:
        raise HallqError("该次办事已评价。", code=ErrorCode.CONFLICT, ticket=ticket.number)
    bad = is_bad(rating.score)
    row = Rating(
        hall_id=tx.hall_id,
        ticket_id=pk(ticket),
        window_id=window.id,
        staff_id=ticket.staff_id,
        score=rating.score,
        bad=bad,
        ts=tx.now,
        device_id=tx.device_id,
        event_id=rating.id,
        rectification_due=rectification_due(tx.today, tx.calendar) if bad else None,
    )
    tx.session.add(row)
    tx.session.flush()
    if bad:  # the rectification item opens with the rating, in the same transaction
        rectification.open_for_rating(tx, row)
    tx.event("rating", ticket=ticket, window=window, score=rating.score, bad=bad)
    return Ack()


def _refuse_own_visit(tx: Tx, ticket: Ticket, actor: Actor) -> None:
    """A rating is the citizen's: the person who served the visit may not enter it (a pad rates as a
    device; the citizen page needs no sign-in)."""
    if actor.role is Role.DEVICE or ticket.staff_id is None:
        return
    if staff_by_login(tx, actor.id).id == ticket.staff_id:
        raise NotAuthorizedError("不能为本人办理的业务评价。", ticket=ticket.number)
