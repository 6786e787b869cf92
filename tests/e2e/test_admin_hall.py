"""The administrators' hall settings in real headless Chromium, on the demo hall loaded from its hall
file, with the MQTT door on a real Mosquitto: an admin edits a window's services (the window agent's
retained config follows at once) and a supervision threshold, and sees a bad value's error beside
its field; renames a device (a manager's overview lists the new name) and changes a delegation.

``HALLQ_SCREENSHOT_DIR=shots/admin .venv/bin/pytest -m browser tests/e2e/test_admin_hall.py`` writes
the screenshots.
"""

from __future__ import annotations

import os
import queue
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine
from sqlmodel import Session, select

from harness.factories import PASSWORD, make_settings
from harness.waiting import scaled
from queue_server.api import create_app
from queue_server.halls import DEMO_HALL_PATH, read_hall_file
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.mqtt.bridge import CONFIG_REFRESH_S
from queue_server.mqtt.door import open_door
from queue_server.protocol import topics
from queue_server.protocol.client import MqttLink, Received
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import DeviceConfig
from queue_server.services import Services, system_clock
from queue_server.store import init_db
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.web.server import serve

pytestmark = [pytest.mark.browser]

HALL = "demo"
AGENT = "demo-win-1-agent"


@dataclass
class AdminHall:
    url: str
    engine: Engine
    configs: queue.Queue[Received]


@pytest.fixture
def admin_hall(fresh_broker: MosquittoBroker, tmp_path: Path) -> Iterator[AdminHall]:
    engine = init_db(f"sqlite:///{tmp_path / 'hallq.db'}")
    load_hall(engine, read_hall_file(DEMO_HALL_PATH), environ={DEMO_PASSWORD_ENV: PASSWORD})
    services = Services(engine, make_settings(hall=HALL), system_clock)
    door = open_door(fresh_broker.address, services, [HALL], instance=f"e2e-{uuid.uuid4().hex[:6]}")
    server = serve(create_app(services.settings, services, door.announcers))
    configs: queue.Queue[Received] = queue.Queue()
    agent = MqttLink(f"probe-{uuid.uuid4().hex[:6]}", fresh_broker.address)
    agent.start()
    assert agent.wait_connected(scaled(5))
    agent.subscribe(topics.dev_config(HALL, AGENT), configs.put)
    try:
        yield AdminHall(f"http://127.0.0.1:{server.port}", engine, configs)
    finally:
        agent.stop()
        server.stop()
        door.stop()
        services.runner.wait_idle(10)
        engine.dispose()


def _config(configs: queue.Queue[Received], timeout: float) -> DeviceConfig:
    return decode(DeviceConfig, configs.get(timeout=timeout).payload)


def _sign_in(page: Page, url: str, path: str = "/console/admin", login: str = "admin") -> None:
    page.goto(f"{url}{path}?hall={HALL}")
    page.fill("#login-form input[name=login]", login)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")


