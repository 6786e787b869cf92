"""A broker restart mid-run: the bridge reconnects, resubscribes and republishes the retained state."""

from __future__ import annotations

import json

from queue_server.protocol import topics
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import ServerStatus
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Probe, start_bridge
from tests.mqtt.fakes import FakeHall

# paho retries after 1 s, then backs off; the broker is back at once.
RECONNECT = 20.0


def test_broker_restart_bridge_recovers(fresh_broker: MosquittoBroker, hall_code: str) -> None:
    fake = FakeHall(hall_code)
    served = start_bridge(fresh_broker.address, fake, hall_code, attach=fake.announcers.append)
    kiosk = Device(fresh_broker.address, hall_code, "kiosk-1")
    agent = Device(fresh_broker.address, hall_code, "agent-1")
    try:
        kiosk.ask("ticket.issue", {"service": "A"})
        kiosk.ask("ticket.issue", {"service": "A"})
        agent.ask("window.next")

        fresh_broker.restart()  # no persistence: every retained message is gone

        screen = Probe(fresh_broker.address)
        try:
            # Only the bridge can bring these back: it republishes them after reconnecting.
            screen.listen(topics.server_status(served.instance))
            birth = decode(
                ServerStatus, screen.next_on(topics.server_status(served.instance), RECONNECT).payload
            )
            assert birth.state == "online"
            screen.listen(topics.state(hall_code))
            state = json.loads(screen.next_on(topics.state(hall_code), RECONNECT).payload)
            assert state["seq"] == 1
            assert state["windows"]["1"]["ticket"] == "A001"
            assert state["waiting"]["A"] == 1
            screen.listen(topics.all_window_states(hall_code))
            seen: dict[str, str] = {}
            while len(seen) < 2:
                msg = screen.next(RECONNECT)
                if msg.topic.endswith("/state") and "/window/" in msg.topic:
                    body = json.loads(msg.payload)
                    seen[body["window"]] = body["status"]
            assert seen == {"1": "calling", "2": "idle"}

            # Requests work again on the renewed subscriptions, and calls reach the screen.
            screen.listen(topics.calls(hall_code))
            assert served.bridge.wait_ready(RECONNECT)
            assert kiosk.ask("ticket.issue", {"service": "A"})["result"]["number"] == "A003"
            assert agent.ask("window.recall")["result"]["call"]["seq"] == 2
            call = json.loads(screen.next_on(topics.calls(hall_code), RECONNECT).payload)
            assert (call["seq"], call["kind"], call["ticket"]) == (2, "recall", "A001")
        finally:
            screen.close()
    finally:
        kiosk.close()
        agent.close()
        served.bridge.stop()
