"""Rectification (整改) of bad ratings: an item per bad rating, due in 15 working days, assigned,
worked on, closed with the measures taken; visible to managers, and to the assignee.

A bad rating opens its item in the same transaction, whether it came from the rating pad
(``services.ratings``) or from the citizen page (``services.citizen``). ``open_missing`` opens items
for bad ratings stored without one (ratings recorded before this module existed); it is idempotent.
The default assignee is the person who served the visit; a manager may reassign.
"""

from __future__ import annotations

from sqlalchemy import exists
from sqlmodel import col, func, select

from queue_server.domain.ratings import rating_level, rectification_due
from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError, NotFoundError
from queue_server.services.casework.models import (
    RatingRow,
    RectificationList,
    RectificationStep,
    RectificationView,
)
from queue_server.services.engine.access import SUPERVISORS, require_supervisor
from queue_server.services.engine.lookup import staff_by_login
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor, Role
from queue_server.store.tables import Rating, Staff, Ticket, Window
from queue_server.store.tables.casework import (
    RECTIFICATION_CLOSED,
    RECTIFICATION_IN_PROGRESS,
    RECTIFICATION_OPEN,
    Rectification,
    RectificationNote,
)

# Ratings from the citizen page carry this prefix in ``Rating.event_id`` (pads send their event id).
CITIZEN_EVENT_PREFIX = "citizen:"

STATE_LABELS_ZH = {
    RECTIFICATION_OPEN: "待整改",
    RECTIFICATION_IN_PROGRESS: "整改中",
    RECTIFICATION_CLOSED: "已整改",
}


def open_for_rating(tx: Tx, rating: Rating) -> Rectification:
    """The item of a bad rating, assigned to the person who served the visit."""
    due = rating.rectification_due or rectification_due(rating.ts.astimezone(tx.zone).date(), tx.calendar)
    item = Rectification(
        hall_id=tx.hall_id,
        rating_id=pk(rating),
        assignee_id=rating.staff_id,
        state=RECTIFICATION_OPEN,
        due=due,
        opened_at=rating.ts,
        updated_at=tx.now,
    )
    tx.session.add(item)
    tx.session.flush()
    # Opened by the rating itself, not by a person.
    tx.session.add(
        RectificationNote(rectification_id=pk(item), ts=tx.now, staff_id=None, kind="opened", text="")
    )
    return item


def open_missing(tx: Tx) -> int:
    """Open the items of bad ratings that have none yet (pad ratings); how many were opened."""
    has_item = exists().where(col(Rectification.rating_id) == col(Rating.id))
    ratings = tx.session.exec(
        select(Rating)
        .where(Rating.hall_id == tx.hall_id, col(Rating.bad), ~has_item)
        .order_by(col(Rating.id))
    ).all()
    for rating in ratings:
        open_for_rating(tx, rating)
    if ratings:
        tx.event("rectification_opened", count=len(ratings))
    return len(ratings)


def listing(tx: Tx, actor: Actor, *, include_closed: bool = False) -> RectificationList:
    """Managers see every item; staff the items assigned to them."""
    open_missing(tx)
    stmt = select(Rectification).where(Rectification.hall_id == tx.hall_id)
    if actor.role not in SUPERVISORS:
        stmt = stmt.where(Rectification.assignee_id == _staff(tx, actor).id)
    if not include_closed:
        stmt = stmt.where(Rectification.state != RECTIFICATION_CLOSED)
    items = [
        view(tx, item)
        for item in tx.session.exec(stmt.order_by(col(Rectification.due), col(Rectification.id)))
    ]
    return RectificationList(
        items=items,
        open=sum(1 for i in items if i.state != RECTIFICATION_CLOSED),
        overdue=sum(1 for i in items if i.overdue),
    )


def assign(tx: Tx, item_id: int, login: str, actor: Actor) -> RectificationView:
    require_supervisor(actor)
    open_missing(tx)
    item = _item(tx, item_id)
    _refuse_closed(item)
    assignee = staff_by_login(tx, login)
    item.assignee_id = assignee.id
    item.updated_at = tx.now
    _step(tx, item, actor, "assigned", f"指派给{assignee.name}")
    return view(tx, item)


def add_note(tx: Tx, item_id: int, text: str, actor: Actor) -> RectificationView:
    open_missing(tx)
    item = _item(tx, item_id)
    _refuse_closed(item)
    _require_owner(tx, item, actor)
    item.state = RECTIFICATION_IN_PROGRESS
    item.updated_at = tx.now
    _step(tx, item, actor, "note", text.strip())
    return view(tx, item)


def close(tx: Tx, item_id: int, measures: str, actor: Actor) -> RectificationView:
    """Close with the measures taken; the rating row records the closure too."""
    if not measures.strip():
        raise BadRequestError("请填写整改措施。", field="measures")
    open_missing(tx)
    item = _item(tx, item_id)
    _refuse_closed(item)
    staff = _require_owner(tx, item, actor)
    rating = tx.session.get(Rating, item.rating_id)
    assert rating is not None  # foreign key
    if rating.staff_id == staff.id:  # the rated person works on it; someone else closes it
        raise NotAuthorizedError("不能办结针对本人差评的整改事项，请由值班长办结。", item=item.id)
    item.state = RECTIFICATION_CLOSED
    item.measures = measures.strip()
    item.closed_at = tx.now
    item.closed_by_id = staff.id
    item.updated_at = tx.now
    rating.rectified_at = tx.now
    rating.rectification_note = item.measures[:500]
    _step(tx, item, actor, "closed", item.measures)
    tx.event("rectification_closed", staff_id=staff.id, item=item.id, late=tx.today > item.due)
    return view(tx, item)


