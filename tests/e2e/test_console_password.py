"""A reset password at the counter console, in Debian's Chromium: after signing in with the temporary
password the console asks for a new one first, then signs in at the chosen window; the temporary
password no longer works."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, expect

from queue_server.services.ports import Actor, Role
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]


def test_the_console_asks_for_a_new_password_after_a_reset(hall: Hall, browser: Browser) -> None:
    assert hall.services is not None
    hall.services.reset_password(hall.code, "zhang", "temporary-pw-1", actor=Actor(Role.ADMIN, "admin"))
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(hall.url + "/console")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-name", "zhang")
    page.fill("#login-password", "temporary-pw-1")
    page.select_option("#login-window", "1")
    page.click("#login-submit")

    expect(page.locator("#password-form")).to_be_visible()
    expect(page.locator("#login")).to_be_hidden()
    page.fill("#pw-current", "temporary-pw-1")
    page.fill("#pw-new", "zhang-own-pw-1")
    page.fill("#pw-again", "zhang-own-pw-1")
    page.click("#password-submit")

    expect(page.locator("#desk")).to_be_visible()
    expect(page.locator("#who")).to_contain_text("1号窗口")
    login = {"hall": hall.code, "login": "zhang"}
    assert (
        httpx.post(f"{hall.url}/api/auth/token", json={**login, "password": "temporary-pw-1"}).status_code
        == 401
    )
    assert (
        httpx.post(f"{hall.url}/api/auth/token", json={**login, "password": "zhang-own-pw-1"}).status_code
        == 200
    )
    context.close()
