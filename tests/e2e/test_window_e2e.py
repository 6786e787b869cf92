"""The window end to end, in Debian's Chromium: a kiosk takes a ticket over MQTT, a staff member signs
in on the counter console, calls it with the keyboard, finishes it as a 补办件 with two missing
materials; the one-time notice comes out of the window's printer and as an A4 page. The citizen comes
back with the notice's QR; the window agent's keypad calls them (the console shows it within a second,
no reload; the citizen's phone says where to go); the server restarts and the console carries on by
itself; a second person without a law enforcement qualification is refused at the licensing window.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from harness.factories import PASSWORD
from queue_server.protocol.client import DeviceLink
from tests.devices.escpos_decoder import Qr, events_of, texts
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]

DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# The one timing requirement: a call made elsewhere shows on the console within a second.
LIVE_WITHIN_MS = 1000


def _context(browser: Browser, viewport: ViewportSize) -> BrowserContext:
    return browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")


def _sign_in(page: Page, hall: Hall, login: str, window: str) -> None:
    page.goto(hall.url + "/console")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-name", login)
    page.fill("#login-password", PASSWORD)
    page.select_option("#login-window", window)


def test_the_window_end_to_end(hall: Hall, browser: Browser) -> None:
    kiosk = hall.device("kiosk-1", "kiosk")
    agent = hall.device("agent-1", "window_agent")
    reply = kiosk.request("ticket.issue", {"matter": "A01", "materials": ["A01-M2"]}, timeout=5.0)
    assert reply.ok and reply.result is not None and reply.result["number"] == "A001"

    desk = _context(browser, DESKTOP)
    page = desk.new_page()
    _serve_with_the_keyboard(hall, page)
    case_no = _finish_as_supplement(hall, page)
    _check_the_printed_notice(hall, case_no)
    _check_the_a4_notice(hall, desk, page, case_no)

    # The citizen comes back: the kiosk scanned the notice's QR and issued a linked return ticket.
    back = kiosk.request("ticket.issue", {"return_for": case_no}, timeout=5.0)  # the QR's case number alone
    assert back.ok and back.result is not None
    token, number = back.result["citizen_url"].rsplit("/t/", 1)[1], back.result["number"]
    expect(page.locator(f'#next li[data-ticket="{number}"]')).to_be_visible()  # live, no reload
    phone = _context(browser, PHONE).new_page()
    phone.goto(hall.url + f"/t/{token}")
    expect(phone.locator("#number")).to_have_text(number)
    expect(phone.locator("#live")).to_have_text("● 实时更新中")
    hall.screenshot(phone, "06-citizen-waiting")

    _call_from_the_keypad(hall, page, phone, agent, number, case_no)
    _carry_on_after_a_server_restart(hall, page, phone, agent, number)
    _refused_at_the_licensing_window(hall, browser)


def _serve_with_the_keyboard(hall: Hall, page: Page) -> None:
    """Sign in at window 1, then keyboard only: N calls, S starts."""
    _sign_in(page, hall, "zhang", "1")
    hall.screenshot(page, "01-sign-in")
    page.click("#login-submit")
    status = page.locator("#window-status")
    expect(status).to_have_attribute("data-status", "idle")
    expect(page.locator("#live")).to_have_text("● 实时连接正常")
    expect(page.locator('#next li[data-ticket="A001"]')).to_be_visible()
    page.keyboard.press("n")
    expect(page.locator("#current-number")).to_have_text("A001")
    expect(status).to_have_attribute("data-status", "calling")
    page.keyboard.press("s")
    expect(status).to_have_attribute("data-status", "serving")
    expect(page.locator("#current-materials li.checked")).to_have_text(["✓居民身份证"])
    hall.screenshot(page, "02-serving")


def _finish_as_supplement(hall: Hall, page: Page) -> str:
    """F finishes as a 补办件 with the two materials not ticked at the kiosk; the case number."""
    page.keyboard.press("f")  # the page shows serving: no older picture can take it back
    expect(page.locator("#dlg-finish")).to_be_visible()
    page.check("#type-supplement")
    # The materials not ticked at the kiosk are offered as missing; both stay ticked.
    expect(page.locator('#missing input[value="A01-M1"]')).to_be_checked()
    expect(page.locator('#missing input[value="A01-M3"]')).to_be_checked()
    expect(page.locator('#missing input[value="A01-M2"]')).not_to_be_checked()
    page.fill('#finish-form input[name="applicant_name"]', "李雷")
    hall.screenshot(page, "03-finish-as-supplement")
    page.click("#finish-submit")
    notice = page.locator('#last-case li[data-document="one_time_notice"]')
    expect(notice.locator(".print-status")).to_have_text("已打印")
    case_no = page.locator("#last-case").get_attribute("data-case")
    assert case_no is not None and case_no.startswith(hall.code.upper() + "-")
    expect(page.locator("#window-status")).to_have_attribute("data-status", "idle")
    hall.screenshot(page, "04-finished")
    return case_no


def _check_the_printed_notice(hall: Hall, case_no: str) -> None:
    """The window's thermal printer got the one-time notice with both materials and the return QR."""
    printed = hall.printer.core.wait_output(lambda out: b"\x1dV" in out)
    paper = "".join(texts(printed))
    assert "一次性告知书" in paper and case_no in paper
    assert "居民户口簿" in paper and "准予迁入证明" in paper and "居民身份证" not in paper
    assert [q.payload.decode() for q in events_of(printed, Qr)] == [f"hallq://n/{case_no}"]


