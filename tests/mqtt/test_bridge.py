"""The bridge over a real Mosquitto, against the in-memory hall: every op, every error path."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from harness.waiting import eventually, scaled
from queue_server.errors import HallqError
from queue_server.mqtt.bridge import READ_INLINE_BYTES
from queue_server.protocol import topics
from queue_server.protocol.client import Received
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES, decode
from queue_server.protocol.messages import (
    CatalogResult,
    DeviceConfig,
    DeviceStatus,
    ErrorCode,
    ServerStatus,
    TicketIssueArgs,
)
from queue_server.services.ports import IssueDone
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Probe, Served, start_bridge
from tests.mqtt.fakes import CATALOG_ETAG, FakeHall
from tests.threads import parked_in

DeviceMaker = Callable[[str], Device]


def error_code(reply: dict[str, object]) -> object:
    assert reply["ok"] is False
    error = reply["error"]
    assert isinstance(error, dict)
    assert error["message"]  # a Chinese sentence a citizen can read
    return error["code"]


# --- happy paths -------------------------------------------------------------------------------


def test_catalog_get_and_not_modified(served: Served, devices: DeviceMaker) -> None:
    kiosk = devices("kiosk-1")
    full = kiosk.ask("catalog.get")
    assert full["ok"] is True
    assert [s["code"] for s in full["result"]["services"]] == ["A", "B"]
    again = kiosk.ask("catalog.get", {"etag": CATALOG_ETAG})
    assert again["result"]["not_modified"] is True


def test_ticket_issue_status_and_checkin(served: Served, devices: DeviceMaker, fake: FakeHall) -> None:
    kiosk = devices("kiosk-1")
    first = kiosk.ask("ticket.issue", {"service": "B"})
    assert first["ok"] is True
    assert first["result"]["number"] == "B001"
    second = kiosk.ask("ticket.issue", {"service": "B"})
    assert second["result"]["people_ahead"] == 1

    status = kiosk.ask("ticket.status", {"ticket_id": second["result"]["ticket_id"]})
    assert status["result"]["state"] == "waiting"
    assert status["result"]["position"] == 2

    checked_in = kiosk.ask("appointment.checkin", {"code": "YY0001"})
    assert checked_in["result"]["service"] == "A"
    assert len(fake.tickets) == 3


def test_window_ops_call_events_and_calls_since(
    served: Served, devices: DeviceMaker, probe: Probe, hall_code: str
) -> None:
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    probe.listen(topics.calls(hall_code))
    for _ in range(2):
        kiosk.ask("ticket.issue", {"service": "A"})

    called = agent.ask("window.next")
    assert called["ok"] is True
    assert called["result"]["call"]["ticket"] == "A001"
    event = json.loads(probe.next_on(topics.calls(hall_code)).payload)
    assert (event["seq"], event["kind"], event["ticket"], event["window"]) == (1, "call", "A001", "1")

    assert agent.ask("window.recall")["result"]["call"]["seq"] == 2
    assert json.loads(probe.next_on(topics.calls(hall_code)).payload)["kind"] == "recall"
    assert agent.ask("window.start")["result"]["window"]["status"] == "serving"
    finished = agent.ask("window.finish", {"outcome": "immediate"})
    assert finished["result"]["window"]["status"] == "idle"
    assert finished["result"]["ticket"]["state"] == "done"

    agent.ask("window.next")  # A002
    assert agent.ask("window.no_show")["result"]["ticket"]["state"] == "no_show"
    assert error_code(agent.ask("window.next")) == "queue_empty"

    paused = agent.ask("window.pause", {"reason": "午休"})
    assert paused["result"]["window"]["status"] == "paused"
    assert paused["result"]["window"]["pause_reason"] == "午休"
    assert agent.ask("window.resume")["result"]["window"]["status"] == "idle"

    replay = kiosk.ask("calls.since", {"seq": 1})
    assert [c["seq"] for c in replay["result"]["calls"]] == [2, 3]
    assert [c["kind"] for c in replay["result"]["calls"]] == ["recall", "call"]
    bounded = kiosk.ask("calls.since", {"seq": 0, "limit": 2})
    assert [c["seq"] for c in bounded["result"]["calls"]] == [1, 2]
    assert bounded["result"]["more"] is True


def test_retained_hall_and_window_state_follow_changes(
    served: Served, devices: DeviceMaker, broker: MosquittoBroker, hall_code: str
) -> None:
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    kiosk.ask("ticket.issue", {"service": "A"})
    agent.ask("window.next")
    served.announcer.close()  # flush the coalesced hall state

    def booted_screen_sees(topic: str, listen: str) -> dict[str, Any]:
        """What a screen that boots now paints from: the retained message alone."""
        screen = Probe(broker.address)
        try:
            screen.listen(listen)
            found: dict[str, Any] = json.loads(screen.next_on(topic).payload)
            return found
        finally:
            screen.close()

    # The last publish was handed to the client before close() returned, not yet acknowledged by the
    # broker: a screen booting at that instant may still get the state before it.
    eventually(
        lambda: booted_screen_sees(topics.state(hall_code), topics.state(hall_code))["seq"] == 1,
        what="the call's hall state retained",
    )
    state = booted_screen_sees(topics.state(hall_code), topics.state(hall_code))
    assert state["windows"]["1"] == {"status": "calling", "ticket": "A001", "staff": None}
    assert state["recent_calls"][0]["ticket"] == "A001"
    window_topic = topics.window_state(hall_code, "1")
    window = booted_screen_sees(window_topic, topics.all_window_states(hall_code))
    assert (window["status"], window["ticket"]) == ("calling", "A001")


# --- refusals and errors -------------------------------------------------------------------------


def test_service_errors_keep_their_code(served: Served, devices: DeviceMaker, fake: FakeHall) -> None:
    kiosk = devices("kiosk-1")
    assert error_code(kiosk.ask("ticket.issue", {"service": "Z"})) == "unknown_service"
    fake.open["A"] = False
    assert error_code(kiosk.ask("ticket.issue", {"service": "A"})) == "service_closed"
    assert error_code(kiosk.ask("ticket.status", {"ticket_id": "nope"})) == "not_found"
    assert error_code(kiosk.ask("appointment.checkin", {"code": "NOPE"})) == "not_found"
    agent = devices("agent-1")
    assert error_code(agent.ask("window.start")) == "invalid_state"
    assert fake.tickets == {}


def test_error_detail_is_passed_on(served: Served, devices: DeviceMaker, fake: FakeHall) -> None:
    # "request_id" would collide with Response.failure()'s own parameter if passed as **detail.
    fake.fail_next = HallqError("号源已满", code=ErrorCode.DAILY_CAP_REACHED, request_id="r", cap=200)
    reply = devices("kiosk-1").ask("ticket.issue", {"service": "A"})
    assert error_code(reply) == "daily_cap_reached"
    assert reply["error"]["message"] == "号源已满"
    assert reply["error"]["detail"] == {"request_id": "r", "cap": 200}


def test_refusal_whose_detail_does_not_serialise_keeps_its_code(
    served: Served, devices: DeviceMaker, fake: FakeHall
) -> None:
    fake.fail_next = HallqError(code=ErrorCode.TOO_EARLY, thing=object())
    reply = devices("kiosk-1").ask("appointment.checkin", {"code": "YY0001"})
    assert error_code(reply) == "too_early"
    assert reply["error"]["detail"] == {}


def test_unexpected_exception_is_internal_and_serving_goes_on(
    served: Served, devices: DeviceMaker, fake: FakeHall
) -> None:
    kiosk = devices("kiosk-1")
    fake.fail_next = ZeroDivisionError("boom")
    assert error_code(kiosk.ask("ticket.issue", {"service": "A"})) == "internal"
    assert kiosk.ask("ticket.issue", {"service": "A"})["ok"] is True


def test_window_op_from_unbound_device_is_not_authorized(
    served: Served, devices: DeviceMaker, fake: FakeHall
) -> None:
    kiosk = devices("kiosk-1")
    kiosk.ask("ticket.issue", {"service": "A"})
    for op in ("window.next", "window.recall", "window.start", "window.finish", "window.no_show"):
        assert error_code(kiosk.ask(op)) == "not_authorized"
    assert error_code(kiosk.ask("window.pause", {"reason": "x"})) == "not_authorized"
    assert fake.calls == []
    # The agent of window 2 cannot act for window 1's services either: it acts for its own window only.
    assert error_code(devices("agent-2").ask("window.next")) == "queue_empty"


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2, 3]", "JSON array"),
        (b'"a string"', "JSON string"),
        (json.dumps({"id": "r1", "op": "ticket.fly"}).encode(), "unknown op"),
        (json.dumps({"id": "r1", "op": "ticket.issue", "args": {}}).encode(), "neither service nor matter"),
        (json.dumps({"id": "r1", "op": "ticket.issue", "args": {"service": 7}}).encode(), "wrong type"),
        (json.dumps({"id": "r1", "op": "ticket.issue", "args": {"servce": "A"}}).encode(), "misspelt arg"),
        (json.dumps({"id": "r1", "op": "ticket.issue", "args": []}).encode(), "args not an object"),
        (json.dumps({"id": "r1", "op": 5, "args": {}}).encode(), "op not a string"),
        (json.dumps({"id": "r1", "op": "calls.since", "args": {"seq": -1}}).encode(), "out of range"),
        (json.dumps({"id": "r1", "op": "window.pause", "args": {}}).encode(), "missing reason"),
        (
            json.dumps(
                {"id": "r1", "op": "ticket.issue", "args": {"service": "A" * (MAX_PAYLOAD_BYTES + 1)}}
            ).encode(),
            "oversize",
        ),
    ],
)
def test_malformed_request_gets_bad_request_and_changes_nothing(
    served: Served, devices: DeviceMaker, fake: FakeHall, payload: bytes, why: str
) -> None:
    kiosk = devices("kiosk-1")
    kiosk.send(payload)
    if payload.startswith(b'{"id": "r1"'):
        reply = kiosk.reply()
        assert reply["id"] == "r1", why
        assert error_code(reply) == "bad_request", why
        assert reply["error"]["detail"]["reason"], why
    # Served in order per device: the next reply is this good request's, and nothing was issued before it.
    ok = kiosk.ask("ticket.issue", {"service": "A"})
    assert ok["result"]["number"] == "A001", why
    assert len(fake.tickets) == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"{not json",
        b"[]",
        json.dumps({"op": "ticket.issue", "args": {"service": "A"}}).encode(),
        json.dumps({"id": "", "op": "ticket.issue", "args": {"service": "A"}}).encode(),
        json.dumps({"id": 12, "op": "ticket.issue", "args": {"service": "A"}}).encode(),
        json.dumps({"id": "x" * 129, "op": "ticket.issue", "args": {"service": "A"}}).encode(),
        # json gives up on deep nesting with RecursionError, so not even the id can be read.
        b'{"id": "r1", "op": "ticket.issue", "args": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    ],
)
def test_request_without_usable_id_gets_no_reply_and_changes_nothing(
    served: Served, devices: DeviceMaker, fake: FakeHall, payload: bytes
) -> None:
    kiosk = devices("kiosk-1")
    kiosk.send(payload)
    rid = uuid.uuid4().hex
    kiosk.send({"id": rid, "op": "catalog.get"})
    assert kiosk.reply()["id"] == rid  # the first reply on the topic is the good request's
    assert fake.tickets == {}


def test_same_request_id_twice_one_ticket_same_reply(
    served: Served, devices: DeviceMaker, fake: FakeHall
) -> None:
    kiosk = devices("kiosk-1")
    first = kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-3-17")
    again = kiosk.ask("ticket.issue", {"service": "A"}, rid="kiosk-1-3-17")
    assert again == first
    assert len(fake.tickets) == 1


def test_one_device_is_served_in_order(served: Served, devices: DeviceMaker) -> None:
    kiosk = devices("kiosk-1")
    rids = [f"burst-{i}" for i in range(40)]
    for rid in rids:
        kiosk.send({"id": rid, "op": "ticket.issue", "args": {"service": "A"}})
    replies = [kiosk.reply() for _ in rids]
    assert [r["id"] for r in replies] == rids
    assert [r["result"]["number"] for r in replies] == [f"A{i:03d}" for i in range(1, 41)]


class SlowCatalog(FakeHall):
    """``catalog.get`` holds its worker until a ticket is asked for, or for half a second at most."""

    def __init__(self, hall: str) -> None:
        super().__init__(hall)
        self.catalog_started = threading.Event()
        self.ticket_asked = threading.Event()

    def catalog(self, hall: str, etag: str | None) -> CatalogResult:
        self.catalog_started.set()
        # Served in order, the ticket cannot be asked for before this returns: the wait runs out.
        self.ticket_asked.wait(0.5)
        return super().catalog(hall, etag)

    def issue_ticket_async(
        self, hall: str, args: TicketIssueArgs, done: IssueDone, *, request_id: str, device_id: str | None
    ) -> None:
        self.ticket_asked.set()
        super().issue_ticket_async(hall, args, done, request_id=request_id, device_id=device_id)


def test_a_ticket_waits_behind_a_slower_request_of_its_device(
    broker: MosquittoBroker, hall_code: str, devices: DeviceMaker
) -> None:
    # A ticket.issue is handed to the services on the network thread, but never ahead of what the
    # same device sent before it and a worker still has in hand.
    slow = SlowCatalog(hall_code)
    s = start_bridge(broker.address, slow, hall_code, attach=slow.announcers.append)
    try:
        kiosk = devices("kiosk-1")
        kiosk.send({"id": "catalog", "op": "catalog.get"})
        assert slow.catalog_started.wait(scaled(5))
        kiosk.send({"id": "ticket", "op": "ticket.issue", "args": {"service": "A"}})
        assert [kiosk.reply()["id"], kiosk.reply()["id"]] == ["catalog", "ticket"]
    finally:
        s.bridge.stop()


def test_a_ticket_request_too_big_to_read_on_the_network_thread_is_answered(
    served: Served, devices: DeviceMaker, fake: FakeHall
) -> None:
    kiosk = devices("kiosk-1")
    materials = [f"material-{i:03d}-" + "x" * 60 for i in range(100)]
    args = {"service": "A", "materials": materials}
    assert len(json.dumps({"id": "big", "op": "ticket.issue", "args": args})) > READ_INLINE_BYTES
    reply = kiosk.ask("ticket.issue", args, rid="big")
    assert reply["ok"] is True
    assert reply["result"]["number"] == "A001"
    assert len(fake.tickets) == 1


def test_request_from_invalid_device_id_is_dropped(
    served: Served, devices: DeviceMaker, probe: Probe, hall_code: str, fake: FakeHall
) -> None:
    # "+" matches any level; an id outside the contract's alphabet has no reply topic of ours.
    probe.publish(
        f"hallq/v1/{hall_code}/dev/Bad_Id/req", {"id": "r", "op": "ticket.issue", "args": {"service": "A"}}
    )
    assert devices("kiosk-1").ask("ticket.issue", {"service": "A"})["result"]["number"] == "A001"


# --- events and status ---------------------------------------------------------------------------


def test_rating_is_recorded_for_the_agents_window(
    served: Served, devices: DeviceMaker, fake: FakeHall, hall_code: str
) -> None:
    kiosk, agent = devices("kiosk-1"), devices("agent-1")
    kiosk.ask("ticket.issue", {"service": "A"})
    for op in ("window.next", "window.start", "window.finish"):
        agent.ask(op)
    rating_topic = topics.dev_evt(hall_code, "agent-1", "rating")
    agent.publish(rating_topic, {"id": "rt-1", "score": 5})
    agent.publish(rating_topic, b"{broken")  # logged, ignored
    agent.publish(rating_topic, {"id": "rt-2", "score": 9})  # out of range: ignored
    kiosk.publish(topics.dev_evt(hall_code, "kiosk-1", "rating"), {"id": "rt-3", "score": 1})  # no window
    agent.publish(topics.dev_evt(hall_code, "agent-1", "button"), {"id": "b-1"})  # logged only
    agent.ask("catalog.get")  # same device, in order: every event before it has been handled
    kiosk.ask("catalog.get")
    assert [(w, r.id, r.score) for w, _, r in fake.ratings] == [("1", "rt-1", 5)]


def test_stale_last_will_is_ignored(
    served: Served, probe: Probe, fake: FakeHall, hall_code: str, devices: DeviceMaker
) -> None:
    status = topics.dev_status(hall_code, "kiosk-9")
    online8 = {"state": "online", "boot": 8, "kind": "kiosk"}
    probe.publish(status, online8, retain=True)
    probe.publish(status, {"state": "offline", "boot": 7}, retain=True)  # the old session's Will, late
    probe.publish(status, {"state": "online", "boot": 6}, retain=True)  # older still
    probe.publish(status, b"not json", retain=True)
    probe.publish(status, {"state": "offline", "boot": 8}, retain=True)  # a real going-offline
    probe.publish(status, b"", retain=True)  # clear the retained status
    # A request of the same device is handled after every status before it (ordered per device).
    devices("kiosk-9").ask("catalog.get")
    seen = [(dev, decode(DeviceStatus, p).state, decode(DeviceStatus, p).boot) for dev, p in fake.statuses]
    assert seen == [("kiosk-9", "online", 8), ("kiosk-9", "offline", 8)]
    assert served.bridge.device_status(hall_code, "kiosk-9") == DeviceStatus(state="offline", boot=8)
    assert not served.bridge.device_online(hall_code, "kiosk-9")


def test_device_configs_are_retained_for_each_device(
    broker: MosquittoBroker, served: Served, probe: Probe, hall_code: str
) -> None:
    def configs_of(listener: Probe) -> dict[str, Received]:
        for device in ("agent-1", "agent-2", "kiosk-1"):
            listener.listen(topics.dev_config(hall_code, device))
        got: dict[str, Received] = {}
        while len(got) < 3:
            msg = listener.next()
            got[msg.topic.split("/")[4]] = msg
        return got

    # The bridge publishes them just after it is ready: the first listener may see them go by live.
    configs_of(probe)
    # Once they went by, a device subscribing now (a device booting) gets each from the broker.
    late = Probe(broker.address)
    try:
        received = configs_of(late)
    finally:
        late.close()
    assert all(msg.retain for msg in received.values())
    configs = {device: decode(DeviceConfig, msg.payload) for device, msg in received.items()}
    assert configs["agent-1"].window == "1"
    assert configs["agent-2"].window == "2"
    assert configs["kiosk-1"].services == ["A", "B"]


def test_server_birth_and_clean_offline(broker: MosquittoBroker, hall_code: str, probe: Probe) -> None:
    fake = FakeHall(hall_code)
    s = start_bridge(broker.address, fake, hall_code, attach=fake.announcers.append)
    topic = topics.server_status(s.instance)
    probe.listen(topic)
    birth = decode(ServerStatus, probe.next_on(topic).payload)
    assert (birth.state, birth.instance) == ("online", s.instance)
    s.bridge.stop()
    gone = decode(ServerStatus, probe.next_on(topic).payload)
    assert (gone.state, gone.boot) == ("offline", birth.boot)
    probe.publish(topic, b"", retain=True)


def test_two_instances_share_the_requests(
    broker: MosquittoBroker, hall_code: str, devices: DeviceMaker
) -> None:
    fake = FakeHall(hall_code)
    a = start_bridge(broker.address, fake, hall_code, shared=True, attach=fake.announcers.append)
    b = start_bridge(broker.address, fake, hall_code, shared=True, attach=fake.announcers.append)
    try:
        kiosks = [devices(f"kiosk-{i}") for i in range(4)]
        for k in kiosks:
            for i in range(10):
                k.send({"id": f"{k.device_id}-{i}", "op": "ticket.issue", "args": {"service": "A"}})
        replies = [k.reply() for k in kiosks for _ in range(10)]
        # Exactly one reply per request: a second would show up instead of the next id.
        assert sorted(r["id"] for r in replies) == sorted(
            f"{k.device_id}-{i}" for k in kiosks for i in range(10)
        )
        assert len(fake.tickets) == 40
        assert len({r["result"]["number"] for r in replies}) == 40
    finally:
        a.bridge.stop()
        b.bridge.stop()


class SlowCommits(FakeHall):
    """Issues tickets as the real services do for the bridge: later, from another thread."""

    def __init__(self, hall: str) -> None:
        super().__init__(hall)
        self.pending: list[Callable[[], None]] = []
        self.taken = threading.Event()

    def issue_ticket_async(
        self, hall: str, args: TicketIssueArgs, done: IssueDone, *, request_id: str, device_id: str | None
    ) -> None:
        def commit() -> None:
            ticket = self.issue_ticket(hall, args, request_id=request_id, device_id=device_id)
            done(ticket, None)

        self.pending.append(commit)
        self.taken.set()


def test_stop_waits_for_the_answers_of_tickets_still_being_committed(
    broker: MosquittoBroker, hall_code: str, devices: DeviceMaker
) -> None:
    slow = SlowCommits(hall_code)
    s = start_bridge(broker.address, slow, hall_code, attach=slow.announcers.append)
    kiosk = devices("kiosk-1")
    kiosk.send({"id": "r-1", "op": "ticket.issue", "args": {"service": "A"}})
    assert slow.taken.wait(scaled(5))  # the worker has handed it on and is free
    stopper = threading.Thread(target=s.bridge.stop)
    stopper.start()
    eventually(
        lambda: parked_in(stopper, "MqttBridge.stop") or not stopper.is_alive(),
        what="stop() waiting for the answer owed",
    )
    assert stopper.is_alive(), "stop() returned with a ticket still being committed"
    writer = threading.Thread(target=slow.pending[0])  # the services' writer thread commits it
    writer.start()
    reply = kiosk.reply()
    assert (reply["id"], reply["ok"], reply["result"]["number"]) == ("r-1", True, "A001")
    stopper.join(scaled(10))
    writer.join(scaled(10))
    assert not stopper.is_alive()
