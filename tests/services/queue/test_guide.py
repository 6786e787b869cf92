"""The guide desk (导办台) on SQLite and PostgreSQL: search, issue on a citizen's behalf (confirmed
priority, who came along, 特事特办), look up, reprint, void, enquiries; every act audited with the
clerk's staff id; only guide-desk clerks and managers may act."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError
from queue_server.protocol.messages import TicketState
from queue_server.services.casework.models import CaseRequest
from queue_server.services.ports import Actor, Role
from queue_server.services.queue.guide_models import EnquiryAck, EnquiryRequest, GuideIssueRequest
from queue_server.store.tables import Event, Staff, Ticket
from queue_server.store.tables.casework import SpecialGrant
from tests.services.helpers import DeskHall, page_text

CLERK = Actor(Role.GUIDE, "daoban")
ID_HASH = "c" * 64


def _staff_id(dh: DeskHall, login: str) -> int:
    with Session(dh.hall.engine) as s:
        staff = s.exec(select(Staff).where(Staff.hall_id == dh.hall.hall_id, Staff.login == login)).one()
        assert staff.id is not None
        return staff.id


def _events(dh: DeskHall, kind: str) -> list[Event]:
    with Session(dh.hall.engine) as s:
        return list(
            s.exec(
                select(Event)
                .where(Event.hall_id == dh.hall.hall_id, Event.kind == kind)
                .order_by(col(Event.id))
            )
        )


def _ticket(dh: DeskHall, public_id: str) -> Ticket:
    with Session(dh.hall.engine) as s:
        return s.exec(select(Ticket).where(Ticket.public_id == public_id)).one()


def _issue(dh: DeskHall, **fields: Any) -> Any:
    request = GuideIssueRequest(**fields)
    return dh.services.guide_issue(dh.code, request, actor=CLERK, request_id=dh.hall.rid())


def test_matters_are_found_by_pinyin_initials_name_and_code(dh: DeskHall) -> None:
    def find(q: str) -> list[str]:
        return [m.code for m in dh.services.guide_matters(dh.code, q, actor=CLERK)]

    assert find("hkqy") == ["A01"]
    assert find("HK") == ["A01"]
    assert find("企业") == ["B01"]
    assert find("c01") == ["C01"]
    assert find("") == []
    hit = dh.services.guide_matters(dh.code, "sbk", actor=CLERK)[0]
    assert (hit.service, hit.materials) == ("C", ["居民身份证"])


def test_a_confirmed_priority_ticket_reaches_the_window_with_the_clerk(dh: DeskHall) -> None:
    earlier = dh.issue("A", matter="A01")  # a normal kiosk ticket, issued first
    done = _issue(dh, matter="A01", priority="disabled", accompanied_by="女儿陪同", note="轮椅")
    assert done.clerk == "周导" and done.accompanied_by == "女儿陪同" and not done.special
    row = _ticket(dh, done.ticket.ticket_id)
    assert (row.priority_class, row.priority_basis, row.priority_confirmed) == (
        "disabled",
        "guide_desk",
        True,
    )
    assert row.device_id is None  # the statistics' "desk" channel

    dh.open("1", "zhang")
    called = dh.call("1", "zhang")
    assert called.ticket is not None and called.ticket.number == done.ticket.number != earlier.number
    current = dh.services.console(dh.code, "1", actor=dh.staff("zhang")).current
    assert current is not None and current.guide is not None
    assert (current.guide.clerk_name, current.guide.accompanied_by) == ("周导", "女儿陪同")
    assert current.priority is not None and current.priority.basis_label == "导办台确认"
    assert not current.priority.needs_confirmation

    [event] = _events(dh, "guide_issue")
    assert event.staff_id == _staff_id(dh, "daoban") and event.ticket_id == row.id
    assert event.data["accompanied_by"] == "女儿陪同" and event.data["priority"] == "disabled"


def test_elderly_priority_can_be_confirmed_by_the_clerk_not_declared_at_a_kiosk(dh: DeskHall) -> None:
    done = _issue(dh, service="A", priority="elderly")
    assert done.ticket.priority == "elderly"
    with pytest.raises(BadRequestError):
        _issue(dh, service="A", priority="vip")


def test_a_special_grant_is_recorded_with_the_clerk_and_its_reason(dh: DeskHall) -> None:
    done = _issue(dh, matter="B01", special_reason="重病患者，家属代办", accompanied_by="家属")
    assert done.special and done.special_reason == "重病患者，家属代办"
    row = _ticket(dh, done.ticket.ticket_id)
    assert row.special and row.lane == "special"
    with Session(dh.hall.engine) as s:
        grant = s.exec(select(SpecialGrant).where(SpecialGrant.ticket_id == row.id)).one()
    assert grant.granted_by_id == _staff_id(dh, "daoban") and grant.reason == "重病患者，家属代办"
    listed = dh.services.special_grants(dh.code, row.service_day, actor=dh.manager)
    assert [(g.number, g.granted_by) for g in listed] == [(row.number, "周导")]
    with pytest.raises(BadRequestError):
        _issue(dh, matter="B01", special_reason="   ")  # a special ticket always says why


def test_tickets_are_found_by_number_public_id_and_id_hash(dh: DeskHall) -> None:
    first = dh.issue("A", id_hash=ID_HASH)
    second = _issue(dh, service="C", id_hash=ID_HASH)
    by_number = dh.services.guide_lookup(dh.code, first.number.lower(), actor=CLERK)
    assert [t.number for t in by_number] == [first.number]
    assert by_number[0].guide_clerk is None and by_number[0].state == "waiting" and by_number[0].voidable
    by_id = dh.services.guide_lookup(dh.code, second.ticket.ticket_id, actor=CLERK)
    assert [(t.number, t.guide_clerk) for t in by_id] == [(second.ticket.number, "周导")]
    by_hash = dh.services.guide_lookup(dh.code, ID_HASH, actor=CLERK)
    assert {t.number for t in by_hash} == {first.number, second.ticket.number}
    with pytest.raises(BadRequestError):  # a clear resident ID is never a search key
        dh.services.guide_lookup(dh.code, "11010519491231002X", actor=CLERK)


def test_void_needs_a_reason_is_audited_and_only_before_the_call(dh: DeskHall) -> None:
    waiting = dh.issue("A")
    with pytest.raises(BadRequestError):
        dh.services.guide_void(dh.code, waiting.ticket_id, "  ", actor=CLERK, request_id=dh.hall.rid())
    voided = dh.services.guide_void(
        dh.code, waiting.ticket_id, "重复取号", actor=CLERK, request_id=dh.hall.rid()
    )
    assert voided.state == TicketState.VOID.value and not voided.voidable
    row = _ticket(dh, waiting.ticket_id)
    assert row.state == "void" and row.finished_at is not None
    [event] = _events(dh, "void")
    assert event.staff_id == _staff_id(dh, "daoban") and event.data["reason"] == "重复取号"
    assert event.data["source"] == "guide_desk"
    with pytest.raises(InvalidStateError):
        dh.services.guide_void(dh.code, waiting.ticket_id, "再次", actor=CLERK, request_id=dh.hall.rid())

    called = dh.issue("A")
    dh.serve("1", "zhang")
    with pytest.raises(InvalidStateError):
        dh.services.guide_void(dh.code, called.ticket_id, "误操作", actor=CLERK, request_id=dh.hall.rid())
    # The voided ticket is never called: the window's queue is empty now.
    dh.finish("1", "zhang", CaseRequest(case_type="immediate"))
    assert dh.services.console(dh.code, "1", actor=dh.staff("zhang")).next_tickets == []


def test_reprint_is_audited_and_the_slip_carries_the_number_and_the_citizen_page(dh: DeskHall) -> None:
    ticket = dh.issue("A", matter="A01")
    slip = dh.services.guide_reprint(dh.code, ticket.ticket_id, actor=CLERK, request_id=dh.hall.rid())
    assert slip.ticket.number == ticket.number and slip.url.endswith(ticket.ticket_id)
    [event] = _events(dh, "guide_reprint")
    assert event.staff_id == _staff_id(dh, "daoban")
    page = dh.services.guide_slip(dh.code, ticket.ticket_id, actor=CLERK)
    assert ticket.number in page_text(page) and "户口迁移" in page_text(page)
    assert f'data-payload="{ticket.citizen_url}"' in page


def test_enquiries_are_counted_by_matter_with_the_clerk(dh: DeskHall) -> None:
    def ask(**fields: Any) -> EnquiryAck:
        return dh.services.guide_enquiry(
            dh.code, EnquiryRequest(**fields), actor=CLERK, request_id=dh.hall.rid()
        )

    first = ask(matter="B01", note="问材料")
    assert (first.matter, first.service, first.today) == ("B01", "B", 1)
    assert ask(service="C").today == 2
    events = _events(dh, "enquiry")
    assert [(e.data["matter"], e.data["service"]) for e in events] == [("B01", "B"), (None, "C")]
    assert {e.staff_id for e in events} == {_staff_id(dh, "daoban")}
    with pytest.raises(BadRequestError):
        ask()


def test_only_guide_desk_clerks_and_managers_act_and_clerks_serve_no_window(dh: DeskHall) -> None:
    window_staff = dh.staff("zhang")
    with pytest.raises(NotAuthorizedError):
        dh.services.guide_issue(
            dh.code, GuideIssueRequest(service="A"), actor=window_staff, request_id=dh.hall.rid()
        )
    with pytest.raises(NotAuthorizedError):
        dh.services.guide_lookup(dh.code, "A001", actor=window_staff)
    assert dh.services.guide_issue(
        dh.code, GuideIssueRequest(service="A"), actor=dh.manager, request_id=dh.hall.rid()
    ).clerk
    with pytest.raises(NotAuthorizedError):
        dh.services.sign_in(dh.code, "1", actor=CLERK, request_id=dh.hall.rid())
    with pytest.raises(NotAuthorizedError):  # and a window's work is not theirs
        dh.services.call_next(dh.code, "1", actor=Actor(Role.GUIDE, "daoban", "1"), request_id=dh.hall.rid())


def test_the_same_request_id_issues_once(dh: DeskHall) -> None:
    request = GuideIssueRequest(service="A", accompanied_by="老伴")
    one = dh.services.guide_issue(dh.code, request, actor=CLERK, request_id="guide-1")
    two = dh.services.guide_issue(dh.code, request, actor=CLERK, request_id="guide-1")
    assert one == two
    assert len(_events(dh, "guide_issue")) == 1
