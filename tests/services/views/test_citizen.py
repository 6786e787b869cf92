"""The citizen page's view of a visit: waiting, called ("请到 1 号窗口办理"), served, transferred, done
with its case and documents; a token opens only its own visit's documents."""

from __future__ import annotations

import pytest

from queue_server.errors import NotFoundError
from queue_server.services.casework.models import CaseRequest
from queue_server.services.queue.models import TransferRequest
from tests.services.helpers import DeskHall, citizen_token, page_text


def test_the_visit_from_waiting_to_done(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    dh.issue("A")
    ticket = dh.issue("A", matter="A01")
    token = citizen_token(ticket)
    assert dh.services.citizen_hall(token) == dh.code
    zhang = dh.open("1", "zhang")
    waiting = dh.services.citizen(token)
    assert (waiting.state, waiting.position, waiting.people_ahead) == ("waiting", 2, 1)
    assert waiting.message == "前面还有 1 人，请耐心等候。" and waiting.eta_min is not None
    assert waiting.hall_name == "测试市民大厅" and waiting.matter_name == "户口迁移"
    dh.call("1", "zhang")
    assert dh.services.citizen(token).message == "马上就到您了，请留意叫号。"
    dh.hall.services.start(dh.code, "1", actor=zhang, request_id=dh.hall.rid())
    dh.finish("1", "zhang", CaseRequest(case_type="immediate"))
    called = dh.call("1", "zhang")
    assert called.ticket is not None and called.ticket.ticket_id == ticket.ticket_id
    view = dh.services.citizen(token)
    assert (view.state, view.window, view.message) == ("called", "1", "轮到您了！请到 1 号窗口办理")
    assert not view.can_rate
    dh.hall.services.start(dh.code, "1", actor=zhang, request_id=dh.hall.rid())
    assert dh.services.citizen(token).message == "正在 1 号窗口为您办理"
    case = dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M2"])).case
    done = dh.services.citizen(token)
    assert (done.state, done.case_number, done.case_type_label) == ("done", case.case_number, "补办件")
    assert [(d.title, d.url) for d in done.documents] == [
        ("一次性告知书", f"/t/{token}/documents/{case.documents[0].id}")
    ]
    assert done.can_rate and done.rating is None
    assert "居民身份证" in page_text(dh.services.citizen_document(token, case.documents[0].id))


def test_a_token_opens_only_its_own_documents(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    first = dh.issue("A", matter="A01")
    other = dh.issue("A", matter="A01")
    dh.serve("1", "zhang")
    case = dh.finish("1", "zhang", CaseRequest(case_type="returned", reasons=["材料不符合法定形式"])).case
    document = case.documents[0].id
    assert "材料不符合法定形式" in page_text(dh.services.citizen_document(citizen_token(first), document))
    with pytest.raises(NotFoundError):
        dh.services.citizen_document(citizen_token(other), document)
    with pytest.raises(NotFoundError):
        dh.services.citizen("no-such-token")


def test_a_transferred_visit_is_followed_with_the_first_token(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    ticket = dh.issue("A")
    token = citizen_token(ticket)
    zhang = dh.open("1", "zhang")
    dh.call("1", "zhang")
    dh.services.transfer(dh.code, "1", TransferRequest(to_service="B"), actor=zhang)
    moved = dh.services.citizen(token)
    assert (moved.state, moved.number, moved.service_name) == ("waiting", "A001", "企业开办")
    live_view, tokens = dh.services.citizen_live(token)
    assert live_view == moved and ticket.ticket_id in tokens and len(tokens) == 2
    zhao = dh.open("2", "zhao")
    dh.call("2", "zhao")
    assert dh.services.citizen(token).message == "轮到您了！请到 2 号窗口办理"
    dh.hall.services.start(dh.code, "2", actor=zhao, request_id=dh.hall.rid())
    dh.finish("2", "zhao", CaseRequest(case_type="immediate"))
    assert dh.services.citizen_rate(token, 4).label == "满意"
    rows = dh.services.ratings(dh.code, actor=dh.manager)
    assert [(r.window, r.staff, r.source) for r in rows] == [("2", "赵六", "citizen_page")]
