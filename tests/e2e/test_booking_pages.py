"""The booking pages in real headless Chromium on a phone-sized page: a citizen books, cancels,
books again and reschedules, finds the booking by code and ID, and switches to large text; against
the demo hall (its real hours, rest days and capacities) on the real clock.

``HALLQ_SCREENSHOT_DIR=shots/booking .venv/bin/pytest -m browser tests/e2e/test_booking_pages.py``
writes the screenshots of each step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect
from sqlmodel import Session, select

from harness.factories import make_settings
from queue_server.api import create_app
from queue_server.domain.idcard import check_character
from queue_server.halls import DEMO_HALL_PATH, read_hall_file
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.services import Services, system_clock
from queue_server.store import init_db
from queue_server.store.tables import Appointment
from tests.web.server import RunningServer, serve

pytestmark = [pytest.mark.browser]

FIRST17 = "11010519600312002"
ID_NUMBER = FIRST17 + check_character(FIRST17)
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[RunningServer, Services, str]]:
    engine = init_db(f"sqlite:///{tmp_path / 'hallq.db'}")
    demo_file = read_hall_file(DEMO_HALL_PATH)
    load_hall(engine, demo_file, environ={DEMO_PASSWORD_ENV: "demo-password-1"}, now=datetime.now(UTC))
    settings = make_settings(hall=demo_file.hall.code)
    services = Services(engine, settings, system_clock)
    server = serve(create_app(settings, services, ()))
    try:
        yield server, services, demo_file.hall.code
    finally:
        server.stop()
        services.runner.wait_idle(10)
        engine.dispose()


def _shot(page: Page, name: str) -> None:
    directory = os.environ.get("HALLQ_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"booking-{name}.png"), full_page=True)


def _book(page: Page, *, shots: bool) -> str:
    """Choose the first bookable matter, read it, take the first free slot, identify; the code."""
    page.locator("#matters button").first.click()
    expect(page.locator("#disclosures dt")).to_have_count(8)
    if shots:
        _shot(page, "2-disclosures")
    page.click("#to-slots")
    free = page.locator("#slots button:not([disabled])").first
    expect(free).to_be_visible()
    if shots:
        _shot(page, "3-slots")
    free.click()
    page.fill("#name", "张三")
    page.fill("#id-number", ID_NUMBER)
    page.fill("#phone", "13812345678")
    if shots:
        _shot(page, "4-identify")
    page.click("#submit")
    expect(page.locator("#done-title")).to_have_text("预约成功")
    expect(page.locator("#qr")).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    assert page.locator("#id-number").input_value() == ""  # the ID is not left in the form
    return page.locator("#code").inner_text()


def test_a_citizen_books_cancels_and_books_again_on_a_phone(
    browser: Browser, demo: tuple[RunningServer, Services, str]
) -> None:
    server, services, code = demo
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/book?hall={code}")
        expect(page.locator("#matters button").first).to_be_visible()
        _shot(page, "1-matters")
        first = _book(page, shots=True)
        _shot(page, "5-booked")
        page.click("#cancel")
        page.click("#cancel-yes")
        expect(page.locator("#done-title")).to_have_text("预约已取消")
        _shot(page, "6-cancelled")
        page.click("#again")
        second = _book(page, shots=False)
        assert second != first
        booked_at = page.locator("#done-facts dd").nth(1).inner_text()
        page.click("#reschedule")
        page.locator("#slots button:not([disabled])").first.click()
        expect(page.locator("#done-title")).to_have_text("改约成功")
        expect(page.locator("#code")).to_have_text(second)  # the code stays
        assert page.locator("#done-facts dd").nth(1).inner_text() != booked_at
        page.click("#tab-mine")
        page.fill("#find-code", second)
        page.fill("#find-id", ID_NUMBER)
        page.locator("#find button[type=submit]").click()
        expect(page.locator("#done-title")).to_have_text("我的预约")
        expect(page.locator("#code")).to_have_text(second)
        page.click("#large")
        expect(page.locator("body")).to_have_class(re.compile("large"))
        _shot(page, "7-found-large-text")
    finally:
        context.close()
    with Session(services.engine) as s:
        rows = s.exec(select(Appointment)).all()
    assert sorted((f"YY{r.code}", r.state) for r in rows) == sorted(
        [(first, "cancelled"), (second, "booked")]
    )
    assert all(r.id_hash and ID_NUMBER not in r.id_hash for r in rows)
