from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_server.protocol import topics
from queue_server.protocol.topics import (
    Channel,
    DeviceTopic,
    HallChannel,
    HallTopic,
    ServerTopic,
    TopicError,
    WindowTopic,
    parse_topic,
)

ids = st.from_regex(topics.ID_PATTERN, fullmatch=True)
windows = st.from_regex(topics.WINDOW_PATTERN, fullmatch=True)
events = st.from_regex(topics.EVENT_PATTERN, fullmatch=True)


def test_builders_spell_the_contract() -> None:
    assert topics.dev_status("gy", "kiosk-1") == "hallq/v1/gy/dev/kiosk-1/status"
    assert topics.dev_req("gy", "kiosk-1") == "hallq/v1/gy/dev/kiosk-1/req"
    assert topics.dev_resp("gy", "kiosk-1") == "hallq/v1/gy/dev/kiosk-1/resp"
    assert topics.dev_config("gy", "kiosk-1") == "hallq/v1/gy/dev/kiosk-1/config"
    assert topics.dev_evt("gy", "agent-5", "rating") == "hallq/v1/gy/dev/agent-5/evt/rating"
    assert topics.calls("gy") == "hallq/v1/gy/calls"
    assert topics.state("gy") == "hallq/v1/gy/state"
    assert topics.alerts("gy") == "hallq/v1/gy/alerts"
    assert topics.window_state("gy", "5") == "hallq/v1/gy/window/5/state"
    assert topics.server_status("s1") == "hallq/v1/server/s1/status"
    assert (
        topics.shared("hallq-server", topics.all_requests("gy"))
        == "$share/hallq-server/hallq/v1/gy/dev/+/req"
    )


@given(hall=ids, device=ids, channel=st.sampled_from([c for c in Channel if c is not Channel.EVT]))
def test_device_topic_round_trip(hall: str, device: str, channel: Channel) -> None:
    t = DeviceTopic(hall, device, channel)
    assert parse_topic(str(t)) == t


@given(hall=ids, device=ids, event=events)
def test_event_topic_round_trip(hall: str, device: str, event: str) -> None:
    t = DeviceTopic(hall, device, Channel.EVT, event)
    assert parse_topic(str(t)) == t


@given(hall=ids, window=windows, instance=ids, ch=st.sampled_from(list(HallChannel)))
def test_hall_window_server_round_trip(hall: str, window: str, instance: str, ch: HallChannel) -> None:
    for t in (HallTopic(hall, ch), WindowTopic(hall, window), ServerTopic(instance)):
        assert parse_topic(str(t)) == t


@pytest.mark.parametrize(
    "bad",
    [
        "hallq/v2/gy/calls",
        "hallq/v1/GY/calls",
        "hallq/v1/gy/dev/k1/evt",
        "hallq/v1/gy/dev/k1/status/extra",
        "hallq/v1/gy/dev/-k1/req",
        "hallq/v1/gy/window/5",
        "hallq/v1/gy/dev/k1/evt/Rating",
        "other/topic",
        "",
    ],
)
def test_parse_rejects_what_is_not_the_contract(bad: str) -> None:
    with pytest.raises(TopicError):
        parse_topic(bad)


def test_builders_refuse_bad_ids() -> None:
    with pytest.raises(TopicError):
        topics.dev_req("gy", "Kiosk 1")
    with pytest.raises(TopicError):
        topics.calls("x" * 41)
    with pytest.raises(TopicError):
        DeviceTopic("gy", "k1", Channel.REQ, "rating")