def _shot(page: Page, name: str) -> None:
    directory = os.environ.get("HALLQ_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"admin-{name}.png"), full_page=True)


def test_an_admin_edits_a_window_and_a_threshold_and_sees_a_field_error(
    browser: Browser, admin_hall: AdminHall
) -> None:
    first = _config(admin_hall.configs, scaled(10))  # retained since the door started
    assert first.services == ["A", "B"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _sign_in(page, admin_hall.url)
        expect(page.locator('[data-path="services[0].code"]')).to_have_value("A")
        _shot(page, "1-services")

        page.click('#tabs button[data-tab="windows"]')
        expect(page.locator('[data-path="windows[0].number"]')).to_have_value("1")
        page.fill('[data-path="windows[0].primary"]', "B")
        page.fill('[data-path="windows[0].secondary"]', "")
        page.click("#save-windows")
        expect(page.locator("#message")).to_contain_text("已保存并生效")
        _shot(page, "2-window-saved")
        # Told at once, not at the bridge's next periodic look (every CONFIG_REFRESH_S).
        moved = _config(admin_hall.configs, min(scaled(10), CONFIG_REFRESH_S / 2))
        assert moved.services == ["B"]
        assert moved.version > first.version

        page.click('#tabs button[data-tab="thresholds"]')
        field = page.locator('[data-path="supervision.max_pause_min"]')
        expect(field).to_have_value("15")
        field.fill("0")
        page.click("#save-supervision")
        error = page.locator('.field-error[data-error-for="supervision.max_pause_min"]')
        expect(error).to_have_text("不能小于 1")
        expect(field).to_have_class("invalid")
        _shot(page, "3-field-error")
        field.fill("25")
        page.click("#save-supervision")
        expect(error).to_have_count(0)
        expect(page.locator("#message")).to_contain_text("暂停最长：15 → 25")
        expect(page.locator("#history-table tbody tr").first).to_contain_text("admin")
        _shot(page, "4-threshold-saved")
    finally:
        page.close()
    with Session(admin_hall.engine) as session:
        hall = session.exec(select(t.Hall).where(t.Hall.code == HALL)).one()
        row = session.get(t.HallSupervision, hall.id)
    assert row is not None and row.max_pause_min == 25


def test_an_admin_creates_an_account_and_reads_the_calendar_and_the_policies(
    browser: Browser, admin_hall: AdminHall
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _sign_in(page, admin_hall.url)
        page.click('#tabs button[data-tab="staff"]')
        expect(page.locator('[data-path="staff[0].login"]')).to_have_value("admin")
        new = page.locator("#staff-create")
        new.locator('[data-key="login"]').fill("xinren")
        new.locator('[data-key="name"]').fill("辛仁")
        new.locator('[data-key="windows"]').fill("1")
        page.click("#staff-create-button")
        expect(page.locator("#one-time-password")).to_have_text(re.compile(r"^[a-z2-9]{12}$"))
        _shot(page, "5-staff")
        page.click('#tabs button[data-tab="policies"]')
        expect(page.locator('[data-path="policies.elderly_age"]')).to_have_value("60")
        page.click('#tabs button[data-tab="hours"]')
        page.fill("#calendar-year", "2027")
        page.click("#calendar-form button[type=submit]")
        expect(page.locator("#calendar")).to_contain_text("2027-10-01")
        _shot(page, "6-hours")
    finally:
        page.close()


def test_an_admin_renames_a_device_and_changes_a_delegation(browser: Browser, admin_hall: AdminHall) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _sign_in(page, admin_hall.url)
        page.click('#tabs button[data-tab="hall"]')
        expect(page.locator('[data-path="hall.code"]')).to_have_value(HALL)
        expect(page.locator('[data-path="hall.code"]')).not_to_be_editable()
        page.fill('[data-path="hall.phone"]', "0000-12345")
        page.click("#save-hall")
        expect(page.locator("#message")).to_contain_text("电话：12345 → 0000-12345")
        page.click('#tabs button[data-tab="appointment_slots"]')
        expect(page.locator('[data-path="appointment_slots[0].service"]')).to_have_value("B")
        expect(page.locator('[data-path="appointment_slots[0].morning"]')).to_have_value("15")
        page.click('#tabs button[data-tab="devices"]')
        expect(page.locator('[data-path="devices[0].id"]')).to_have_value("demo-kiosk-1")
        expect(page.locator('[data-path="devices[3].window"]')).to_have_value("1")
        page.fill('[data-path="devices[3].window"]', "")
        page.fill('[data-path="devices[0].name"]', "东门取号机")
        page.click("#save-devices")
        error = page.locator('.field-error[data-error-for="devices[3].window"]')
        expect(error).to_have_text("窗口设备须填写所属窗口")
        expect(error).to_have_attribute("title", "a window_display needs a window")
        _shot(page, "7-device-error")
        page.fill('[data-path="devices[3].window"]', "1")
        page.click("#save-devices")
        expect(page.locator("#message")).to_contain_text("大厅东侧1号取号机 → 东门取号机")
        expect(error).to_have_count(0)

        page.click('#tabs button[data-tab="delegations"]')
        expect(page.locator('[data-path="policies.delegations[1].login"]')).to_have_value("zhaolei")
        cases = page.locator('[data-path="policies.delegations[1].case_types"]')
        cases.locator('input[value="promised"]').check()
        page.click("#save-delegations")
        expect(page.locator("#message")).to_contain_text("已保存并生效：充分授权")
        _shot(page, "8-delegations")
    finally:
        page.close()
    manager = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        _sign_in(manager, admin_hall.url, "/console/overview", "zhangli")
        expect(manager.locator("#devices")).to_contain_text("东门取号机（demo-kiosk-1）")
    finally:
        manager.close()
    with Session(admin_hall.engine) as session:
        hall = session.exec(select(t.Hall).where(t.Hall.code == HALL)).one()
    zhaolei = next(d for d in hall.delegations if d.get("login") == "zhaolei")
    assert zhaolei["case_types"] == ["immediate", "promised", "supplement"]
