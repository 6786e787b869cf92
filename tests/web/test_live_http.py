"""The live channel over real HTTP (uvicorn): a console's stream hears a call made elsewhere and
replays what it missed after a reconnect; a citizen's stream says "请到 1 号窗口办理" when called."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from queue_server.protocol.messages import RatingEvent
from queue_server.services.casework.models import CaseRequest
from tests.services.helpers import citizen_token
from tests.web.conftest import Web

WAIT = 5.0


@dataclass(frozen=True)
class Sse:
    event: str
    data: dict[str, object]
    id: str | None


@contextmanager
def stream(client: httpx.Client, url: str, last_event_id: str | None = None) -> Iterator[queue.Queue[Sse]]:
    """Read an event stream in a thread (its own connection, the client's cookies); the queue gets each
    event as it arrives. Leaving the block closes the connection, as a closed browser tab would."""
    events: queue.Queue[Sse] = queue.Queue()
    stop = threading.Event()
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    own = httpx.Client(base_url=client.base_url, cookies=client.cookies, timeout=WAIT * 4)

    def read() -> None:
        try:
            with own.stream("GET", url, headers=headers) as response:
                assert response.headers["content-type"].startswith("text/event-stream"), response.status_code
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if not line:
                        if "data" in fields:
                            data = json.loads(fields["data"])
                            events.put(Sse(fields.get("event", "message"), data, fields.get("id")))
                        fields = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
        except Exception:
            if not stop.is_set():
                raise

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    try:
        yield events
    finally:
        stop.set()
        own.close()
        # A blocked read notices the close with the next heartbeat; the thread ends by itself then.
        thread.join(0.2)


def next_event(events: queue.Queue[Sse], kind: str, **match: object) -> Sse:
    while True:
        event = events.get(timeout=WAIT)
        if event.event == kind and all(event.data.get(k) == v for k, v in match.items()):
            return event


def test_a_console_stream_hears_a_call_made_elsewhere_and_replays_after_reconnect(web: Web) -> None:
    zhang = web.login("zhang")
    zhang.post(f"/api/halls/{web.code}/windows/1/sign-in")
    zhang.post(f"/api/halls/{web.code}/windows/1/open")
    url = f"/api/halls/{web.code}/live"
    assert web.anonymous().get(url).status_code == 401
    web.dh.issue("A")
    with stream(zhang, url) as events:
        hello = next_event(events, "hello")
        assert hello.data["resync"] is True and hello.id is not None
        # The window agent (a device) calls: another door into the same services.
        web.dh.hall.services.call_next(
            web.code, "1", actor=web.dh.hall.staff("zhang"), request_id="agent-call"
        )
        call = next_event(events, "call", window="1")
        assert call.data["ticket"] == "A001" and call.data["kind"] == "call"
        window = next_event(events, "window", window="1")
        assert window.data["status"] == "calling" and window.data["ticket"] == "A001"
        next_event(events, "hall")
    assert call.id is not None
    # Reconnecting with the id of the call: what came after it is replayed, no resync needed.
    with stream(zhang, url, last_event_id=call.id) as events:
        hello = next_event(events, "hello")
        assert hello.data["resync"] is False
        replayed = next_event(events, "window", window="1")
        assert replayed.id == window.id


def test_a_citizen_stream_says_where_to_go_when_called(web: Web) -> None:
    ticket = web.dh.issue("A", matter="A01")
    zhang = web.dh.open("1", "zhang")
    citizen = web.anonymous()
    with stream(citizen, f"/api/citizen/{citizen_token(ticket)}/live") as events:
        first = next_event(events, "status")
        assert first.data["state"] == "waiting" and first.data["people_ahead"] == 0
        web.dh.call("1", "zhang")
        called = next_event(events, "status", state="called")
        assert called.data["message"] == "轮到您了！请到 1 号窗口办理" and called.data["window"] == "1"
        web.dh.hall.services.start(web.code, "1", actor=zhang, request_id="start-1")
        web.dh.finish("1", "zhang", CaseRequest(case_type="supplement", missing_materials=["A01-M1"]))
        done = next_event(events, "status", state="done")
        assert done.data["case_number"] and done.data["can_rate"] is True
        docs = done.data["documents"]
        assert isinstance(docs, list) and docs[0]["title"] == "一次性告知书"
        # The rating pad rates the visit: the page stops offering the form.
        web.dh.hall.services.record_rating(
            web.code, "1", RatingEvent(id="pad-1", score=5), device_id="agent-1"
        )
        web.dh.issue("A")  # any later change in the hall makes the page look again
        rated = next_event(events, "status", rating=5)
        assert rated.data["can_rate"] is False and rated.data["rating_label"] == "非常满意"


def test_an_unknown_ticket_has_no_stream(web: Web) -> None:
    assert web.anonymous().get("/api/citizen/no-such-ticket/live").status_code == 404
