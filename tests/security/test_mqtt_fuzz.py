"""Malformed MQTT traffic against a real server (services on SQLite, the MQTT door ``hallq server``
opens) through a real Mosquitto: no crash, a ``bad_request`` reply for every request whose id can be
read, nothing else answered, and not one row of the database changed.

Hypothesis makes batches of (topic, payload): requests, events and statuses of random devices,
including topics that match the server's subscriptions but break the contract (empty, upper-case or
non-ASCII ids, deeper levels), and payloads that are not JSON, not objects, nested deeply, oversized,
invalid UTF-8 or request-shaped with wrong fields. A payload that happens to be valid is left out (it
would rightly change the hall). After each batch one valid read-only request per device is the marker:
every reply that arrives before it is the server's answer to the batch, in order (a device's messages
are handled in order), so a missing or extra reply is seen without waiting for an absence.

The CI run sends about a thousand messages; ``-m slow`` sends more than 10,000.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import Engine, MetaData, select, text

from harness.factories import HallFixture, build_hall
from harness.waiting import scaled
from queue_server.mqtt.dispatch import ID_SCAN_LIMIT, ParsedRequest, read_request
from queue_server.mqtt.door import MqttDoor, open_door
from queue_server.protocol import topics
from queue_server.protocol.client import Received
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES, ProtocolError, decode, request_id_of
from queue_server.protocol.messages import DeviceStatus, Op, RatingEvent, Response
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Probe

QUICK_BATCHES, SLOW_BATCHES = 40, 500
BATCH = 25, 50  # messages per batch, fewest and most
SLOW_MESSAGES = 10_000
WAIT = 10.0


@dataclass
class Fuzzed:
    hall: HallFixture
    door: MqttDoor
    probe: Probe
    sent: int = 0
    replies: dict[str, queue.Queue[Response]] = field(default_factory=lambda: defaultdict(queue.Queue))


@pytest.fixture
def fuzzed(broker: MosquittoBroker, tmp_path: Path, hall_code: str) -> Iterator[Fuzzed]:
    hall = build_hall(f"sqlite:///{tmp_path / 'hallq.db'}", code=hall_code, migrate=True)
    door = open_door(broker.address, hall.services, [hall_code], instance=f"fuzz-{hall_code}")
    probe = Probe(broker.address)
    fuzzed = Fuzzed(hall, door, probe)

    def on_reply(msg: Received) -> None:
        fuzzed.replies[msg.topic.split("/")[4]].put(decode(Response, msg.payload))

    probe.link.subscribe(f"hallq/v1/{hall_code}/dev/+/resp", on_reply)
    # The door's own start-up writes (the first device configs are recorded as events) are done once
    # every device's retained config has been published: only then is "before" the hall at rest.
    configs: queue.Queue[str] = queue.Queue()
    probe.link.subscribe(f"hallq/v1/{hall_code}/dev/+/config", lambda m: configs.put(m.topic))
    with hall.engine.connect() as conn:
        devices = conn.execute(text("SELECT device_id FROM device")).scalars().all()
    published = {configs.get(timeout=scaled(WAIT)) for _ in devices}
    assert published == {topics.dev_config(hall_code, d) for d in devices}
    probe.sync()
    yield fuzzed
    probe.close()
    door.stop()
    hall.close()


# --- what is sent ----------------------------------------------------------------------------------

GOOD_ID = st.from_regex(r"\A[a-z0-9][a-z0-9-]{0,20}\Z")
# Topic levels that break the contract but are still valid MQTT (Mosquitto disconnects a client that
# publishes a topic with NUL, control characters or non-characters in it: the server never sees those).
TOPIC_TEXT = st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="/+#")
BAD_ID = st.one_of(
    st.just(""),
    st.text(TOPIC_TEXT, min_size=1, max_size=12),
    st.from_regex(r"\A[A-Z][A-Za-z0-9_.]{0,10}\Z"),
    st.just("x" * 41),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
OPS = st.sampled_from([op.value for op in Op]) | st.text(max_size=20)
REQUEST_ID = st.text(max_size=40) | st.integers() | st.none() | st.just("i" * 200)


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


PAYLOADS = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    JSON.map(_json),
    st.fixed_dictionaries({"id": REQUEST_ID, "op": OPS}, optional={"args": JSON, "ts": JSON}).map(_json),
    st.fixed_dictionaries({"id": REQUEST_ID, "op": OPS, "args": JSON}).map(_json),
    st.fixed_dictionaries({"state": JSON, "boot": JSON}).map(_json),  # status-shaped
    st.fixed_dictionaries({"id": REQUEST_ID, "ticket_id": JSON, "score": JSON}).map(_json),  # rating-shaped
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),  # nested past the parser's depth
    st.integers(1, 3000).map(lambda n: b'{"id":"deep","op":"ticket.issue","args":' + b"[" * n),
    GOOD_ID.map(lambda i: b'{"id":"' + i.encode() + b'","pad":"' + b"a" * (MAX_PAYLOAD_BYTES + 1) + b'"}'),
    st.just(b'{"id":"\xff\xfe","op":"catalog.get","args":{}}'),
    st.just(b'{"id":"dup","id":"dup2","op":"ticket.issue"}'),
)


@st.composite
def topic_of(draw: st.DrawFn, hall: str) -> str:
    device = draw(GOOD_ID | BAD_ID)
    tail = draw(
        st.sampled_from(["req", "status", "evt/rating", "evt/printer", "req/more", "evt", "status/x"])
        | st.builds(lambda s: f"evt/{s}", BAD_ID)
    )
    return f"hallq/v1/{hall}/dev/{device}/{tail}"


def messages(hall: str) -> st.SearchStrategy[list[tuple[str, bytes]]]:
    return st.lists(st.tuples(topic_of(hall), PAYLOADS), min_size=BATCH[0], max_size=BATCH[1])


def malformed(hall: str, topic: str, payload: bytes) -> bool:
    """Whether the message is one a correct server must refuse: not a valid request, status or rating."""
    parts = topic.split("/")
    device, channel = parts[4], "/".join(parts[5:])
    try:
        topics.check_id(device)
    except ValueError:
        return True
    if channel == "req":
        return not isinstance(read_request(hall, device, payload), ParsedRequest)
    if channel == "status":
        return not _decodes(DeviceStatus, payload)
    if channel == "evt/rating":
        return not _decodes(RatingEvent, payload)
    return True


def _decodes(model: type[BaseModel], payload: bytes) -> bool:
    try:
        decode(model, payload)
    except (ProtocolError, RecursionError):
        return False
    return True


def expected_reply(topic: str, payload: bytes) -> str | None:
    """The id a bad_request reply must carry, or None when the message gets no reply."""
    parts = topic.split("/")
    try:
        topics.check_id(parts[4])
    except ValueError:
        return None
    if "/".join(parts[5:]) != "req" or len(payload) > ID_SCAN_LIMIT:
        return None
    return request_id_of(payload)


# --- the checks ------------------------------------------------------------------------------------


def database_digest(engine: Engine) -> dict[str, tuple[int, str]]:
    """Each table's row count and a hash of its rows."""
    metadata = MetaData()
    metadata.reflect(engine)
    digest = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            digest[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return digest


def send_batch(fuzzed: Fuzzed, batch: list[tuple[str, bytes]]) -> None:
    hall = fuzzed.hall.code
    expected: dict[str, list[str]] = defaultdict(list)
    for topic, payload in batch:
        if not malformed(hall, topic, payload):
            continue
        fuzzed.probe.link.publish(topic, payload, qos=1)
        fuzzed.sent += 1
        rid = expected_reply(topic, payload)
        if rid is not None:
            expected[topic.split("/")[4]].append(rid)
    devices = {t.split("/")[4] for t, _ in batch if t.split("/")[5:] == ["req"]}
    markers = {}
    for device in sorted(d for d in devices if _valid(d)):
        marker = f"marker-{uuid.uuid4().hex[:12]}"
        markers[device] = marker
        body = {"id": marker, "op": "catalog.get", "args": {}}
        fuzzed.probe.link.publish(topics.dev_req(hall, device), _json(body), qos=1)
    for device, marker in markers.items():
        heard: list[Response] = []
        while not heard or heard[-1].id != marker:
            heard.append(fuzzed.replies[device].get(timeout=scaled(WAIT)))
        assert heard[-1].ok, heard[-1]
        answers = heard[:-1]
        assert [r.id for r in answers] == expected[device], device
        assert all(not r.ok and r.error is not None and r.error.code == "bad_request" for r in answers)


def _valid(device: str) -> bool:
    try:
        topics.check_id(device)
    except ValueError:
        return False
    return True


def fuzz(fuzzed: Fuzzed, batches: int, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)  # the server warns about each bad message: only errors matter here
    before = database_digest(fuzzed.hall.engine)

    @settings(max_examples=batches, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(messages(fuzzed.hall.code))
    def run(batch: list[tuple[str, bytes]]) -> None:
        send_batch(fuzzed, batch)

    run()
    assert fuzzed.door.bridge.link.connected
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert database_digest(fuzzed.hall.engine) == before


def test_malformed_traffic_is_refused_without_a_trace(
    fuzzed: Fuzzed, caplog: pytest.LogCaptureFixture
) -> None:
    fuzz(fuzzed, QUICK_BATCHES, caplog)
    assert fuzzed.sent >= QUICK_BATCHES * BATCH[0] * 0.9  # few made-up messages are valid


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_ten_thousand_malformed_messages(fuzzed: Fuzzed, caplog: pytest.LogCaptureFixture) -> None:
    fuzz(fuzzed, SLOW_BATCHES, caplog)
    assert fuzzed.sent >= SLOW_MESSAGES
