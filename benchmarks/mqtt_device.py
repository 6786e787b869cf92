"""A device speaking the MQTT contract from the benchmark (paho, via ``MqttLink``), and the broker floor.

- ``Device``: publishes requests on ``dev/{id}/req`` and matches the replies on ``dev/{id}/resp`` by id
  (the window agent of the call-to-display benchmark).
- ``broker_rtt``: a bare QoS 1 publish to a topic the same client subscribes to, until it comes back:
  the floor every MQTT figure stands on (``broker_rtt_p50_ms``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from benchmarks.bench_hall import HALL
from benchmarks.figures import ms
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received

REPLY_TIMEOUT_S = 10.0
RTT_WARMUP = 20


class Device:
    """A device speaking the contract over one MqttLink, matching replies to requests by id."""

    def __init__(self, port: int, device_id: str, hall: str = HALL) -> None:
        self.device_id = device_id
        self.req_topic = topics.dev_req(hall, device_id)
        self.link = MqttLink(device_id, BrokerAddress("127.0.0.1", port))
        self._waiting: dict[str, Callable[[bytes], None]] = {}
        self._lock = threading.Lock()
        self.link.subscribe(topics.dev_resp(hall, device_id), self._on_reply)
        self.link.start()
        if not self.link.wait_connected(10):
            raise RuntimeError(f"{device_id}: no broker")
        sync(self.link)

    def _on_reply(self, msg: Received) -> None:
        rid = json.loads(msg.payload)["id"]
        with self._lock:
            done = self._waiting.pop(rid, None)
        if done is not None:
            done(msg.payload)

    def send(self, op: str, args: dict[str, Any] | None, done: Callable[[bytes], None]) -> None:
        """Publish a request without waiting; ``done`` gets the reply's payload (paho's thread)."""
        rid = uuid.uuid4().hex
        with self._lock:
            self._waiting[rid] = done
        body = json.dumps({"id": rid, "op": op, "args": args or {}}).encode()
        self.link.publish(self.req_topic, body, qos=1)

    def request(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send and wait for the reply; raises if there is none in time or it is a refusal."""
        arrived = threading.Event()
        box: list[bytes] = []

        def done(payload: bytes) -> None:
            box.append(payload)
            arrived.set()

        self.send(op, args, done)
        if not arrived.wait(REPLY_TIMEOUT_S):
            raise TimeoutError(f"{op}: no reply")
        reply: dict[str, Any] = json.loads(box[0])
        if not reply["ok"]:
            raise RuntimeError(f"{op} refused: {reply['error']}")
        return reply

    def close(self) -> None:
        self.link.stop()


def sync(link: MqttLink) -> None:
    """Return once the broker has handled this link's earlier packets (its subscriptions)."""
    marker = f"hallq-bench/sync/{uuid.uuid4().hex}"
    echoed = threading.Event()
    undo = link.subscribe(marker, lambda _m: echoed.set())
    link.publish(marker, b"x", qos=1)
    if not echoed.wait(10):
        raise RuntimeError("broker did not echo")
    undo()


def broker_rtt(port: int, samples: int) -> float:
    """Median QoS 1 publish-to-own-subscription round trip, in ms."""
    link = MqttLink(f"bench-rtt-{uuid.uuid4().hex[:6]}", BrokerAddress("127.0.0.1", port))
    link.start()
    link.wait_connected(10)
    arrived = threading.Event()

    def on_echo(_msg: Received) -> None:
        arrived.set()

    topic = f"hallq-bench/rtt/{uuid.uuid4().hex}"
    link.subscribe(topic, on_echo)
    sync(link)
    taken = []
    try:
        for i in range(samples + RTT_WARMUP):
            arrived.clear()
            t0 = time.perf_counter()
            link.publish(topic, b"x", qos=1)
            if not arrived.wait(REPLY_TIMEOUT_S):
                raise TimeoutError("broker echo")
            if i >= RTT_WARMUP:
                taken.append(time.perf_counter() - t0)
    finally:
        link.stop()
    return ms(taken, 0.5)
