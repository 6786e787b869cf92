"""Finishing a visit as each of the seven case types: numbers, deadlines, details, documents, closing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from queue_server.domain.cases import parse_case_number
from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError
from queue_server.protocol.messages import TicketState, WindowStatus
from queue_server.services.casework.models import CaseRequest
from queue_server.store.tables import Case, Event, Ticket
from queue_server.store.tables.casework import CaseDetail, CaseDocument
from tests.services.helpers import DeskHall

TODAY = date(2025, 3, 12)  # the factories' clock: Wednesday 2025-03-12 10:00 in Shanghai


def test_immediate_case_is_numbered_done_and_issues_the_result(dh: DeskHall) -> None:
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    result = dh.finish("1", "zhang", CaseRequest(case_type="immediate", applicant_name="王小明"))
    case = result.case
    hall, day, seq = parse_case_number(case.case_number)
    assert (hall, day, seq) == (dh.code.upper(), TODAY, 1)
    assert case.case_type_label == "即办件" and case.accepted
    assert case.deadline == TODAY and case.due_state == "closed" and case.closed_at is not None
    assert case.result == "户口迁移结果文书"  # the matter's result, issued on the spot
    assert case.applicant == "王**" and case.documents == []
    assert result.op.window.status is WindowStatus.IDLE
    assert result.op.ticket is not None and result.op.ticket.case_number == case.case_number
    second = dh.issue("A", matter="A01")
    dh.serve("1", "zhang", open_first=False)
    number = dh.finish("1", "zhang", CaseRequest(case_type="immediate")).case.case_number
    assert parse_case_number(number)[2] == 2, second.number


def test_promised_case_gets_its_deadline_and_an_acceptance_receipt(dh: DeskHall) -> None:
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    case = dh.finish("2", "zhang", CaseRequest(case_type="promised")).case
    assert case.case_type_label == "承诺件"
    assert case.deadline == date(2025, 3, 17)  # 3 working days after Wednesday: Thu, Fri, Mon
    assert case.due_state == "on_track" and case.closed_at is None
    assert [d.title for d in case.documents] == ["受理凭证"]
    assert case.department == "market" and case.window == "2" and case.staff == "张三"


def test_joint_case_tracks_each_co_department_to_done_before_it_closes(dh: DeskHall) -> None:
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    request = CaseRequest(case_type="joint", co_departments=["civil"])
    case = dh.finish("2", "zhang", request).case
    assert case.department == "market"  # the lead: the matter's department
    assert [(p.department, p.state) for p in case.parts] == [("civil", "pending")]
    assert case.deadline == date(2025, 3, 17) and [d.title for d in case.documents] == ["受理凭证"]
    number = case.case_number
    with pytest.raises(InvalidStateError):
        dh.services.close_case(dh.code, number, "", actor=dh.staff("zhang"))
    # zhao at window 3 (no department) may not report for the civil department …
    dh.open("3", "zhao")
    with pytest.raises(NotAuthorizedError):
        dh.services.complete_part(dh.code, number, "civil", "", actor=dh.staff("zhao"))
    # … staff at window 1 (民政局) may.
    dh.open("1", "li")
    done = dh.services.complete_part(dh.code, number, "civil", "已出具意见", actor=dh.staff("li"))
    assert [(p.state, p.done_by, p.note) for p in done.parts] == [("done", "李四", "已出具意见")]
    with pytest.raises(InvalidStateError):
        dh.services.complete_part(dh.code, number, "civil", "", actor=dh.staff("li"))
    closed = dh.services.close_case(dh.code, number, "已核发营业执照", actor=dh.staff("zhang"))
    assert closed.due_state == "closed" and closed.result == "已核发营业执照"


def test_joint_case_needs_a_co_department_other_than_the_lead(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    for request in (
        CaseRequest(case_type="joint"),
        CaseRequest(case_type="joint", co_departments=["market"]),
        CaseRequest(case_type="joint", co_departments=["nowhere"]),
    ):
        with pytest.raises(BadRequestError):
            dh.finish("2", "zhang", request)
    # Nothing of the failed attempts stayed: the visit is still being served, no case exists.
    assert dh.hall.services.window_state(dh.code, "2").status is WindowStatus.SERVING
    with Session(dh.hall.engine) as session:
        assert session.exec(select(Case).where(Case.hall_id == dh.hall.hall_id)).all() == []


def test_approval_case_records_the_authority(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    case = dh.finish("2", "zhang", CaseRequest(case_type="approval", approval_authority="市市场监管局")).case
    assert case.case_type_label == "报批件" and case.approval_authority == "市市场监管局"
    assert case.deadline == date(2025, 3, 17) and case.due_state == "on_track"


def test_returned_case_needs_reasons_and_issues_a_rejection_notice(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    with pytest.raises(BadRequestError):
        dh.finish("1", "zhang", CaseRequest(case_type="returned", reasons=["  "]))
    reasons = ["不属于本机关职权范围", "申请人不具备主体资格"]
    case = dh.finish("1", "zhang", CaseRequest(case_type="returned", reasons=reasons)).case
    assert case.case_type_label == "退回件" and not case.accepted
    assert case.reasons == reasons and case.deadline is None and case.due_state == "closed"
    assert [d.title for d in case.documents] == ["不予受理通知书"]


def test_supplement_case_lists_missing_materials_from_the_matter_in_catalogue_order(dh: DeskHall) -> None:
    dh.issue("A", matter="A01", materials=["A01-M2"])
    dh.serve("1", "zhang")
    with pytest.raises(BadRequestError) as unknown:
        dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["B01-M1"]))
    assert unknown.value.detail["unknown"] == ["B01-M1"]
    with pytest.raises(BadRequestError):
        dh.finish("1", "zhang", CaseRequest(case_type="supplement"))
    request = CaseRequest(case_type="supplement", missing_materials=["A01-M3", "A01-M1"])
    case = dh.finish("1", "zhang", request).case
    assert case.case_type_label == "补办件" and not case.accepted and case.deadline is None
    assert [(m.code, m.name) for m in case.missing] == [("A01-M1", "居民户口簿"), ("A01-M3", "准予迁入证明")]
    assert [d.title for d in case.documents] == ["一次性告知书"]


def test_supplement_needs_a_matter(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A")  # no matter chosen at the kiosk
    dh.serve("1", "zhang")
    with pytest.raises(BadRequestError):
        dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M1"]))


def test_the_return_visit_links_to_the_first_case(dh: DeskHall) -> None:
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    first = dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M3"])).case
    dh.issue("A", matter="A01", return_for=first.case_number)  # the kiosk scanned the notice's QR
    dh.call("1", "zhang")
    console = dh.services.console(dh.code, "1", actor=dh.staff("zhang"))
    assert console.current is not None and console.current.return_for is not None
    assert console.current.return_for.case_number == first.case_number
    assert console.current.return_for.missing == ["准予迁入证明"]
    dh.hall.services.start(dh.code, "1", actor=dh.staff("zhang"), request_id=dh.hall.rid())
    second = dh.finish("1", "zhang", CaseRequest(case_type="immediate")).case
    assert second.return_for == first.case_number
    assert dh.services.case(dh.code, first.case_number).returns == [second.case_number]


def test_special_ticket_is_called_first_and_finishes_as_a_special_case(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A")
    dh.issue("A")
    with pytest.raises(NotAuthorizedError):
        dh.services.issue_special(dh.code, "A", "重病患者", actor=dh.staff("zhang"))
    special = dh.services.issue_special(dh.code, "A", "重病患者，特事特办", actor=dh.manager)
    assert special.granted_by == "值班长" and special.ticket.number == "A003"
    called = dh.serve("1", "zhang")
    assert called.ticket is not None and called.ticket.number == "A003"
    console = dh.services.console(dh.code, "1", actor=dh.staff("zhang"))
    assert console.current is not None and console.current.special_reason == "重病患者，特事特办"
    case = dh.finish("1", "zhang", CaseRequest(case_type="special")).case
    assert case.case_type_label == "特办件" and case.special_reason == "重病患者，特事特办"
    assert case.deadline == TODAY  # no matter: zero promised days
    grants = dh.services.special_grants(dh.code, TODAY, actor=dh.manager)
    assert [(g.number, g.reason, g.state) for g in grants] == [("A003", "重病患者，特事特办", "done")]


def test_fields_of_another_case_type_and_unknown_types_are_refused(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    with pytest.raises(BadRequestError):
        dh.finish("1", "zhang", CaseRequest(case_type="promised", reasons=["x"]))
    with pytest.raises(BadRequestError):
        dh.finish("1", "zhang", CaseRequest(case_type="pending"))


def test_finish_is_idempotent_by_request_id(dh: DeskHall) -> None:
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    request = CaseRequest(case_type="promised")
    first = dh.finish("2", "zhang", request, request_id="finish-1")
    again = dh.finish("2", "zhang", request, request_id="finish-1")
    assert again.case.case_number == first.case.case_number
    with Session(dh.hall.engine) as session:
        cases = session.exec(select(Case).where(Case.hall_id == dh.hall.hall_id)).all()
        assert len(cases) == 1
        docs = session.exec(select(CaseDocument).where(CaseDocument.case_id == cases[0].id)).all()
        assert len(docs) == 1


def test_only_the_signed_in_staff_finishes_and_only_a_served_visit(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A", matter="A01")
    dh.open("1", "zhang")
    dh.call("1", "zhang")
    with pytest.raises(InvalidStateError):  # called, not started
        dh.finish("1", "zhang", CaseRequest(case_type="immediate"))
    dh.hall.services.start(dh.code, "1", actor=dh.staff("zhang"), request_id=dh.hall.rid())
    with pytest.raises(NotAuthorizedError):
        dh.finish("1", "li", CaseRequest(case_type="immediate"))


def test_a_keypad_finish_gets_its_details_recorded_afterwards(dh: DeskHall) -> None:
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    op = dh.hall.services.finish(
        dh.code, "1", "supplement", actor=dh.staff("zhang"), request_id=dh.hall.rid()
    )
    assert op.ticket is not None and op.ticket.case_number is not None
    number = op.ticket.case_number
    assert not dh.services.case(dh.code, number).has_details
    with pytest.raises(NotAuthorizedError):
        dh.services.add_details(
            dh.code,
            number,
            CaseRequest(case_type="supplement", missing_materials=["A01-M1"]),
            actor=dh.staff("li"),
        )
    view = dh.services.add_details(
        dh.code,
        number,
        CaseRequest(case_type="supplement", missing_materials=["A01-M1"]),
        actor=dh.staff("zhang"),
    )
    assert view.has_details and [m.name for m in view.missing] == ["居民户口簿"]
    assert [d.title for d in view.documents] == ["一次性告知书"]
    with pytest.raises(InvalidStateError):
        dh.services.add_details(dh.code, number, CaseRequest(case_type="supplement"), actor=dh.staff("zhang"))


def test_every_case_is_audited(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    number = dh.finish(
        "1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M2"])
    ).case.case_number
    with Session(dh.hall.engine) as session:
        events = session.exec(
            select(Event).where(Event.hall_id == dh.hall.hall_id, Event.kind == "case_details")
        ).all()
        assert [(e.data["case_number"], e.data["missing"]) for e in events] == [(number, ["A01-M2"])]
        detail = session.exec(select(CaseDetail)).all()
        assert any(d.staff_id is not None and d.window_id is not None for d in detail)
        ticket = session.exec(select(Ticket).where(Ticket.case_number == number)).one()
        assert ticket.state == TicketState.DONE.value
