"""The counter console never steps back to an older picture of its window. A refresh (here one a
kiosk's new ticket set off over the live channel) is read by the server before the staff member acts
and reaches the page only after the action: after its answer (N, and 核实通过, which leaves the
window's state as it is), or after the live channel painted the new state but before the answer (S).
The page keeps what the action made, its buttons stay those of the new state, and F opens the finish
dialog at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import APIResponse, Browser, Page, Route, expect

from harness.factories import PASSWORD
from queue_server.protocol.client import DeviceLink
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]

VIEW = "**/api/halls/*/windows/1/console"  # the picture only
# The start action as the console sends it: the route every caller uses, asking for the console's view.
START = re.compile(r"/api/halls/[^/]+/windows/1/start\?view=console$")
# Pictures the page has taken: shown, or dropped as older than the one shown.
TAKEN = "(window.hallqConsole.snapshots + (window.hallqConsole.stale || 0))"


class Held:
    """Intercepts the page's requests to ``pattern``: the server answers each at once (route.fetch),
    and the page gets that answer only when the test lets it through."""

    def __init__(self, page: Page, pattern: str | re.Pattern[str]) -> None:
        self.page = page
        self.pattern = pattern
        self.held: list[tuple[Route, APIResponse]] = []
        self.passing = False
        page.route(pattern, self._hold)

    def _hold(self, route: Route) -> None:
        if self.passing:
            route.continue_()
        else:
            self.held.append((route, route.fetch()))

    def wait_for_one(self) -> dict[str, Any]:
        """The oldest held answer, as the server gave it (the page has not seen it yet)."""
        for _ in range(500):  # at most ~10 s for the page's request: not a timing requirement
            if self.held:
                body: dict[str, Any] = self.held[0][1].json()
                return body
            self.page.wait_for_timeout(20)
        raise AssertionError(f"the page sent nothing to {self.pattern}")

    def deliver_one(self) -> bool:
        """Let the oldest held answer through; wait until the page has taken it. True: it showed it,
        False: it dropped it as older than what it shows."""
        taken, dropped = self.page.evaluate(f"[{TAKEN}, window.hallqConsole.stale]")
        route, response = self.held.pop(0)
        route.fulfill(response=response)
        self.page.wait_for_function(f"(n) => {TAKEN} > n", arg=taken)
        return bool(self.page.evaluate("window.hallqConsole.stale") == dropped)

    def release(self) -> None:
        """Everything held goes through (in order), and so does whatever the page asks next."""
        self.passing = True
        while self.held:
            route, response = self.held.pop(0)
            route.fulfill(response=response)
        self.page.unroute(self.pattern, self._hold)


def test_a_refresh_landing_after_an_action_does_not_undo_it(hall: Hall, browser: Browser) -> None:
    kiosk = hall.device("kiosk-1", "kiosk")
    # A declared priority: the window confirms it (an action that leaves the window's state as it is).
    assert kiosk.request("ticket.issue", {"service": "A", "priority": "disabled"}, timeout=5.0).ok
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        _act_while_a_refresh_is_on_its_way(hall, context.new_page(), kiosk)
    finally:
        context.close()


def _act_while_a_refresh_is_on_its_way(hall: Hall, page: Page, kiosk: DeviceLink) -> None:
    _sign_in(hall, page)
    _call_while_a_refresh_is_on_its_way(page, kiosk)
    _start_while_a_refresh_is_on_its_way(page, kiosk)
    _confirm_priority_while_a_refresh_is_on_its_way(page, kiosk)
    _finish_at_once(hall, page)


def _sign_in(hall: Hall, page: Page) -> None:
    page.goto(hall.url + "/console")
    page.fill("#login-name", "zhang")
    page.fill("#login-password", PASSWORD)
    page.select_option("#login-window", "1")
    page.click("#login-submit")
    expect(page.locator("#window-status")).to_have_attribute("data-status", "idle")
    expect(page.locator('#next li[data-ticket="A001"]')).to_be_visible()
    expect(page.locator("#live")).to_have_text("● 实时连接正常")


def _enabled(page: Page) -> list[str | None]:
    buttons = page.locator("#actions button[data-act]").all()
    return [b.get_attribute("data-act") for b in buttons if b.is_enabled()]


def _call_while_a_refresh_is_on_its_way(page: Page, kiosk: DeviceLink) -> None:
    """N, while a refresh is on its way: the older picture lands after the action's answer."""
    status = page.locator("#window-status")
    views = Held(page, VIEW)
    assert kiosk.request("ticket.issue", {"service": "A"}, timeout=5.0).ok  # the page refreshes
    stale = views.wait_for_one()  # read by the server before the call
    assert stale["window"]["status"] == "idle"
    page.keyboard.press("n")
    page.wait_for_function("(v) => window.hallqConsole.version > v", arg=stale["version"])
    expect(status).to_have_attribute("data-status", "calling")  # the answer's picture, shown at once
    shown = views.deliver_one()
    assert status.get_attribute("data-status") == "calling"  # the page stays as the call left it:
    assert not shown  # the older picture was dropped
    expect(page.locator("#current-number")).to_have_text("A001")
    assert _enabled(page) == ["recall", "start", "no_show", "transfer", "hold"]
    views.release()
    expect(status).to_have_attribute("data-status", "calling")


