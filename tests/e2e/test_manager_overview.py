"""The managers' live overview in Debian's Chromium: a manager signs in, a kiosk and a window agent talk
to the server over MQTT, and the page shows the agent's call, the window's state and both devices, and
then the kiosk going offline, without a reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from queue_server.services.ports import Actor, Role
from tests.e2e.conftest import Hall
from tests.e2e.managers import manager_page

pytestmark = [pytest.mark.browser, pytest.mark.broker]


def test_a_call_made_over_mqtt_appears_in_the_overview(hall: Hall, browser: Browser) -> None:
    assert hall.services is not None
    zhang = Actor(Role.STAFF, "zhang")
    hall.services.sign_in(hall.code, "1", actor=zhang)
    hall.services.open_window(hall.code, "1", actor=zhang)
    page = manager_page(hall, browser, "/console/overview")
    row = page.locator('#windows tr[data-window="1"]')
    expect(row.locator(".status")).to_have_attribute("data-status", "idle")
    expect(page.locator("#live")).to_have_text("● 实时连接正常")
    page.evaluate("window.__notReloaded = 42")

    kiosk = hall.device("kiosk-1", "kiosk")
    agent = hall.device("agent-1", "window_agent")
    issued = kiosk.request("ticket.issue", {"service": "A"}, timeout=5.0)
    assert issued.ok and issued.result is not None
    expect(page.locator('#services tr[data-service="A"] td').nth(1)).to_have_text("1")
    expect(page.locator('[data-total="issued"] .value')).to_have_text("1")

    called = agent.request("window.next", {}, timeout=5.0)
    assert called.ok

    expect(row.locator(".status")).to_have_attribute("data-status", "calling")
    expect(row.locator(".ticket")).to_have_text("A001")
    expect(row).to_contain_text("张*（zhang）")
    expect(page.locator('#services tr[data-service="A"] td').nth(1)).to_have_text("0")
    expect(page.locator('[data-total="at_window"] .value')).to_have_text("1")
    # Both devices announced themselves online (boot 1) over MQTT; the page shows it from the store.
    for device in ("kiosk-1", "agent-1"):
        expect(page.locator(f'#devices tr[data-device="{device}"] .status')).to_have_text("在线")
        expect(page.locator(f'#devices tr[data-device="{device}"] td').nth(4)).to_have_text("1")
    # A device that goes away says so (its offline status); the page hears of it by itself.
    kiosk.stop()
    expect(page.locator('#devices tr[data-device="kiosk-1"] .status')).to_have_text("离线")
    expect(page.locator('#devices tr[data-device="agent-1"] .status')).to_have_text("在线")
    assert page.evaluate("window.__notReloaded") == 42
    page.context.close()
