"""The guide desk (导办台) and the citizen's cancel in Debian's Chromium, against a whole running hall.

The clerk finds 户口迁移 by its pinyin initials, issues a ticket for a disabled citizen who came with
her daughter (priority confirmed at the desk), records an enquiry, reprints and voids a ticket; the
counter console calls the priority ticket before an earlier kiosk ticket and shows the clerk's name;
a citizen who cannot wait cancels their own ticket on the phone page.

``HALLQ_SCREENSHOT_DIR=shots/guide .venv/bin/pytest -m browser tests/e2e/test_guide_desk.py`` writes
the pictures (guide-01-search, guide-02-issued, guide-03-slip, guide-04-console, guide-05-citizen-*).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from harness.factories import PASSWORD
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def _context(browser: Browser, viewport: ViewportSize) -> BrowserContext:
    return browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")


def _guide_sign_in(page: Page, hall: Hall) -> None:
    page.goto(f"{hall.url}/console/guide?hall={hall.code}")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-name", "daoban")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#who")).to_have_text("周导")


def test_the_guide_desk_issues_a_priority_ticket_that_reaches_the_console(
    hall: Hall, browser: Browser
) -> None:
    kiosk = hall.device("kiosk-1", "kiosk")
    earlier = kiosk.request("ticket.issue", {"matter": "A01"}, timeout=5.0)
    assert earlier.ok and earlier.result is not None and earlier.result["number"] == "A001"

    desk = _context(browser, DESKTOP).new_page()
    _guide_sign_in(desk, hall)
    desk.fill("#matter-q", "hkqy")
    expect(desk.locator('#matters button[data-matter="A01"]')).to_be_visible()
    desk.click('#matters button[data-matter="A01"]')
    expect(desk.locator("#chosen")).to_contain_text("居民户口簿")
    desk.select_option("#priority", "disabled")
    desk.fill("#accompanied", "女儿陪同")
    hall.screenshot(desk, "guide-01-search")
    desk.click("#issue")
    expect(desk.locator("#issued-number")).to_have_text("A002")
    expect(desk.locator("#issued")).to_contain_text("导办员 周导")
    expect(desk.locator('#tickets tr[data-ticket="A002"]')).to_contain_text("周导")
    desk.click("#enquiry")
    expect(desk.locator("#message")).to_contain_text("已记录咨询：户口迁移")
    hall.screenshot(desk, "guide-02-issued")

    with desk.context.expect_page() as opened:
        desk.click("#issued-print")
    slip = opened.value
    expect(slip.locator("#slip-number")).to_have_text("A002")
    hall.screenshot(slip, "guide-03-slip")

    console = _context(browser, DESKTOP).new_page()
    console.goto(hall.url + "/console")
    console.fill("#login-name", "zhang")
    console.fill("#login-password", PASSWORD)
    console.select_option("#login-window", "1")
    console.click("#login-submit")
    expect(console.locator("#window-status")).to_have_attribute("data-status", "idle")
    console.keyboard.press("n")
    # The desk's ticket came later than A001 but its confirmed priority calls it first.
    expect(console.locator("#current-number")).to_have_text("A002")
    expect(console.locator("#current-guide")).to_have_text("周导 代取号，陪同：女儿陪同")
    expect(console.locator("#current")).to_contain_text("导办台确认")
    hall.screenshot(console, "guide-04-console")

    # The desk voids the waiting kiosk ticket with a reason (the citizen asked at the desk).
    desk.fill("#lookup-q", "A001")
    desk.click("#lookup")
    row = desk.locator('#tickets tr[data-ticket="A001"]')
    expect(row).to_have_attribute("data-state", "waiting")
    desk.fill("#void-reason", "市民改为预约办理")
    row.locator('button[data-act="void"]').click()
    expect(row).to_have_attribute("data-state", "void")


def test_the_citizen_cancels_their_ticket_on_the_phone(hall: Hall, browser: Browser) -> None:
    kiosk = hall.device("kiosk-1", "kiosk")
    reply = kiosk.request("ticket.issue", {"matter": "A01", "materials": ["A01-M1"]}, timeout=5.0)
    assert reply.ok and reply.result is not None
    phone = _context(browser, PHONE).new_page()
    phone.goto(reply.result["citizen_url"])
    expect(phone.locator("#number")).to_have_text(reply.result["number"])
    expect(phone.locator("#materials li.checked")).to_have_text("居民户口簿")
    expect(phone.locator("#cancel-card")).to_be_visible()
    hall.screenshot(phone, "guide-05-citizen-waiting")
    phone.click("#cancel")
    phone.click("#cancel-yes")
    expect(phone.locator("#message")).to_contain_text("号票已作废")
    expect(phone.locator("#cancel-card")).to_be_hidden()
    hall.screenshot(phone, "guide-06-citizen-cancelled")
    assert hall.services is not None
    status = hall.services.ticket_status(hall.code, reply.result["ticket_id"])
    assert status.state == "void"
