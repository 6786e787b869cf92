"""The console's picture of a window: the queue in the real call order, the citizen at the window with
everything to check, transfer to a person, calling by number, who may look."""

from __future__ import annotations

import pytest

from queue_server.errors import BadRequestError, NotAuthorizedError, NotFoundError
from queue_server.protocol.messages import TicketState, WindowStatus
from queue_server.services.casework.models import CaseRequest
from queue_server.services.queue.models import TransferRequest
from tests.services.helpers import DeskHall

ID_A = "a" * 64
ID_B = "b" * 64


def test_next_tickets_are_what_the_next_calls_bring(dh: DeskHall) -> None:
    for _ in range(3):
        dh.issue("A")
    dh.issue("C")
    dh.issue("A", priority="disabled")
    dh.issue("A", priority="pregnant")
    dh.issue("A", priority="disabled")
    dh.services.issue_special(dh.code, "C", "紧急", actor=dh.manager)
    zhang = dh.open("1", "zhang")
    listed = [t.number for t in dh.services.console(dh.code, "1", actor=zhang).next_tickets]
    assert listed[0] == "C002" and len(listed) == 6  # the special ticket first; the list is cut at six
    called = []
    for _ in range(len(listed)):
        op = dh.call("1", "zhang")
        assert op.ticket is not None
        called.append(op.ticket.number)
        dh.hall.services.start(dh.code, "1", actor=zhang, request_id=dh.hall.rid())
        dh.finish("1", "zhang", CaseRequest(case_type="immediate"))
    assert called == listed
    # With two priority calls in a row behind it, the interleave shows a normal ticket next.
    assert "A002" in listed and listed.index("A005") < listed.index("A002")


def test_queue_loads_per_service_with_the_longest_wait(dh: DeskHall) -> None:
    dh.issue("A")
    dh.clock.advance(minutes=10)
    dh.issue("A")
    dh.issue("C")
    dh.clock.advance(minutes=25)
    view = dh.services.console(dh.code, "1", actor=dh.open("1", "zhang"))
    loads = {s.code: (s.waiting, s.longest_wait_min, s.weight) for s in view.services}
    assert loads == {"A": (2, 35, 2), "C": (1, 25, 1)}
    assert [s.code for s in view.services] == ["A", "C"]  # primary first
    assert view.window.status is WindowStatus.IDLE and view.current is None


def test_the_citizen_at_the_window_with_materials_priority_and_earlier_cases(dh: DeskHall) -> None:
    zhang = dh.open("1", "zhang")
    dh.issue("A", matter="A01", id_hash=ID_A)
    dh.call("1", "zhang")
    dh.hall.services.start(dh.code, "1", actor=zhang, request_id=dh.hall.rid())
    first = dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M3"])).case
    dh.issue("A", matter="A01", id_hash=ID_B)  # someone else, same matter
    dh.issue("A", matter="A01", id_hash=ID_A, materials=["A01-M1", "A01-M2"], priority="disabled")
    op = dh.call("1", "zhang")
    assert op.ticket is not None and op.ticket.number == "A003"  # priority before the normal A002
    current = dh.services.console(dh.code, "1", actor=zhang).current
    assert current is not None and current.state == TicketState.CALLED.value
    assert current.matter_name == "户口迁移" and current.department == "civil"
    assert [(m.name, m.checked) for m in current.materials] == [
        ("居民户口簿", True), ("居民身份证", True), ("准予迁入证明", False)
    ]  # fmt: skip
    assert current.priority is not None
    assert (current.priority.label, current.priority.basis_label) == ("残疾人", "本人申报")
    assert current.priority.needs_confirmation and current.priority.confirmed is None
    assert [(c.case_number, c.missing) for c in current.earlier_cases] == [
        (first.case_number, ["准予迁入证明"])
    ]
    dh.hall.services.confirm_priority(dh.code, "1", True, actor=zhang)
    confirmed = dh.services.console(dh.code, "1", actor=zhang).current
    assert confirmed is not None and confirmed.priority is not None and confirmed.priority.confirmed is True


def test_held_tickets_are_listed_and_go_back(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    zhang = dh.open("1", "zhang")
    ticket = dh.issue("A")
    dh.call("1", "zhang")
    dh.hall.services.hold_ticket(dh.code, str(ticket.ticket_id), actor=zhang)
    view = dh.services.console(dh.code, "1", actor=zhang)
    assert [t.number for t in view.held] == ["A001"] and view.current is None and view.next_tickets == []
    dh.hall.services.resume_ticket(dh.code, str(ticket.ticket_id), actor=zhang)
    view = dh.services.console(dh.code, "1", actor=zhang)
    assert view.held == [] and [t.number for t in view.next_tickets] == ["A001"]


def test_transfer_to_a_person_goes_to_their_window(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    zhang = dh.open("1", "zhang")
    dh.issue("A")
    dh.call("1", "zhang")
    with pytest.raises(BadRequestError):  # zhao is not signed in anywhere
        dh.services.transfer(dh.code, "1", TransferRequest(to_staff="zhao"), actor=zhang)
    with pytest.raises(BadRequestError):
        dh.services.transfer(dh.code, "1", TransferRequest(to_staff="zhao", to_window="3"), actor=zhang)
    zhao = dh.open("3", "zhao")
    view = dh.services.console(dh.code, "1", actor=zhang)
    assert [(o.code, o.name, o.note) for o in view.transfer_staff] == [("zhao", "赵六", "3号窗口")]
    dh.services.transfer(dh.code, "1", TransferRequest(to_staff="zhao", note="需现场核验"), actor=zhang)
    assert [t.number for t in dh.services.console(dh.code, "3", actor=zhao).next_tickets] == ["A001"]
    assert dh.services.console(dh.code, "1", actor=zhang).next_tickets == []


def test_call_a_ticket_by_its_number_out_of_order(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    zhang = dh.open("1", "zhang")
    for _ in range(3):
        dh.issue("A")
    with pytest.raises(NotFoundError):
        dh.services.call_ticket(dh.code, "1", "群众在场", number="A009", actor=zhang)
    op = dh.services.call_ticket(dh.code, "1", "老人腿脚不便", number="A003", actor=zhang)
    assert op.ticket is not None and op.ticket.number == "A003" and op.call is not None


def test_only_the_person_at_the_window_and_supervisors_see_its_console(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.open("1", "zhang")
    with pytest.raises(NotAuthorizedError):
        dh.services.console(dh.code, "1", actor=dh.staff("li"))
    window = dh.services.console(dh.code, "1", actor=dh.manager).window
    # The window's state, as screens get it: the masked name and the opaque staff number, not the login.
    assert (window.staff, window.staff_id) == ("张*", dh.services.window_state(dh.code, "1").staff_id)