def _start_while_a_refresh_is_on_its_way(page: Page, kiosk: DeviceLink) -> None:
    """S, while a refresh is on its way: the live channel paints "serving" first, then the older
    picture lands, then the action's answer."""
    status = page.locator("#window-status")
    views = Held(page, VIEW)
    answers = Held(page, START)
    assert kiosk.request("ticket.issue", {"service": "A"}, timeout=5.0).ok
    stale = views.wait_for_one()
    assert stale["window"]["status"] == "calling"
    page.keyboard.press("s")
    answer = answers.wait_for_one()  # the server has started serving; the page has no answer yet
    assert answer["view"]["window"]["status"] == "serving"
    expect(status).to_have_attribute("data-status", "serving")  # painted by the live channel
    shown = views.deliver_one()
    assert status.get_attribute("data-status") == "serving" and not shown
    assert _enabled(page) == ["finish", "transfer", "hold"]
    assert answers.deliver_one()  # the action's own answer is shown as it is
    assert page.evaluate("window.hallqConsole.version") == answer["view"]["version"]
    answers.release()
    views.release()


def _confirm_priority_while_a_refresh_is_on_its_way(page: Page, kiosk: DeviceLink) -> None:
    """核实通过 while a refresh is on its way: the window stays "serving" with A001 (nothing for the
    live channel to paint); only the version tells the older picture from the answer's."""
    current = page.locator("#current")
    views = Held(page, VIEW)
    assert kiosk.request("ticket.issue", {"service": "A"}, timeout=5.0).ok
    stale = views.wait_for_one()
    assert stale["current"]["priority"]["confirmed"] is None
    current.get_by_role("button", name="核实通过").click()
    expect(current.locator(".badge.ok")).to_have_text("已核实")
    assert stale["version"] < page.evaluate("window.hallqConsole.version")
    shown = views.deliver_one()
    assert current.get_by_role("button", name="核实通过").count() == 0  # not asked again
    assert not shown
    expect(current.locator(".badge.ok")).to_have_text("已核实")
    views.release()


def _finish_at_once(hall: Hall, page: Page) -> None:
    """No waiting for the button: the page shows serving, so F is the finish dialog."""
    page.keyboard.press("f")
    expect(page.locator("#dlg-finish")).to_be_visible()
    page.check("#type-immediate")
    page.click("#finish-submit")
    expect(page.locator("#last-case")).to_have_attribute("data-case", re.compile(f"^{hall.code.upper()}-"))
    expect(page.locator("#window-status")).to_have_attribute("data-status", "idle")
