"""上门服务: a door-to-door visit is booked, then recorded as a case without a ticket, numbered in the
hall's one case sequence; or cancelled."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from harness.factories import SHANGHAI
from queue_server.domain.cases import parse_case_number
from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError
from queue_server.services.casework.models import CaseRequest
from queue_server.services.queue.models import DoorVisitRequest
from tests.services.helpers import DeskHall


def _request(**overrides: object) -> DoorVisitRequest:
    values: dict[str, object] = {
        "service": "A",
        "matter": "A01",
        "applicant_name": "刘奶奶",
        "phone": "13800001111",
        "address": "原州区南城路12号3单元",
        "start": datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI),
        "end": datetime(2025, 3, 13, 10, 30, tzinfo=SHANGHAI),
        "staff": "zhang",
        "note": "行动不便",
    }
    values.update(overrides)
    return DoorVisitRequest.model_validate(values)


def test_a_visit_is_booked_then_recorded_as_a_case_without_a_ticket(dh: DeskHall) -> None:
    visit = dh.services.book_visit(dh.code, _request(), actor=dh.manager, request_id="book-1")
    assert dh.services.book_visit(dh.code, _request(), actor=dh.manager, request_id="book-1").id == visit.id
    assert (visit.state_label, visit.staff_name, visit.matter_name) == ("已预约", "张三", "户口迁移")
    assert [v.id for v in dh.services.visits(dh.code, date(2025, 3, 13), actor=dh.staff("li"))] == [visit.id]
    assert dh.services.visits(dh.code, date(2025, 3, 12), actor=dh.manager) == []
    # A ticketed case first: the visit's case continues the same sequence.
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    ticketed = dh.finish("1", "zhang", CaseRequest(case_type="immediate")).case
    with pytest.raises(NotAuthorizedError):  # assigned to zhang
        dh.services.record_visit(dh.code, visit.id, CaseRequest(case_type="immediate"), actor=dh.staff("li"))
    dh.clock.advance(days=1)
    done = dh.services.record_visit(
        dh.code, visit.id, CaseRequest(case_type="promised", applicant_name="刘奶奶"), actor=dh.staff("zhang")
    )
    assert done.state == "done" and done.case is not None
    case = done.case
    assert case.ticket is None and case.window is None and case.staff == "张三" and case.applicant == "刘**"
    assert parse_case_number(case.case_number)[1:] == (date(2025, 3, 13), 1)
    assert parse_case_number(ticketed.case_number)[1:] == (date(2025, 3, 12), 1)
    assert case.deadline == date(2025, 3, 13) and [d.title for d in case.documents] == ["受理凭证"]
    with pytest.raises(InvalidStateError):
        dh.services.cancel_visit(dh.code, visit.id, actor=dh.manager)


def test_a_visit_with_a_supplement_lists_the_missing_materials_for_the_a4_notice(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    visit = dh.services.book_visit(dh.code, _request(staff=None), actor=dh.staff("li"))
    done = dh.services.record_visit(
        dh.code,
        visit.id,
        CaseRequest(case_type="supplement", missing_materials=["A01-M2"]),
        actor=dh.staff("li"),
    )
    assert done.staff == "li" and done.case is not None
    assert [m.name for m in done.case.missing] == ["居民身份证"]
    assert "居民身份证" in dh.services.document_page(dh.code, done.case.documents[0].id)


def test_bad_bookings_are_refused_and_a_booking_can_be_cancelled(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    with pytest.raises(BadRequestError):
        dh.services.book_visit(
            dh.code, _request(end=datetime(2025, 3, 13, 8, 0, tzinfo=SHANGHAI)), actor=dh.manager
        )
    with pytest.raises(BadRequestError):
        dh.services.book_visit(dh.code, _request(service="B"), actor=dh.manager)  # A01 is not a B matter
    visit = dh.services.book_visit(dh.code, _request(), actor=dh.manager)
    assert dh.services.cancel_visit(dh.code, visit.id, actor=dh.manager).state_label == "已取消"
    with pytest.raises(InvalidStateError):
        dh.services.record_visit(dh.code, visit.id, CaseRequest(case_type="immediate"), actor=dh.manager)
