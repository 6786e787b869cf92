"""Call-to-display latency: from the window agent publishing ``window.next`` to the ``calls`` message
arriving at a subscribed hall display client (``call_to_display_p50_ms`` / ``_p99_ms``).

Between calls the agent sends ``window.start`` + ``window.finish`` so the window is idle again (not
timed). The first ``WARMUP`` calls are not counted.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from functools import partial

from benchmarks.bench_hall import AGENT, HALL
from benchmarks.figures import Figures, ms
from benchmarks.mqtt_device import REPLY_TIMEOUT_S, Device, sync
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received

WARMUP = 5


class _Display:
    """A hall display's subscription to the calls topic: when each ticket's call arrived."""

    def __init__(self, port: int) -> None:
        self.arrived: dict[str, float] = {}
        self._got = threading.Condition()
        self.link = MqttLink(f"bench-display-{uuid.uuid4().hex[:6]}", BrokerAddress("127.0.0.1", port))
        self.link.subscribe(topics.calls(HALL), self._on_call)
        self.link.start()
        if not self.link.wait_connected(10):
            raise RuntimeError("display: no broker")
        sync(self.link)

    def _on_call(self, msg: Received) -> None:
        now = time.perf_counter()
        with self._got:
            self.arrived[json.loads(msg.payload)["ticket_id"]] = now
            self._got.notify_all()

    def arrival(self, ticket_id: str) -> float:
        with self._got:
            if not self._got.wait_for(partial(self.arrived.__contains__, ticket_id), REPLY_TIMEOUT_S):
                raise TimeoutError("the call never reached the display")
            return self.arrived[ticket_id]

    def close(self) -> None:
        self.link.stop()


def call_to_display(port: int, calls: int) -> Figures:
    agent = Device(port, AGENT)
    display = _Display(port)
    samples = []
    try:
        for i in range(calls + WARMUP):
            t0 = time.perf_counter()
            reply = agent.request("window.next")
            t1 = display.arrival(reply["result"]["call"]["ticket_id"])
            if i >= WARMUP:
                samples.append(t1 - t0)
            agent.request("window.start")
            agent.request("window.finish")
    finally:
        agent.close()
        display.close()
    return {
        "call_to_display_p50_ms": ms(samples, 0.5),
        "call_to_display_p99_ms": ms(samples, 0.99),
        "call_count": len(samples),
    }