def open_count_for(tx: Tx, staff: Staff) -> int:
    """Open items of a person, counting bad ratings of theirs whose item is not opened yet (read-only)."""
    items = tx.session.exec(
        select(func.count())
        .select_from(Rectification)
        .where(Rectification.assignee_id == staff.id, Rectification.state != RECTIFICATION_CLOSED)
    ).one()
    has_item = exists().where(col(Rectification.rating_id) == col(Rating.id))
    unopened = tx.session.exec(
        select(func.count())
        .select_from(Rating)
        .where(Rating.staff_id == staff.id, col(Rating.bad), ~has_item)
    ).one()
    return int(items) + int(unopened)


def ratings(tx: Tx, actor: Actor, limit: int = 200) -> list[RatingRow]:
    """The latest ratings of the hall (managers)."""
    require_supervisor(actor)
    rows = tx.session.exec(
        select(Rating, Ticket.number, Window.number, Staff.name)
        .join(Ticket, col(Ticket.id) == col(Rating.ticket_id))
        .outerjoin(Window, col(Window.id) == col(Rating.window_id))
        .outerjoin(Staff, col(Staff.id) == col(Rating.staff_id))
        .where(Rating.hall_id == tx.hall_id)
        .order_by(col(Rating.ts).desc(), col(Rating.id).desc())
        .limit(limit)
    ).all()
    return [
        RatingRow(
            ticket=number,
            window=window,
            staff=name,
            score=r.score,
            label=rating_level(r.score).label_zh,
            bad=r.bad,
            ts=r.ts.timestamp(),
            source=_source(r),
        )
        for r, number, window, name in rows
    ]


def _source(rating: Rating) -> str:
    if (rating.event_id or "").startswith(CITIZEN_EVENT_PREFIX):
        return "citizen_page"
    return "rating_pad" if rating.device_id is not None else "console"


def view(tx: Tx, item: Rectification) -> RectificationView:
    session = tx.session
    rating = session.get(Rating, item.rating_id)
    assert rating is not None  # foreign key
    ticket = session.get(Ticket, rating.ticket_id)
    window = None if rating.window_id is None else session.get(Window, rating.window_id)
    rated = None if rating.staff_id is None else session.get(Staff, rating.staff_id)
    assignee = None if item.assignee_id is None else session.get(Staff, item.assignee_id)
    notes = session.exec(
        select(RectificationNote, Staff.name)
        .outerjoin(Staff, col(Staff.id) == col(RectificationNote.staff_id))
        .where(RectificationNote.rectification_id == item.id)
        .order_by(col(RectificationNote.ts), col(RectificationNote.id))
    ).all()
    return RectificationView(
        id=pk(item),
        state=item.state,
        state_label=STATE_LABELS_ZH.get(item.state, item.state),
        due=item.due,
        overdue=item.state != RECTIFICATION_CLOSED and tx.today > item.due,
        opened_at=item.opened_at.timestamp(),
        closed_at=None if item.closed_at is None else item.closed_at.timestamp(),
        score=rating.score,
        score_label=rating_level(rating.score).label_zh,
        ticket="" if ticket is None else ticket.number,
        window=None if window is None else window.number,
        rated_staff=None if rated is None else rated.name,
        assignee=None if assignee is None else assignee.login,
        assignee_name=None if assignee is None else assignee.name,
        measures=item.measures,
        steps=[
            RectificationStep(ts=n.ts.timestamp(), staff=name, kind=n.kind, text=n.text) for n, name in notes
        ],
    )


def _item(tx: Tx, item_id: int) -> Rectification:
    item = tx.session.get(Rectification, item_id, with_for_update=True)
    if item is None or item.hall_id != tx.hall_id:
        raise NotFoundError("未找到该整改事项。", what="rectification")
    return item


def _refuse_closed(item: Rectification) -> None:
    if item.state == RECTIFICATION_CLOSED:
        raise InvalidStateError("该整改事项已办结。", item=item.id)


def _staff(tx: Tx, actor: Actor) -> Staff:
    if actor.role is Role.DEVICE:
        raise NotAuthorizedError()
    return staff_by_login(tx, actor.id)


def _require_owner(tx: Tx, item: Rectification, actor: Actor) -> Staff:
    staff = _staff(tx, actor)
    if actor.role not in SUPERVISORS and item.assignee_id != staff.id:
        raise NotAuthorizedError("只有整改责任人或值班长可以操作该事项。")
    return staff


def _step(tx: Tx, item: Rectification, actor: Actor, kind: str, text: str) -> None:
    staff = _staff(tx, actor)
    tx.session.add(
        RectificationNote(rectification_id=pk(item), ts=tx.now, staff_id=staff.id, kind=kind, text=text)
    )
    tx.event(f"rectification_{kind}", staff_id=staff.id, item=item.id)
