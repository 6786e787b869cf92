"""The console acts through the routes every caller uses, with ``?view=console``: each action answers
with the window's picture read after it committed, and that picture's ``version`` grows with every
change, so the page can tell an older picture (a refresh that left before the action) from a newer one.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import httpx

from tests.web.conftest import Web


class Console:
    """zhang at window 1, acting as the page does (``?view=console``, an Idempotency-Key with each
    action). ``act`` posts to an action at the window; ``act_on`` to any path under the hall."""

    def __init__(self, web: Web) -> None:
        self.client = web.login("zhang")
        self.hall = f"/api/halls/{web.code}"
        self.base = f"{self.hall}/windows/1"
        self.versions: list[int] = []
        self._keys = 0

    def act(self, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.act_on(f"windows/1/{action}", body)

    def act_on(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        self._keys += 1
        response = self.client.post(
            f"{self.hall}/{path}",
            params={"view": "console"},
            json=body,
            headers={"Idempotency-Key": f"console-{self._keys}"},
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
    held = me.act_on(f"tickets/{first.ticket_id}/hold")
    assert held["ticket"]["state"] == "held" and _status(held) == "idle"
    assert [t["number"] for t in held["view"]["held"]] == [first.number]
    back = me.act_on(f"tickets/{first.ticket_id}/resume")
    assert back["view"]["held"] == [] and back["ticket"]["state"] == "waiting"
    again = me.act("call", {"number": second.number, "reason": "预约群众"})
    assert again["view"]["current"]["number"] == second.number
    assert _status(me.act("no-show")) in {"idle", "calling"}
    paused = me.act("pause", {"reason": "系统故障"})
    assert _status(paused) == "paused" and paused["view"]["window"]["pause_reason"] == "系统故障"
    assert _status(me.act("resume")) == "idle"
    me.act("next")
    me.act("start")
    finished = me.act("finish", {"case_type": "immediate"})
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
    console = {"view": "console"}
    refused = me.client.post(me.base + "/start", params=console)  # idle: nobody to start serving
    assert refused.status_code == 409 and "detail" in refused.json()
    assert me.client.post(me.base + "/next", params={"view": "dance"}).status_code == 422
    assert me.client.post(me.base + "/pause", params=console, json={"reason": ""}).status_code == 422
    assert me.view()["version"] == before["version"]
    # Only the person at the window (or a supervisor) acts there.
    other = web.login("li").post(me.base + "/next", params=console)
    assert other.status_code == 403


def test_the_console_view_is_an_option_of_the_action_routes_in_the_openapi_document(web: Web) -> None:
    doc = httpx.get(web.server.url + "/openapi.json").json()
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    window = "/api/halls/{hall}/windows/{window}"
    actions = ("open", "close", "next", "call", "recall", "start", "finish", "no-show", "pause", "resume")
    routes = [f"{window}/{action}" for action in (*actions, "transfer", "priority")]
    routes += [f"/api/halls/{{hall}}/tickets/{{ticket_id}}/{action}" for action in ("hold", "resume")]
    for path in routes:
        params = {p["name"]: p for p in paths[path]["post"]["parameters"]}
        assert params["view"]["in"] == "query", path
        assert params["Idempotency-Key"]["in"] == "header", path
        ref = paths[path]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        reply = schemas[ref.removeprefix("#/components/schemas/")]
        assert {"$ref": "#/components/schemas/ConsoleReply"} in reply["anyOf"], path


def test_transfer_answers_with_the_picture_after_it(web: Web) -> None:
    ticket = web.dh.issue("A")
    me = Console(web)
    me.client.post(me.base + "/sign-in")
    me.act("open")
    assert me.act("next")["view"]["current"]["number"] == ticket.number
    moved = me.act("transfer", {"to_service": "C"})
    assert _status(moved) == "idle" and moved["view"]["current"] is None
    assert moved["op"]["ticket"]["number"] == ticket.number
    assert me.versions[0] < me.versions[1] < me.versions[2]


def test_a_ticket_action_asking_for_the_console_needs_a_window_and_is_refused_first(web: Web) -> None:
    ticket = web.dh.issue("A")
    manager = web.login("manager")  # a supervisor, signed in at no window
    hold = f"/api/halls/{web.code}/tickets/{ticket.ticket_id}/hold"
    refused = manager.post(hold, params={"view": "console"})
    assert refused.status_code == 409 and refused.json()["code"] == "invalid_state"
    status = f"/api/halls/{web.code}/tickets/{ticket.ticket_id}"
    assert manager.get(status).json()["state"] == "waiting"  # nothing was done
    held = manager.post(hold)  # the plain route answers with the ticket
    assert held.status_code == 200 and held.json()["state"] == "held"
    resumed = manager.post(f"{status}/resume")
    assert resumed.status_code == 200 and resumed.json()["state"] == "waiting"
