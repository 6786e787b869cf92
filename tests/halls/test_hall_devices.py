"""A device's printer width and a kiosk's services, from the hall file to the database to the config
the device is told, on SQLite and PostgreSQL: stored on load, changed on reload, and every change a
higher config version (the kiosk drops nothing it should take)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from harness.factories import FakeClock, make_settings
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.services import Services
from queue_server.store import tables as t
from tests.halls.conftest import hall_of

DEV_ENV = {DEMO_PASSWORD_ENV: "demo-password-1"}
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ALL = ["A", "B", "C", "D", "E", "F", "G"]


def device_of(raw: dict[str, Any], device_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = next(d for d in raw["devices"] if d["id"] == device_id)
    return entry


def stored(engine: Engine) -> dict[str, tuple[int | None, list[str] | None]]:
    with Session(engine) as s:
        return {d.device_id: (d.printer_width_mm, d.services) for d in s.exec(select(t.Device))}


def test_the_loader_stores_width_and_services_and_a_reload_follows_the_file(
    engine: Engine, small_raw: dict[str, Any]
) -> None:
    load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    rows = stored(engine)
    assert rows["demo-kiosk-1"] == (80, None)  # no list in the file: NULL, "every service"
    assert rows["demo-kiosk-2"] == (58, ["D", "E", "F"])
    assert rows["demo-win-5-agent"] == (58, None)
    assert rows["demo-win-11-agent"] == (None, None)
    assert rows["demo-hall-display"] == (None, None)

    del device_of(small_raw, "demo-kiosk-2")["printer_width_mm"]
    device_of(small_raw, "demo-kiosk-2")["services"] = ["F", "A"]
    device_of(small_raw, "demo-kiosk-1")["printer_width_mm"] = 58
    device_of(small_raw, "demo-kiosk-1")["services"] = []  # said, but empty: still every service
    device_of(small_raw, "demo-win-11-agent")["printer_width_mm"] = 58
    report = load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)

    assert report.updated["device"] == 3, report.summary()
    rows = stored(engine)
    assert rows["demo-kiosk-2"] == (None, ["F", "A"])
    assert rows["demo-kiosk-1"] == (58, None)
    assert rows["demo-win-11-agent"] == (58, None)
    assert not load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW).changed


def test_configs_follow_the_hall_file_with_growing_versions(
    engine: Engine, small_raw: dict[str, Any]
) -> None:
    load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    services = Services(engine, make_settings(hall="demo"), FakeClock())
    first = services.device_configs("demo")
    assert (first["demo-kiosk-1"].services, first["demo-kiosk-1"].printer_width_mm) == (ALL, 80)
    assert (first["demo-kiosk-2"].services, first["demo-kiosk-2"].printer_width_mm) == (["D", "E", "F"], 58)
    assert first["demo-win-5-agent"].printer_width_mm == 58  # its own: window 5 has no window printer
    assert first["demo-win-11-agent"].printer_width_mm == 80  # none said, no window printer
    assert (first["demo-hall-display"].services, first["demo-hall-display"].printer_width_mm) == (ALL, 80)

    # The same services in another order are the same config: the hall's order is what a kiosk shows.
    device_of(small_raw, "demo-kiosk-2")["services"] = ["F", "E", "D"]
    assert load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW).changed
    assert services.device_configs("demo") == first

    device_of(small_raw, "demo-kiosk-2")["services"] = ["F", "A"]
    device_of(small_raw, "demo-kiosk-2")["printer_width_mm"] = 80
    device_of(small_raw, "demo-win-11-agent")["printer_width_mm"] = 58
    load_hall(engine, hall_of(small_raw), environ=DEV_ENV, now=NOW)
    second = services.device_configs("demo")
    kiosk2, agent11 = second["demo-kiosk-2"], second["demo-win-11-agent"]
    assert (kiosk2.services, kiosk2.printer_width_mm) == (["A", "F"], 80)
    assert agent11.printer_width_mm == 58
    assert kiosk2.version > first["demo-kiosk-2"].version
    assert agent11.version > first["demo-win-11-agent"].version
    unchanged = set(first) - {"demo-kiosk-2", "demo-win-11-agent"}
    assert {d: second[d] for d in unchanged} == {d: first[d] for d in unchanged}
