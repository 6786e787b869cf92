"""The guide desk and the citizen's cancel through the HTTP API, on SQLite and PostgreSQL (a real
uvicorn): every act as the page sends it, its audit row with the clerk's id, its refusals, rights."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from harness.factories import PASSWORD
from queue_server.store.tables import Event, Staff, Ticket
from queue_server.store.tables.casework import SpecialGrant
from tests.services.helpers import DeskHall, citizen_token, make_desk_hall
from tests.web.server import make_app, serve

Login = Callable[[str], httpx.Client]


@pytest.fixture
def desk(shared_url: str, hall_code: str) -> Iterator[tuple[DeskHall, Login]]:
    dh = make_desk_hall(shared_url, hall_code)
    server = serve(make_app(dh.hall))
    clients: list[httpx.Client] = []

    def login(name: str) -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        if name:
            r = client.post("/api/auth/token", json={"hall": hall_code, "login": name, "password": PASSWORD})
            assert r.status_code == 200, r.text
        return client

    yield dh, login
    for client in clients:
        client.close()
    server.stop()
    dh.hall.close()


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _events(dh: DeskHall, kind: str) -> list[Event]:
    with Session(dh.hall.engine) as s:
        stmt = (
            select(Event).where(Event.hall_id == dh.hall.hall_id, Event.kind == kind).order_by(col(Event.id))
        )
        return list(s.exec(stmt))


def _clerk_id(dh: DeskHall) -> int | None:
    with Session(dh.hall.engine) as s:
        return s.exec(select(Staff.id).where(Staff.hall_id == dh.hall.hall_id, Staff.login == "daoban")).one()


def test_every_guide_desk_act_over_http(desk: tuple[DeskHall, Login]) -> None:
    dh, login = desk
    clerk = login("daoban")
    base = f"/api/halls/{dh.code}/guide"

    hits = _ok(clerk.get(base + "/matters", params={"q": "hkqy"}))
    assert [h["code"] for h in hits] == ["A01"]

    body = {"matter": "A01", "priority": "pregnant", "accompanied_by": "丈夫陪同"}
    headers = {"Idempotency-Key": "guide-issue-1"}
    issued = _ok(clerk.post(base + "/tickets", json=body, headers=headers))
    assert issued["clerk"] == "周导" and issued["ticket"]["priority"] == "pregnant"
    assert (
        _ok(clerk.post(base + "/tickets", json=body, headers=headers)) == issued
    )  # replayed, not issued twice
    number, ticket_id = issued["ticket"]["number"], issued["ticket"]["ticket_id"]

    special = _ok(clerk.post(base + "/tickets", json={"service": "B", "special_reason": "危重病人"}))
    assert special["special"]
    with Session(dh.hall.engine) as s:
        grants = s.exec(select(SpecialGrant).where(SpecialGrant.hall_id == dh.hall.hall_id)).all()
    assert [(g.reason, g.granted_by_id) for g in grants] == [("危重病人", _clerk_id(dh))]

    found = _ok(clerk.get(base + "/tickets", params={"q": number}))
    assert [(t["number"], t["guide_clerk"], t["voidable"]) for t in found] == [(number, "周导", True)]

    slip = _ok(clerk.post(f"{base}/tickets/{ticket_id}/reprint"))
    page = clerk.get(slip["url"])
    assert page.status_code == 200 and number in page.text and "导办台补打" in page.text

    refused = clerk.post(f"{base}/tickets/{ticket_id}/void", json={"reason": ""})
    assert refused.status_code == 422
    voided = _ok(clerk.post(f"{base}/tickets/{ticket_id}/void", json={"reason": "市民改办其他事项"}))
    assert voided["state"] == "void"
    again = clerk.post(f"{base}/tickets/{ticket_id}/void", json={"reason": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "invalid_state"

    ack = _ok(clerk.post(base + "/enquiries", json={"matter": "B01"}))
    assert (ack["matter_name"], ack["today"]) == ("企业设立登记", 1)

    clerk_id = _clerk_id(dh)
    for kind in ("guide_issue", "guide_reprint", "void", "enquiry"):
        assert {e.staff_id for e in _events(dh, kind)} == {clerk_id}, kind
    assert len(_events(dh, "guide_issue")) == 2


def test_window_staff_and_strangers_may_not_use_the_guide_desk(desk: tuple[DeskHall, Login]) -> None:
    dh, login = desk
    base = f"/api/halls/{dh.code}/guide"
    assert login("").get(base + "/matters", params={"q": "hk"}).status_code == 401
    window_staff = login("zhang")
    assert window_staff.get(base + "/matters", params={"q": "hk"}).status_code == 403
    assert window_staff.post(base + "/tickets", json={"service": "A"}).status_code == 403
    assert window_staff.post(base + "/enquiries", json={"service": "A"}).status_code == 403
    manager = login("manager")
    issued = _ok(manager.post(base + "/tickets", json={"service": "A"}))
    assert manager.get(base + "/tickets", params={"q": "A\x00"}).status_code == 422  # never a 500
    void = f"{base}/tickets/{issued['ticket']['ticket_id']}/void"
    assert manager.post(void, json={"reason": "误\u0000取"}).status_code < 500
    # The clerk signs in at no window.
    clerk = login("daoban")
    assert clerk.post(f"/api/halls/{dh.code}/windows/1/sign-in").status_code == 403


def test_the_citizen_cancels_over_http(desk: tuple[DeskHall, Login]) -> None:
    dh, login = desk
    ticket = dh.issue("A", matter="A01")
    token = citizen_token(ticket)
    citizen = login("")
    before = _ok(citizen.get(f"/api/citizen/{token}"))
    assert before["can_cancel"] and before["materials"][0]["name"] == "居民户口簿"
    cancelled = _ok(citizen.post(f"/api/citizen/{token}/cancel"))
    assert cancelled["state"] == "void" and not cancelled["can_cancel"]
    assert _ok(citizen.post(f"/api/citizen/{token}/cancel")) == cancelled
    [event] = _events(dh, "void")
    assert event.data["source"] == "citizen"
    with Session(dh.hall.engine) as s:
        assert s.exec(select(Ticket.state).where(Ticket.public_id == ticket.ticket_id)).one() == "void"
    assert citizen.post("/api/citizen/no-such-token/cancel").status_code == 404
