"""What the link logs when it goes away: quiet for our own stop(), a WARNING for an outage."""

from __future__ import annotations

import logging
import threading

import pytest

from harness.waiting import scaled
from queue_server.protocol.client import PAHO_LOG, MqttLink
from tests.conftest import MosquittoBroker

LOGGER = "queue_server.protocol.client"


def _records(caplog: pytest.LogCaptureFixture, client_id: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and client_id in r.getMessage()]


def test_a_clean_stop_logs_nothing_above_debug(
    broker: MosquittoBroker, hall_code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    client_id = "quiet-" + hall_code
    link = MqttLink(client_id, broker.address)
    connected, disconnected = threading.Event(), threading.Event()
    link.on_connect(connected.set)  # hooks run after the "connected to" line is logged
    link.on_disconnect(disconnected.set)
    link.start()
    assert connected.wait(scaled(5))
    assert _records(caplog, client_id), "caplog sees nothing of the link: silence would prove nothing"
    caplog.clear()
    link.stop()
    # The disconnect really went through our callback, which is where the warning came from.
    assert disconnected.is_set()
    assert not link.connected
    after_stop = _records(caplog, client_id)
    assert [r.getMessage() for r in after_stop if r.levelno > logging.DEBUG] == []
    assert [r.getMessage() for r in after_stop if "reconnecting" in r.getMessage()] == []


def test_a_broker_outage_is_a_warning_and_the_stop_after_it_is_not(
    fresh_broker: MosquittoBroker, hall_code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    client_id = "outage-" + hall_code
    link = MqttLink(client_id, fresh_broker.address)
    dropped, connects = threading.Event(), threading.Semaphore(0)
    link.on_disconnect(dropped.set)
    # Hooked before start(): a hook added while connected may also be run by the connect in flight.
    link.on_connect(connects.release)
    link.start()
    assert connects.acquire(timeout=scaled(5)), "never connected"
    fresh_broker.stop()
    # The hook runs after the log line, so once it fired the line is there.
    assert dropped.wait(scaled(10)), "the link never noticed the broker going away"
    warnings = [r.getMessage() for r in _records(caplog, client_id) if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "disconnected" in warnings[0]
    assert "reconnecting" in warnings[0]

    fresh_broker.start()
    assert connects.acquire(timeout=scaled(15)), "no reconnect after the broker came back"
    assert link.connected
    caplog.clear()
    link.stop()
    assert [r.getMessage() for r in _records(caplog, client_id) if r.levelno > logging.DEBUG] == []


def test_paho_packet_trace_is_quiet_unless_asked_for(
    broker: MosquittoBroker, hall_code: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A Kivy screen runs with the root logger at DEBUG: the packet trace must not follow it."""
    caplog.set_level(logging.DEBUG)  # the root logger, as Kivy leaves it
    trace = f"{PAHO_LOG.name}.trace-{hall_code}"

    def connect_once(client_id: str) -> list[str]:
        caplog.clear()
        link = MqttLink(client_id, broker.address)
        link.start()
        try:
            assert link.wait_connected(scaled(5))
            assert link.wait_subscribed(scaled(5))
        finally:
            link.stop()
        return [r.getMessage() for r in caplog.records if r.name == trace]

    assert connect_once("trace-" + hall_code) == []
    caplog.set_level(logging.DEBUG, logger=PAHO_LOG.name)  # what ``hallq -v`` does
    sent = connect_once("trace-" + hall_code)
    assert any(m.startswith("Sending CONNECT") and f"trace-{hall_code}" in m for m in sent), sent
    assert any(m.startswith("Received CONNACK") for m in sent), sent
