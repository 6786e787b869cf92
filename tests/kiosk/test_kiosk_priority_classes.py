"""The priority classes a hall grants (``[policies] priority_classes``), on a kiosk against the real
server (services, SQLite, MQTT bridge, Mosquitto): its device config names them, and the options page
offers only those, so a citizen is never offered a class the server would refuse."""

from __future__ import annotations

from pathlib import Path

from kiosk.screens import OptionsScreen
from tests.conftest import MosquittoBroker

from .conftest import KioskFactory, screen_of, wait_for
from .helpers import home_ready
from .real_server import real_server


def test_the_options_page_offers_only_the_classes_the_hall_grants(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path, kiosk_factory: KioskFactory
) -> None:
    fields = {"priority_classes": ["elderly", "military"]}
    with real_server(broker.address, hall_code, tmp_path, hall_fields=fields):
        k = kiosk_factory()
        wait_for(lambda: home_ready(k.model), what="home from the real hall state")

        def told() -> bool:
            config = k.model.state.config
            return config is not None and config.extra.get("priority_classes") == ["elderly", "military"]

        wait_for(told, what="the device config with the hall's classes")
        k.model.open_service("A")
        k.model.take_service_ticket()
        options = screen_of(k.model, OptionsScreen)
        assert [c.code for c in options.choices] == ["military"]  # 老年人 only from an ID card's birth date
        k.model.choose_priority("pregnant")  # not granted here: nothing is selected
        assert screen_of(k.model, OptionsScreen).selected is None
        k.model.choose_priority("military")
        assert screen_of(k.model, OptionsScreen).selected == "military"
