"""A special ticket (特事特办) issued from the managers' page, in Debian's Chromium: the page posts to the
one issuing route, ``POST /api/halls/{hall}/tickets/special``, which records the grant, so the ticket
is on the day's grant list the same page shows (read back from ``GET …/special-tickets``)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Request, expect

from harness.factories import PASSWORD
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]


def test_a_special_ticket_issued_from_the_managers_page_is_on_the_grant_list(
    hall: Hall, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    posts: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST" and "/api/halls/" in request.url:
            posts.append(request.url.removeprefix(hall.url))

    page.on("request", record)
    page.goto(hall.url + "/console/manage")
    page.fill('#login-form input[name="login"]', "manager")
    page.fill('#login-form input[name="password"]', PASSWORD)
    page.click('#login-form button[type="submit"]')
    expect(page.locator("#promised")).to_be_visible()
    page.click('.tabs button[data-tab="special"]')
    expect(page.locator("#special-service option")).not_to_have_count(0)
    page.select_option("#special-service", "A")
    page.fill('#special-form input[name="reason"]', "抢险救灾人员")
    page.click('#special-form button[type="submit"]')

    expect(page.locator("#special-result")).to_have_text("特办号 A001（户籍业务）已发放，将优先呼叫")
    expect(page.locator("#special-list li")).to_have_count(1)
    expect(page.locator("#special-list li")).to_contain_text("A001 · 抢险救灾人员 · 值班长")
    assert posts == [f"/api/halls/{hall.code}/tickets/special"]
    context.close()
