"""The hall's address and telephone (hall file ``[hall]``) on the public pages, in Debian's Chromium:
the citizen page's footer and the booking page's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from queue_server.protocol.messages import TicketIssueArgs
from queue_server.store import tables as t
from tests.e2e.conftest import Hall

pytestmark = [pytest.mark.browser, pytest.mark.broker]

ADDRESS = "测试市新城区政务大道1号"
PHONE = "0954-12345"


def test_the_citizen_page_ends_with_the_halls_address_and_phone(hall: Hall, browser: Browser) -> None:
    with Session(hall.engine) as session, session.begin():
        row = session.exec(select(t.Hall).where(t.Hall.code == hall.code)).one()
        row.address, row.phone = ADDRESS, PHONE
        session.add(row)
    assert hall.services is not None
    result = hall.services.issue_ticket(
        hall.code, TicketIssueArgs(service="A"), request_id="hall-fields-1", device_id="kiosk-1"
    )
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    page.goto(result.citizen_url)
    expect(page.locator("#hall-contact")).to_be_visible()
    expect(page.locator("#hall-address")).to_have_text(f"地址：{ADDRESS}")
    expect(page.locator("#hall-phone")).to_have_text(f"电话：{PHONE}")
    page.context.close()


def test_the_citizen_page_has_no_footer_when_the_hall_file_gives_none(hall: Hall, browser: Browser) -> None:
    assert hall.services is not None
    result = hall.services.issue_ticket(
        hall.code, TicketIssueArgs(service="A"), request_id="hall-fields-2", device_id="kiosk-1"
    )
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(result.citizen_url)
    expect(page.locator("#number")).to_have_text("A001")
    expect(page.locator("#hall-contact")).to_be_hidden()
    page.context.close()


def test_the_booking_page_gives_the_halls_address_and_phone(hall: Hall, browser: Browser) -> None:
    with Session(hall.engine) as session, session.begin():
        row = session.exec(select(t.Hall).where(t.Hall.code == hall.code)).one()
        row.address, row.phone = ADDRESS, PHONE
        session.add(row)
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{hall.url}/book?hall={hall.code}")
    expect(page.locator("#hall-address")).to_have_text(f"地址：{ADDRESS}")
    expect(page.locator("#hall-phone")).to_have_text(f"咨询电话：{PHONE}")
    expect(page.locator("#hall-contact")).to_be_visible()
    page.context.close()