def _check_the_a4_notice(hall: Hall, desk: BrowserContext, page: Page, case_no: str) -> None:
    """The A4 page says the same."""
    notice = page.locator('#last-case li[data-document="one_time_notice"]')
    with desk.expect_page() as opened:
        notice.locator("a.a4").click()
    a4 = opened.value
    a4.wait_for_load_state()
    expect(a4.locator("h1")).to_have_text("一次性告知书")
    expect(a4.locator("ol.missing li")).to_have_text(["居民户口簿", "准予迁入证明"])
    expect(a4.locator("main")).to_contain_text(case_no)
    hall.screenshot(a4, "05-one-time-notice-a4")
    a4.close()


def _call_from_the_keypad(
    hall: Hall, page: Page, phone: Page, agent: DeviceLink, number: str, case_no: str
) -> None:
    """A call made elsewhere (the window agent's keypad, over MQTT) shows on the console at once."""
    page.evaluate("window.__notReloaded = 42")
    sent_ms = time.time() * 1000
    called = agent.request("window.next", {}, timeout=5.0)
    assert called.ok
    expect(page.locator("#current-number")).to_have_text(number)
    shown_ms = page.evaluate(f"window.hallqConsole.renders.find((r) => r.ticket === {number!r}).at")
    assert shown_ms - sent_ms < LIVE_WITHIN_MS, (
        f"the console showed the call after {shown_ms - sent_ms:.0f} ms"
    )
    expect(page.locator("#current .return")).to_contain_text(case_no)
    expect(page.locator("#current .return")).to_contain_text("准予迁入证明")
    expect(phone.locator("#message")).to_have_text("轮到您了！请到 1 号窗口办理")
    hall.screenshot(page, "07-return-visit-called")
    hall.screenshot(phone, "08-citizen-called")


def _carry_on_after_a_server_restart(
    hall: Hall, page: Page, phone: Page, agent: DeviceLink, number: str
) -> None:
    """The server restarts (HTTP, services, MQTT bridge); the page reconnects by itself."""
    hall.restart()
    expect(page.locator("#live")).to_have_text("● 实时连接正常", timeout=15_000)
    expect(phone.locator("#live")).to_have_text("● 实时更新中", timeout=15_000)
    assert agent.request("window.recall", {}, timeout=5.0).ok
    expect(page.locator("#message")).to_have_text(f"已重呼 {number}")
    assert agent.request("window.start", {}, timeout=5.0).ok
    expect(page.locator("#window-status")).to_have_attribute("data-status", "serving")
    expect(phone.locator("#message")).to_have_text("正在 1 号窗口为您办理")
    assert page.evaluate("window.__notReloaded") == 42


def _refused_at_the_licensing_window(hall: Hall, browser: Browser) -> None:
    """A second person without a law enforcement qualification is refused at the licensing window."""
    other = _context(browser, DESKTOP).new_page()
    _sign_in(other, hall, "li", "2")
    other.click("#login-submit")
    expect(other.locator("#login-error")).to_contain_text("须持有效执法资格证方可签到")
    expect(other.locator("#desk")).to_be_hidden()
    hall.screenshot(other, "09-licensing-window-refused")
