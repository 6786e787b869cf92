"""The contract's ids against the real services (SQLite) and bridge on Mosquitto.

Every topic of the hall carries the ticket's public id; the citizen token appears only in the
issuing kiosk's own reply. Ratings are a request (``rating.submit``) answered once per request id;
a request id is its device's own, and the same id with other arguments is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from harness.factories import HallFixture, build_hall
from harness.waiting import eventually
from queue_server.protocol import topics
from queue_server.protocol.client import Received
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Probe, Served, start_bridge


@pytest.fixture
def hall(shared_sqlite_url: str, hall_code: str) -> Iterator[HallFixture]:
    fixture = build_hall(shared_sqlite_url, code=hall_code, migrate=False)  # agent-1 bound to window 1
    fixture.open_window("1", "zhang")
    yield fixture
    fixture.close()


@pytest.fixture
def served(broker: MosquittoBroker, hall: HallFixture) -> Iterator[Served]:
    s = start_bridge(broker.address, hall.services, hall.code, attach=hall.services.add_announcer)
    yield s
    s.bridge.stop()


@pytest.fixture
def kiosk(broker: MosquittoBroker, hall: HallFixture, served: Served) -> Iterator[Device]:
    d = Device(broker.address, hall.code, "kiosk-1")
    yield d
    d.close()


@pytest.fixture
def agent(broker: MosquittoBroker, hall: HallFixture, served: Served) -> Iterator[Device]:
    d = Device(broker.address, hall.code, "agent-1")
    yield d
    d.close()


def _ratings(hall: HallFixture) -> int:
    with Session(hall.engine) as session:
        stmt = select(func.count()).select_from(t.Rating).where(t.Rating.hall_id == hall.hall_id)
        return int(session.exec(stmt).one())


def test_only_the_issuing_kiosk_sees_the_citizen_token(
    broker: MosquittoBroker, hall: HallFixture, kiosk: Device, agent: Device, probe: Probe
) -> None:
    probe.listen(f"hallq/v1/{hall.code}/#")
    issued = kiosk.ask("ticket.issue", {"service": "A"})["result"]
    token = issued["citizen_url"].rsplit("/t/", 1)[1]
    public_id = issued["ticket_id"]
    assert token != public_id and len(token) >= 20
    called = agent.ask("window.next")
    assert called["ok"] and called["result"]["call"]["ticket_id"] == public_id
    # What every device and screen reads: the call, the retained window and hall states.
    seen: list[Received] = []
    window_topic = topics.window_state(hall.code, "1")

    def arrived() -> dict[str, Any] | None:
        while not probe.inbox.empty():
            seen.append(probe.inbox.get_nowait())
        states = [json.loads(m.payload) for m in seen if m.topic == window_topic]
        calls = [json.loads(m.payload) for m in seen if m.topic == topics.calls(hall.code)]
        current = [s for s in states if s.get("ticket_id") == public_id]
        return current[-1] if current and [c["ticket_id"] for c in calls] == [public_id] else None

    state = eventually(arrived, what="the call and the window's state")
    assert state is not None
    assert state["staff"] == "张*" and state["staff_id"] != "zhang" and state["staff_id"].isdigit()
    probe.sync()
    arrived()
    kiosk_reply = topics.dev_resp(hall.code, "kiosk-1")
    assert {topics.state(hall.code), kiosk_reply} <= {m.topic for m in seen}
    for msg in seen:
        if msg.topic != kiosk_reply:
            assert token.encode() not in msg.payload, msg.topic
            assert b'"zhang"' not in msg.payload, msg.topic
    # ticket.status takes the public id; the token names no ticket.
    assert kiosk.ask("ticket.status", {"ticket_id": public_id})["result"]["state"] == "called"
    assert kiosk.ask("ticket.status", {"ticket_id": token})["error"]["code"] == "not_found"


def test_a_rating_request_is_answered_once_per_id(hall: HallFixture, kiosk: Device, agent: Device) -> None:
    visit = kiosk.ask("ticket.issue", {"service": "A"})["result"]
    for op in ("window.next", "window.start", "window.finish"):
        assert agent.ask(op)["ok"], op
    token = visit["citizen_url"].rsplit("/t/", 1)[1]
    assert agent.ask("rating.submit", {"score": 1, "visit": token})["error"]["code"] == "not_found"
    rating = {"score": 2, "visit": visit["ticket_id"]}
    first = agent.ask("rating.submit", rating, rid="agent-1-3-17")
    assert first["ok"] is True
    # The reply was lost and the agent resends: the same answer, still one rating.
    assert agent.ask("rating.submit", rating, rid="agent-1-3-17") == first
    assert _ratings(hall) == 1
    # The same id with another score is not the same request; a new id is a second rating of the visit.
    other = agent.ask("rating.submit", {**rating, "score": 5}, rid="agent-1-3-17")
    assert other["error"]["code"] == "conflict"
    assert agent.ask("rating.submit", {**rating, "score": 5})["error"]["code"] == "conflict"
    # A device bound to no window rates nothing.
    assert kiosk.ask("rating.submit", rating)["error"]["code"] == "not_authorized"
    assert _ratings(hall) == 1


def test_a_request_id_is_its_devices_own(hall: HallFixture, kiosk: Device, agent: Device) -> None:
    first = kiosk.ask("ticket.issue", {"service": "A"}, rid="shared-1")["result"]
    assert kiosk.ask("ticket.issue", {"service": "A"}, rid="shared-1")["result"] == first
    assert kiosk.ask("ticket.issue", {"service": "C"}, rid="shared-1")["error"]["code"] == "conflict"
    # The agent's request of the same id is its own: not the kiosk's reply, not refused for its op.
    called = agent.ask("window.next", rid="shared-1")
    assert called["ok"] is True and called["result"]["call"]["ticket_id"] == first["ticket_id"]
