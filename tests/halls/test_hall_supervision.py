"""The hall file's ``[supervision]``: validated, stored by the loader, and what the running server's
supervision applies (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from harness.factories import FakeClock, make_settings
from queue_server.domain.alerts import AlertRules
from queue_server.halls import HallFile, validate_data
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.halls.supervision import Supervision
from queue_server.protocol.messages import DeviceStatus
from queue_server.services import Services
from queue_server.store import tables as t
from tests.halls.conftest import hall_of


def test_the_defaults_are_the_rules_defaults() -> None:
    file, rules = Supervision(), AlertRules()
    assert rules.max_waiting_per_window == file.max_waiting_per_window
    assert rules.max_pause == timedelta(minutes=file.max_pause_min)
    assert dict(rules.pause_limits) == file.pause_limits_min == {}
    assert rules.case_due_within_working_days == file.case_due_within_working_days
    assert rules.idle_with_waiting == timedelta(minutes=file.idle_with_waiting_min)
    assert rules.no_show_streak == file.no_show_streak
    assert rules.device_offline_after == timedelta(seconds=file.device_offline_after_s)


def test_every_problem_is_reported_with_its_path(small_raw: dict[str, Any]) -> None:
    small_raw["supervision"] = {"no_show_streak": 1, "max_pause": 10, "pause_limits_min": {"用餐": 0}}
    problems = validate_data(small_raw)
    assert not isinstance(problems, HallFile)
    paths = {p.path for p in problems}
    assert {"supervision.no_show_streak", "supervision.max_pause"} <= paths, problems
    assert any(path.startswith("supervision.pause_limits_min") for path in paths), problems


def test_the_server_applies_what_the_file_says(engine: Engine, small_raw: dict[str, Any]) -> None:
    small_raw["supervision"] = {"device_offline_after_s": 300, "pause_limits_min": {"用餐": 45}}
    env = {DEMO_PASSWORD_ENV: "demo-password-1"}
    report = load_hall(engine, hall_of(small_raw), environ=env)
    with Session(engine) as session:
        row = session.get(t.HallSupervision, report.hall_id)
        assert row is not None
        assert (row.device_offline_after_s, row.pause_limits_min, row.no_show_streak) == (
            300,
            {"用餐": 45},
            3,
        )
    assert not load_hall(engine, hall_of(small_raw), environ=env).changed

    clock = FakeClock()
    services = Services(engine, make_settings(hall="demo"), clock)
    try:
        online = DeviceStatus(state="online", boot=1, kind="kiosk", ts=time.time())
        services.record_device_status("demo", "demo-kiosk-1", online.model_dump_json().encode())
        clock.advance(seconds=120)
        assert services.supervision.evaluate("demo").raised == []  # 300 s allowed by the file
        assert [d.online for d in services.device_statuses("demo").devices if d.id == "demo-kiosk-1"] == [
            True
        ]

        del small_raw["supervision"]["device_offline_after_s"]  # back to the default 90 s
        assert load_hall(engine, hall_of(small_raw), environ=env).updated["supervision"] == 1
        assert services.supervision.evaluate("demo").raised == ["device_offline:demo-kiosk-1"]
    finally:
        services.runner.wait_idle(10)
