"""Citizen tokens, privacy and idempotency keys through the HTTP API (a real uvicorn, SQLite).

What anyone on the hall network reads without signing in (calls, hall state, windows) carries the
ticket's public id and an opaque staff number, never the citizen token or a login; the public id opens
no citizen page; tokens expire; ratings are rate-limited; an idempotency key answers only its own
sender's same request.
"""

from __future__ import annotations

import httpx

from tests.services.helpers import citizen_token
from tests.web.conftest import Web


def _serve(web: Web, client: httpx.Client, window: str = "1") -> tuple[str, str]:
    """A ticket taken, called and started at ``window``: (its public id, its citizen token)."""
    ticket = web.dh.issue("A")
    base = f"/api/halls/{web.code}/windows/{window}"
    for action in ("sign-in", "open", "next", "start"):
        assert client.post(f"{base}/{action}").status_code == 200, action
    return ticket.ticket_id, citizen_token(ticket)


def test_public_routes_carry_the_public_id_and_an_opaque_staff_number_only(web: Web) -> None:
    public_id, token = _serve(web, web.login("zhang"))
    anyone = web.anonymous()
    hall = f"/api/halls/{web.code}"
    pages = {path: anyone.get(hall + path) for path in ("/calls", "/state", "/windows", "/windows/1")}
    for path, response in pages.items():
        assert response.status_code == 200, path
        assert token not in response.text and "zhang" not in response.text, path
    assert pages["/calls"].json()["calls"][0]["ticket_id"] == public_id
    window = pages["/windows/1"].json()
    assert window["ticket_id"] == public_id and window["staff"] == "张*"
    assert len(window["staff_id"]) == 8 and window["staff_id"].isdigit()
    # The public id opens nothing; the token opens the visit.
    assert anyone.get(f"/api/citizen/{public_id}").status_code == 404
    assert anyone.post(f"/api/citizen/{public_id}/rating", json={"score": 1}).status_code == 404
    assert anyone.get(f"/api/citizen/{token}").json()["state"] == "serving"


def test_a_token_expires_days_after_its_ticket(web: Web) -> None:
    _, token = _serve(web, web.login("zhang"))
    anyone = web.anonymous()
    web.dh.clock.advance(days=web.dh.hall.settings.citizen_token_days - 1)
    assert anyone.get(f"/api/citizen/{token}").status_code == 200
    web.dh.clock.advance(days=1)
    assert anyone.get(f"/api/citizen/{token}").status_code == 404
    assert anyone.post(f"/api/citizen/{token}/rating", json={"score": 1}).status_code == 404


def test_rating_attempts_are_limited_per_token_and_per_address(web: Web) -> None:
    anyone = web.anonymous()
    # Waiting tickets cannot be rated yet (409): each attempt still counts.
    tokens = [citizen_token(web.dh.issue("A")) for _ in range(6)]
    answers = [anyone.post(f"/api/citizen/{tokens[0]}/rating", json={"score": 1}) for _ in range(6)]
    assert [a.status_code for a in answers] == [409] * 5 + [429]
    assert answers[-1].json()["code"] == "too_many_requests"
    for token in tokens[1:]:  # 5 more tokens, 5 attempts each: the address's 30 are used up
        for _ in range(5):
            assert anyone.post(f"/api/citizen/{token}/rating", json={"score": 1}).status_code == 409
    fresh = citizen_token(web.dh.issue("A"))
    assert anyone.post(f"/api/citizen/{fresh}/rating", json={"score": 1}).status_code == 429


def test_an_idempotency_key_answers_only_the_same_request_of_the_same_sender(web: Web) -> None:
    zhang, zhao = web.login("zhang"), web.login("zhao")
    hall = f"/api/halls/{web.code}"
    assert zhang.post(f"{hall}/windows/1/sign-in").status_code == 200
    assert zhang.post(f"{hall}/windows/1/open").status_code == 200
    key = {"Idempotency-Key": "pause-1"}
    first = zhang.post(f"{hall}/windows/1/pause", json={"reason": "午休"}, headers=key)
    assert first.status_code == 200, first.text
    again = zhang.post(f"{hall}/windows/1/pause", json={"reason": "午休"}, headers=key)
    assert again.json() == first.json()
    other = zhang.post(f"{hall}/windows/1/pause", json={"reason": "开会"}, headers=key)
    assert other.status_code == 409 and other.json()["code"] == "conflict"
    # Another person's key of the same name is theirs: not zhang's stored reply, not blocked by it.
    assert zhao.post(f"{hall}/windows/4/sign-in", headers=key).status_code == 200
    # A ticket issued with a key: another body under the same key is refused, not answered.
    issued = zhao.post(f"{hall}/tickets", json={"service": "A"}, headers={"Idempotency-Key": "k1"})
    assert issued.status_code == 200, issued.text
    refused = zhao.post(f"{hall}/tickets", json={"service": "C"}, headers={"Idempotency-Key": "k1"})
    assert refused.status_code == 409


def test_a_door_visit_address_is_for_managers_and_the_assigned_person(web: Web) -> None:
    booking = {
        "service": "A",
        "applicant_name": "刘奶奶",
        "phone": "13800001111",
        "address": "原州区南城路12号3单元",
        "start": "2025-03-13T09:00:00+08:00",
        "end": "2025-03-13T10:30:00+08:00",
        "staff": "zhang",
    }
    manager = web.login("manager")
    booked = manager.post(f"/api/halls/{web.code}/door-visits", json=booking)
    assert booked.status_code == 200, booked.text
    day = f"/api/halls/{web.code}/door-visits?day=2025-03-13"
    (mine,) = web.login("zhang").get(day).json()
    (theirs,) = web.login("li").get(day).json()
    (managed,) = manager.get(day).json()
    assert mine["address"] == managed["address"] == "原州区南城路12号3单元"
    assert (theirs["address"], theirs["address_hidden"], theirs["phone"]) == ("", True, "138****1111")
    assert mine["phone"] == "13800001111"
