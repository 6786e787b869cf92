"""What the managers' browser tests share: a signed-in manager's page, and a small day of visits."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from harness.factories import PASSWORD
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services.casework.models import CaseRequest
from queue_server.services.ports import Actor, Role
from tests.e2e.conftest import Hall


def manager_page(hall: Hall, browser: Browser, path: str, width: int = 1440, height: int = 900) -> Page:
    """``path`` of the hall's server in a new browser context, signed in as the manager."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    page = context.new_page()
    page.goto(hall.url + path)
    page.fill('#login-form input[name="login"]', "manager")
    page.fill('#login-form input[name="password"]', PASSWORD)
    page.click('#login-form button[type="submit"]')
    expect(page.locator("#main")).to_be_visible()
    expect(page.locator("#who")).to_have_text("值班长")
    return page


def issue(hall: Hall, n: int, **args: object) -> str:
    """A kiosk ticket (request id ``n``); its number."""
    assert hall.services is not None
    result = hall.services.issue_ticket(
        hall.code, TicketIssueArgs.model_validate(args), request_id=f"m-{n}-{args}", device_id="kiosk-1"
    )
    return result.number


def a_small_day(hall: Hall) -> None:
    """Windows 1 and 2 staffed; three visits finished, one no-show, one serving, four waiting."""
    assert hall.services is not None
    s = hall.services
    zhang, zhao = Actor(Role.STAFF, "zhang"), Actor(Role.STAFF, "zhao")
    for window, actor in (("1", zhang), ("2", zhao)):
        s.sign_in(hall.code, window, actor=actor)
        s.open_window(hall.code, window, actor=actor)
    for n, (service, window, actor) in enumerate((("A", "1", zhang), ("B", "2", zhao), ("A", "1", zhang)), 1):
        issue(hall, n, service=service)
        s.call_next(hall.code, window, actor=actor, request_id=f"d-call-{n}")
        s.start(hall.code, window, actor=actor, request_id=f"d-start-{n}")
        s.finish_case(hall.code, window, CaseRequest(case_type="immediate"), actor=actor)
    issue(hall, 10, service="C")
    s.call_next(hall.code, "1", actor=zhang, request_id="d-call-ns")
    s.no_show(hall.code, "1", actor=zhang, request_id="d-ns")
    issue(hall, 11, service="B")
    s.call_next(hall.code, "2", actor=zhao, request_id="d-call-11")
    s.start(hall.code, "2", actor=zhao, request_id="d-start-11")
    for k, service in enumerate(("A", "A", "C", "B")):
        issue(hall, 20 + k, service=service)
