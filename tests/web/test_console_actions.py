"""The console's own actions (``…/windows/{w}/console/<action>``): each answers with the window's
picture read after it committed, and that picture's ``version`` grows with every change, so the page
can tell an older picture (a refresh that left before the action) from a newer one."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx

from tests.web.conftest import Web


class Console:
    """zhang at window 1, acting as the page does (an Idempotency-Key with each action)."""

    def __init__(self, web: Web) -> None:
        self.client = web.login("zhang")
        self.base = f"/api/halls/{web.code}/windows/1"
        self.versions: list[int] = []
        self._keys = 0

    def act(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        self._keys += 1
        response = self.client.post(
            f"{self.base}/console/{path}", json=body, headers={"Idempotency-Key": f"console-{self._keys}"}
        )
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()
        self.versions.append(reply["view"]["version"])
        return reply

    def view(self) -> dict[str, Any]:
        response = self.client.get(self.base + "/console")
        assert response.status_code == 200, response.text
        view: dict[str, Any] = response.json()
        return view


def _status(reply: dict[str, Any]) -> str:
    status: str = reply["view"]["window"]["status"]
    return status


def test_every_action_answers_with_the_picture_after_it_and_a_greater_version(web: Web) -> None:
    first = web.dh.issue("A", priority="disabled")  # a declared priority the window confirms
    second = web.dh.issue("A")
    me = Console(web)
    assert me.client.post(me.base + "/sign-in").status_code == 200
    before = me.view()
    assert before["window"]["status"] == "closed"
    assert me.view()["version"] == before["version"]  # nothing changed: the same version

    opened = me.act("open")
    assert _status(opened) == "idle" and opened["op"]["window"]["status"] == "idle"
    assert [t["number"] for t in opened["view"]["next_tickets"]] == [first.number, second.number]
    called = me.act("next")
    assert _status(called) == "calling" and called["op"]["call"]["ticket"] == first.number
    assert called["view"]["current"]["number"] == first.number
    assert _status(me.act("recall")) == "calling"
    served = me.act("start")
    assert _status(served) == "serving" and served["view"]["current"]["priority"]["needs_confirmation"]
    confirmed = me.act("priority", {"confirmed": True})
    assert confirmed["view"]["current"]["priority"]["confirmed"] is True
    held = me.act(f"tickets/{first.ticket_id}/hold")
    assert held["ticket"]["state"] == "held" and _status(held) == "idle"
    assert [t["number"] for t in held["view"]["held"]] == [first.number]
    back = me.act(f"tickets/{first.ticket_id}/resume")
    assert back["view"]["held"] == [] and back["ticket"]["state"] == "waiting"
    again = me.act("call-number", {"number": second.number, "reason": "预约群众"})
    assert again["view"]["current"]["number"] == second.number
    assert _status(me.act("no-show")) in {"idle", "calling"}
    paused = me.act("pause", {"reason": "系统故障"})
    assert _status(paused) == "paused" and paused["view"]["window"]["pause_reason"] == "系统故障"
    assert _status(me.act("resume")) == "idle"
    me.act("next")
    me.act("start")
    finished = me.act("finish-case", {"case_type": "immediate"})
    assert _status(finished) == "idle" and finished["finished"]["case"]["case_type_label"] == "即办件"
    assert finished["view"]["recent_cases"][0]["case_number"] == finished["finished"]["case"]["case_number"]
    closed = me.act("close")
    assert _status(closed) == "closed"

    # Each action appended events: each picture after one has a greater version than the last.
    assert before["version"] < me.versions[0]
    assert all(a < b for a, b in pairwise(me.versions)), me.versions
    # A later read is never older than an action's answer.
    assert me.view()["version"] >= me.versions[-1]


def test_a_picture_read_before_an_action_has_a_smaller_version_than_its_answer(web: Web) -> None:
    me = Console(web)
    me.client.post(me.base + "/sign-in")
    me.act("open")
    web.dh.issue("A")
    stale = me.view()  # what a refresh on its way during the call would carry
    called = me.act("next")
    assert (stale["window"]["status"], _status(called)) == ("idle", "calling")
    assert stale["version"] < called["view"]["version"]
    # Another window's change (a ticket taken at the kiosk) is a change of this picture too.
    web.dh.issue("A")
    assert me.view()["version"] > called["view"]["version"]


def test_refused_actions_are_problems_and_change_nothing(web: Web) -> None:
    me = Console(web)
    me.client.post(me.base + "/sign-in")
    me.act("open")
    before = me.view()
    refused = me.client.post(me.base + "/console/start")  # idle: nobody to start serving
    assert refused.status_code == 409 and "detail" in refused.json()
    assert me.client.post(me.base + "/console/dance").status_code == 422
    assert me.client.post(me.base + "/console/pause", json={"reason": ""}).status_code == 422
    assert me.view()["version"] == before["version"]
    # Only the person at the window (or a supervisor) acts there.
    other = web.login("li").post(me.base + "/console/next")
    assert other.status_code == 403


def test_the_console_routes_are_in_the_openapi_document(web: Web) -> None:
    paths = httpx.get(web.server.url + "/openapi.json").json()["paths"]
    prefix = "/api/halls/{hall}/windows/{window}/console"
    for path in ("/{action}", "/pause", "/priority", "/call-number", "/transfer-to", "/finish-case"):
        assert prefix + path in paths, path
    assert prefix + "/tickets/{ticket_id}/hold" in paths


def test_transfer_answers_with_the_picture_after_it(web: Web) -> None:
    ticket = web.dh.issue("A")
    me = Console(web)
    me.client.post(me.base + "/sign-in")
    me.act("open")
    assert me.act("next")["view"]["current"]["number"] == ticket.number
    moved = me.act("transfer-to", {"to_service": "C"})
    assert _status(moved) == "idle" and moved["view"]["current"] is None
    assert moved["op"]["ticket"]["number"] == ticket.number
    assert me.versions[0] < me.versions[1] < me.versions[2]
