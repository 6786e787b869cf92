"""Ratings (one per visit, from the citizen page or the rating pad) and the rectification a bad one
opens: due in 15 working days, assigned, tracked to closure, visible to managers."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlmodel import Session, select

from harness.factories import SHANGHAI
from queue_server.errors import BadRequestError, HallqError, InvalidStateError, NotAuthorizedError
from queue_server.protocol.messages import ErrorCode, RatingEvent
from queue_server.services.casework.models import CaseRequest
from queue_server.store.tables import Rating
from queue_server.store.tables.casework import Rectification
from tests.services.helpers import DeskHall, citizen_token


def _visit(dh: DeskHall, window: str = "1", login: str = "zhang", *, first: bool = True) -> str:
    ticket = dh.issue("A", matter="A01")
    dh.serve(window, login, open_first=first)
    dh.finish(window, login, CaseRequest(case_type="immediate"))
    return citizen_token(ticket)


def test_a_bad_rating_from_the_citizen_page_opens_an_item_for_the_person_who_served(dh: DeskHall) -> None:
    token = _visit(dh)
    ack = dh.services.citizen_rate(token, 2)
    assert (ack.label, ack.bad, ack.rectification_due) == ("不满意", True, date(2025, 4, 2))
    with pytest.raises(HallqError) as twice:
        dh.services.citizen_rate(token, 5)
    assert twice.value.code is ErrorCode.CONFLICT
    items = dh.services.rectifications(dh.code, actor=dh.manager)
    assert (items.open, items.overdue) == (1, 0)
    item = items.items[0]
    assert (item.score_label, item.assignee, item.rated_staff, item.window, item.state) == (
        "不满意", "zhang", "张三", "1", "open"
    )  # fmt: skip
    assert item.due == date(2025, 4, 2) and not item.overdue
    view = dh.services.citizen(token)
    assert (view.can_rate, view.rating, view.rating_label) == (False, 2, "不满意")


def test_a_good_rating_opens_nothing_and_a_visit_not_yet_served_cannot_be_rated(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    token = _visit(dh)
    assert not dh.services.citizen_rate(token, 5).bad
    waiting = dh.issue("A")
    with pytest.raises(InvalidStateError):
        dh.services.citizen_rate(citizen_token(waiting), 1)
    assert dh.services.rectifications(dh.code, actor=dh.manager).items == []


def test_a_pad_rating_gets_its_item_and_the_pad_and_page_share_one_rating_per_visit(dh: DeskHall) -> None:
    token = _visit(dh)
    pad = RatingEvent(id="pad-evt-1", score=1)
    dh.hall.services.record_rating(dh.code, "1", pad, device_id="agent-1")  # the MQTT bridge's call
    with pytest.raises(HallqError):
        dh.services.citizen_rate(token, 4)
    # The item is opened with the rating itself, before any rectification use case runs.
    with Session(dh.hall.engine) as s:
        opened = s.exec(select(Rectification).where(Rectification.hall_id == dh.hall.hall_id)).all()
    assert [(r.state, r.due is not None) for r in opened] == [("open", True)]
    assert dh.services.console(dh.code, "1", actor=dh.staff("zhang")).open_rectifications == 1
    items = dh.services.rectifications(dh.code, actor=dh.manager).items
    assert [(i.score_label, i.assignee) for i in items] == [("非常不满意", "zhang")]
    rows = dh.services.ratings(dh.code, actor=dh.manager)
    assert [(r.ticket, r.label, r.source, r.staff) for r in rows] == [
        ("A001", "非常不满意", "rating_pad", "张三")
    ]


def test_rectification_is_assigned_worked_on_and_closed(dh: DeskHall) -> None:
    token = _visit(dh)
    dh.services.citizen_rate(token, 1)
    item = dh.services.rectifications(dh.code, actor=dh.manager).items[0].id
    assert [i.id for i in dh.services.rectifications(dh.code, actor=dh.staff("zhang")).items] == [item]
    assert dh.services.rectifications(dh.code, actor=dh.staff("li")).items == []
    with pytest.raises(NotAuthorizedError):
        dh.services.assign_rectification(dh.code, item, "li", actor=dh.staff("zhang"))
    dh.services.assign_rectification(dh.code, item, "li", actor=dh.manager)
    with pytest.raises(NotAuthorizedError):  # no longer zhang's
        dh.services.note_rectification(dh.code, item, "已谈话", actor=dh.staff("zhang"))
    noted = dh.services.note_rectification(dh.code, item, "已约谈，调整窗口引导", actor=dh.staff("li"))
    assert noted.state == "in_progress" and noted.state_label == "整改中"
    with pytest.raises(BadRequestError):
        dh.services.close_rectification(dh.code, item, "  ", actor=dh.staff("li"))
    dh.clock.advance(days=2)
    closed = dh.services.close_rectification(
        dh.code, item, "增设引导员，窗口服务规范培训", actor=dh.staff("li")
    )
    assert closed.state == "closed" and closed.measures == "增设引导员，窗口服务规范培训"
    assert [s.kind for s in closed.steps] == ["opened", "assigned", "note", "closed"]
    with pytest.raises(InvalidStateError):
        dh.services.close_rectification(dh.code, item, "again", actor=dh.manager)
    assert dh.services.rectifications(dh.code, actor=dh.manager).items == []
    assert [
        i.id for i in dh.services.rectifications(dh.code, actor=dh.manager, include_closed=True).items
    ] == [item]
    with Session(dh.hall.engine) as session:
        rating = session.exec(select(Rating).where(Rating.hall_id == dh.hall.hall_id)).one()
        assert rating.rectified_at is not None and rating.rectification_note == "增设引导员，窗口服务规范培训"


def test_rectification_is_due_fifteen_working_days_later_across_national_day(dh: DeskHall) -> None:
    dh.clock.set(datetime(2026, 9, 30, 15, 0, tzinfo=SHANGHAI))
    token = _visit(dh)
    # Oct 8, 9, 10 (make-up), 12–16, 19–23, 26, 27: the fifteenth working day.
    assert dh.services.citizen_rate(token, 2).rectification_due == date(2026, 10, 27)
    dh.clock.set(datetime(2026, 10, 28, 9, 0, tzinfo=SHANGHAI))
    listing = dh.services.rectifications(dh.code, actor=dh.manager)
    assert listing.overdue == 1 and listing.items[0].overdue
