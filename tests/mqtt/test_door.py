"""The door as ``hallq server`` opens it: from settings, announcers handed out, clean stop."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from queue_server.mqtt import door
from queue_server.runtime.broker import BrokerError
from queue_server.settings import Settings
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device
from tests.mqtt.fakes import FakeHall


def settings(hall: str, broker_url: str) -> Settings:
    return Settings(environment="development", hall=hall, broker_url=broker_url, instance="door-test")


def test_door_from_settings_serves_the_hall(broker: MosquittoBroker, hall_code: str) -> None:
    fake = FakeHall(hall_code)
    opened = door.start(settings(hall_code, broker.url), fake)
    try:
        fake.announcers.extend(opened.announcers)  # what create_app does with them
        assert opened.broker_url == broker.url
        kiosk = Device(broker.address, hall_code, "kiosk-1")
        try:
            assert kiosk.ask("ticket.issue", {"service": "A"})["result"]["number"] == "A001"
        finally:
            kiosk.close()
    finally:
        opened.stop()
    assert not opened.bridge.link.connected


def test_embedded_broker_on_a_taken_port_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, hall_code: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        monkeypatch.setattr(door, "EMBEDDED_PORT", taken.getsockname()[1])
        monkeypatch.chdir(tmp_path)
        with pytest.raises(BrokerError, match="HALLQ_BROKER_URL"):
            door.start(settings(hall_code, "embedded"), FakeHall(hall_code))


def test_default_workers_follow_the_database() -> None:
    assert door.default_workers("sqlite:///var/hallq.db") == door.SQLITE_WORKERS
    assert door.default_workers("postgresql+psycopg://postgres@127.0.0.1/hallq") == door.WORKERS


def test_instances_in_one_share_group_split_the_requests(
    broker: MosquittoBroker, hall_code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLQ_MQTT_SHARED", "hallq-server")
    fake = FakeHall(hall_code)
    opened = []
    try:
        for i in range(2):
            instance = Settings(
                environment="development", hall=hall_code, broker_url=broker.url, instance=f"d{i}"
            )
            assert instance.mqtt_shared == "hallq-server"
            opened.append(door.start(instance, fake))
            fake.announcers.extend(opened[-1].announcers)
        kiosk = Device(broker.address, hall_code, "kiosk-1")
        try:
            for i in range(10):
                kiosk.send({"id": f"r{i}", "op": "ticket.issue", "args": {"service": "A"}})
            # One reply per request: without the group both instances answer, and a second reply
            # to an early request shows up where a later one should be.
            assert sorted(kiosk.reply()["id"] for _ in range(10)) == sorted(f"r{i}" for i in range(10))
            assert kiosk.ask("catalog.get", rid="last")["ok"] is True
        finally:
            kiosk.close()
    finally:
        for d in opened:
            d.stop()


def test_the_share_group_setting_is_documented_and_checked() -> None:
    assert Settings.model_fields["mqtt_shared"].description
    assert Settings(environment="development").mqtt_shared == ""  # one instance reads everything
    with pytest.raises(ValueError, match="mqtt_shared"):
        Settings(environment="development", mqtt_shared="$share/x")
