"""Screenshots of the console with a busy queue, the managers' page and the citizen page.

    HALLQ_SCREENSHOT_DIR=var/screenshots .venv/bin/pytest -m browser tests/e2e

writes them (PNG) to that directory; without the variable the pages are still driven and checked.
The check that matters for screenshots: the page's Chinese is drawn with a CJK font the machine has
(WenQuanYi Micro Hei on Debian), not with boxes.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from harness.factories import PASSWORD
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services.casework.models import CaseRequest
from queue_server.services.ports import Actor, Role
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]

MANAGER = Actor(Role.MANAGER, "manager")


def _issue(hall: Hall, **args: object) -> str:
    assert hall.services is not None
    result = hall.services.issue_ticket(
        hall.code,
        TicketIssueArgs.model_validate(args),
        request_id=f"shot-{args}-{id(args)}",
        device_id="kiosk-1",
    )
    return result.citizen_url.rsplit("/t/", 1)[1]  # the citizen token (the QR code's), not the public id


def test_console_screenshots(hall: Hall, browser: Browser) -> None:
    waiting = _busy_hall(hall)
    _console_pages(hall, browser)
    _manage_pages(hall, browser)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.goto(hall.url + f"/t/{waiting}")
    expect(phone.locator("#ahead")).to_contain_text("人")
    hall.screenshot(phone, "15-citizen-waiting")


def _busy_hall(hall: Hall) -> str:
    """Yesterday's promised case, overdue by now, a bad rating to rectify, and a busy queue for
    window 1 with a special ticket in it; the token of the last ticket, still waiting."""
    assert hall.services is not None
    services = hall.services
    zhao = Actor(Role.STAFF, "zhao")
    services.sign_in(hall.code, "2", actor=zhao)
    services.open_window(hall.code, "2", actor=zhao)
    _issue(hall, matter="B01")
    services.call_next(hall.code, "2", actor=zhao, request_id="s-call")
    services.start(hall.code, "2", actor=zhao, request_id="s-start")
    services.finish_case(hall.code, "2", CaseRequest(case_type="joint", co_departments=["civil"]), actor=zhao)
    rated = _issue(hall, matter="B01")
    services.call_next(hall.code, "2", actor=zhao, request_id="s-call-2")
    services.start(hall.code, "2", actor=zhao, request_id="s-start-2")
    services.finish_case(hall.code, "2", CaseRequest(case_type="promised"), actor=zhao)
    services.citizen_rate(rated, 2)
    for args in ({"matter": "A01", "materials": ["A01-M1", "A01-M2"]}, {"service": "A"}, {"service": "C"},
                 {"matter": "A01", "priority": "disabled"}, {"service": "A"}, {"matter": "C01"}):  # fmt: skip
        _issue(hall, **args)
    services.issue_special(hall.code, "A", "危重病人家属，特事特办", actor=MANAGER)
    return _issue(hall, service="A")


def _console_pages(hall: Hall, browser: Browser) -> None:
    assert hall.services is not None
    page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    page.goto(hall.url + "/console")
    page.fill("#login-name", "zhang")
    page.fill("#login-password", PASSWORD)
    page.select_option("#login-window", "1")
    expect(page.locator(".brand #hall-name")).to_have_text("测试市民大厅")
    page.click("#login-submit")
    expect(page.locator("#window-status")).to_have_attribute("data-status", "idle")
    assert page.evaluate("document.fonts.check(\"16px 'WenQuanYi Micro Hei'\")"), (
        "no CJK font for the console"
    )
    first = hall.services.console(hall.code, "1", actor=Actor(Role.STAFF, "zhang")).next_tickets
    expect(page.locator("#next li b")).to_have_text([t.number for t in first])
    hall.screenshot(page, "10-console-queue")
    page.keyboard.press("n")
    expect(page.locator("#current .special")).to_have_text("危重病人家属，特事特办")
    hall.screenshot(page, "11-console-special-ticket")
    page.keyboard.press("t")  # transfer: to a service, a window or a person
    expect(page.locator("#dlg-transfer")).to_be_visible()
    expect(page.locator("#transfer-target option")).to_have_text(["A 户籍业务", "B 企业开办", "C 社保业务"])
    hall.screenshot(page, "12-console-transfer-dialog")
    page.keyboard.press("Escape")


def _manage_pages(hall: Hall, browser: Browser) -> None:
    manage = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN").new_page()
    manage.goto(hall.url + "/console/manage")
    manage.fill('#login-form input[name="login"]', "manager")
    manage.fill('#login-form input[name="password"]', PASSWORD)
    manage.click('#login-form button[type="submit"]')
    expect(manage.locator("#promised")).to_contain_text("市场监管局")
    expect(manage.locator("#promised")).to_contain_text("联办件")
    hall.screenshot(manage, "13-manage-promised-cases")
    manage.click('.tabs button[data-tab="rectify"]')
    expect(manage.locator("#rectifications")).to_contain_text("不满意")
    expect(manage.locator("#rectifications")).to_contain_text("赵六")
    hall.screenshot(manage, "14-manage-rectification")
