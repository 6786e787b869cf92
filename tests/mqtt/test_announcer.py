"""The announcer: calls at once, retained state coalesced and never moving backwards."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest

from harness.waiting import scaled
from queue_server.mqtt import MqttAnnouncer
from queue_server.protocol import topics
from queue_server.protocol.alerts import AlertInfo, AlertSeverity, AlertsState
from queue_server.protocol.client import MqttLink
from queue_server.protocol.messages import CallEvent, CallKind, HallState, WindowState, WindowStatus
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import WAIT, Probe


@pytest.fixture
def link(broker: MosquittoBroker) -> Iterator[MqttLink]:
    link = MqttLink(f"announcer-{time.monotonic_ns()}", broker.address)
    link.start()
    assert link.wait_connected(scaled(WAIT))
    yield link
    link.stop()


def state(seq: int, ts: float, notice: str = "") -> HallState:
    return HallState(seq=seq, open=True, extended=False, ts=ts, notice=notice)


def window(ts: float, status: WindowStatus) -> WindowState:
    return WindowState(window="5", name="5号窗口", status=status, ts=ts)


def flushed(link: MqttLink) -> None:
    """Return once the broker has handled everything ``link`` published so far.

    ``MqttLink.publish`` only queues the message for paho's network thread (the announcer must never
    block a service), so returning from the announcer says nothing about the broker. The broker
    handles one connection's packets in order: the PUBACK of a later message means the earlier ones
    are routed and, when retained, stored.
    """
    assert link.publish_and_wait(f"hallq-test/flush/{uuid.uuid4().hex}", b"x", timeout=scaled(WAIT)), (
        "no PUBACK"
    )


def drain(probe: Probe, topic: str, until: int) -> list[int]:
    seqs: list[int] = []
    while not seqs or seqs[-1] != until:
        seqs.append(json.loads(probe.next_on(topic).payload)["seq"])
    return seqs


def test_call_goes_out_once_not_retained(link: MqttLink, probe: Probe, hall_code: str) -> None:
    announcer = MqttAnnouncer(link)
    probe.listen(topics.calls(hall_code))
    call = CallEvent(
        seq=7, kind=CallKind.CALL, ticket="A012", window="5", window_name="5号窗口", say="请", ts=1.0
    )
    announcer.call_made(hall_code, call)
    msg = probe.next_on(topics.calls(hall_code))
    assert not msg.retain
    assert CallEvent.model_validate_json(msg.payload) == call
    announcer.close()


def test_hall_state_bursts_are_coalesced_and_never_go_back(
    link: MqttLink, probe: Probe, hall_code: str
) -> None:
    announcer = MqttAnnouncer(link, state_interval=1.0)
    probe.listen(topics.state(hall_code))
    for seq in range(1, 51):
        announcer.hall_changed(hall_code, state(seq, float(seq)))
    announcer.hall_changed(hall_code, state(20, 99.0))  # late, older: must never be published
    announcer.close()  # flushes what is still coalescing
    seqs = drain(probe, topics.state(hall_code), until=50)
    assert seqs == sorted(set(seqs))
    assert len(seqs) < 50


def test_older_state_after_newer_is_dropped(link: MqttLink, probe: Probe, hall_code: str) -> None:
    announcer = MqttAnnouncer(link, state_interval=0.0)
    probe.listen(topics.state(hall_code))
    announcer.hall_changed(hall_code, state(5, 10.0))
    assert json.loads(probe.next_on(topics.state(hall_code)).payload)["seq"] == 5
    announcer.hall_changed(hall_code, state(4, 11.0))  # an older call count: a stale snapshot
    announcer.hall_changed(hall_code, state(5, 9.0))  # same seq, older snapshot
    announcer.hall_changed(hall_code, state(5, 12.0, notice="新"))
    announcer.close()
    after = json.loads(probe.next_on(topics.state(hall_code)).payload)
    assert (after["seq"], after["notice"]) == (5, "新")
    sent = announcer.sent_state(hall_code)
    assert sent is not None
    assert sent.notice == "新"


def test_window_state_retained_and_monotonic(
    link: MqttLink, probe: Probe, hall_code: str, broker: MosquittoBroker
) -> None:
    announcer = MqttAnnouncer(link)
    announcer.window_changed(hall_code, window(2.0, WindowStatus.SERVING))
    announcer.window_changed(hall_code, window(1.0, WindowStatus.CALLING))  # older: dropped
    announcer.close()
    # Subscribing before the broker has the message would get it live, not retained (retain=0).
    flushed(link)
    probe.listen(topics.window_state(hall_code, "5"))
    msg = probe.next_on(topics.window_state(hall_code, "5"))
    assert msg.retain
    assert json.loads(msg.payload)["status"] == "serving"


def test_republish_sends_the_newest_known(link: MqttLink, probe: Probe, hall_code: str) -> None:
    announcer = MqttAnnouncer(link, state_interval=0.0)
    announcer.window_changed(hall_code, window(5.0, WindowStatus.SERVING))
    announcer.hall_changed(hall_code, state(3, 5.0))
    probe.listen(topics.state(hall_code))
    assert json.loads(probe.next_on(topics.state(hall_code)).payload)["seq"] == 3
    probe.listen(topics.all_window_states(hall_code))
    # The database read raced with a newer change: the newer one already sent is repeated instead.
    announcer.republish(hall_code, state(2, 4.0), [window(4.0, WindowStatus.IDLE)])
    assert json.loads(probe.next_on(topics.window_state(hall_code, "5")).payload)["status"] == "serving"
    assert json.loads(probe.next_on(topics.state(hall_code)).payload)["seq"] == 3
    # Nothing readable: repeat the last ones sent.
    announcer.republish(hall_code, None, [])
    assert json.loads(probe.next_on(topics.state(hall_code)).payload)["seq"] == 3
    announcer.close()


def alerts_state(ts: float, *keys: str) -> AlertsState:
    alerts = [
        AlertInfo(
            id=i,
            kind="wait_over_target",
            key=key,
            severity=AlertSeverity.WARNING,
            title="等候超时",
            detail="…",
            raised_at=ts,
        )
        for i, key in enumerate(keys, 1)
    ]
    return AlertsState(alerts=alerts, ts=ts)


def test_open_alerts_retained_never_older_and_republished(
    link: MqttLink, probe: Probe, hall_code: str, broker: MosquittoBroker
) -> None:
    announcer = MqttAnnouncer(link)
    topic = topics.alerts(hall_code)
    announcer.alerts_changed(hall_code, alerts_state(2.0, "wait_over_target:A"))
    announcer.alerts_changed(hall_code, alerts_state(1.0))  # older: dropped
    flushed(link)
    probe.listen(topic)
    msg = probe.next_on(topic)
    assert msg.retain
    assert [a["key"] for a in json.loads(msg.payload)["alerts"]] == ["wait_over_target:A"]
    # After a reconnect (a broker that lost its retained messages): the last ones sent again.
    announcer.republish(hall_code, None, [])
    assert json.loads(probe.next_on(topic).payload)["ts"] == 2.0
    announcer.close()
