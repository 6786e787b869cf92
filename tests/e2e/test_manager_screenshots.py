"""Screenshots of the managers' pages: the live overview, statistics (with its print view), the staff
evaluation and one person's A4 sheet.

    HALLQ_SCREENSHOT_DIR=shots/manager .venv/bin/pytest -m browser tests/e2e/test_manager_screenshots.py

writes them (PNG) to that directory; without the variable the pages are still driven and checked.
What matters in a picture: the Chinese is drawn with the machine's CJK font (WenQuanYi Micro Hei on
Debian), the charts are drawn, the tables are readable, and the print view fits A4.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Hall
from tests.e2e.managers import a_small_day, manager_page

pytestmark = [pytest.mark.browser, pytest.mark.broker]

# An A4 page at 96 px per inch, less the print margins (dashboard.css, @page): what a printed page is wide.
A4_WIDTH_PX = 794


def test_manager_screenshots(hall: Hall, browser: Browser) -> None:
    a_small_day(hall)
    kiosk = hall.device("kiosk-1", "kiosk")
    assert kiosk.link.wait_connected(5.0)

    page = manager_page(hall, browser, "/console/overview")
    expect(page.locator('#windows tr[data-window="2"] .status')).to_have_attribute("data-status", "serving")
    expect(page.locator('#devices tr[data-device="kiosk-1"] .status')).to_have_text("在线")
    _cjk_font(page)
    hall.screenshot(page, "21-manager-overview")

    page.goto(hall.url + "/console/stats")
    expect(page.locator("#stats-table table, #stats-table .unavailable-note").first).to_be_visible()
    _charts_drawn(page)
    hall.screenshot(page, "22-manager-statistics")
    page.select_option("#group", "hour")
    expect(page.locator("#stats-table table, #stats-table .unavailable-note").first).to_be_visible()
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
    hall.screenshot(page, "23-manager-statistics-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.goto(hall.url + "/console/evaluation")
    expect(page.locator("#evaluation table, #evaluation .unavailable-note").first).to_be_visible()
    hall.screenshot(page, "24-manager-evaluation")
    sheet = page.locator('#evaluation tr[data-staff="zhang"] button')
    if sheet.count():
        sheet.click()
        expect(page.locator("#sheet h1")).to_contain_text("考核表")
        page.evaluate("document.body.classList.add('print-sheet')")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_WIDTH_PX, "height": 1123})
        hall.screenshot(page, "25-manager-evaluation-sheet-a4")
    page.context.close()


def _cjk_font(page: Page) -> None:
    """The Chinese text is drawn with a CJK font the machine has, not with boxes."""
    drawn = page.evaluate("document.fonts.check('16px \"WenQuanYi Micro Hei\"', '大厅总览')")
    assert drawn, "WenQuanYi Micro Hei is not available to Chromium (fonts-wqy-microhei)"


def _charts_drawn(page: Page) -> None:
    if page.locator(".vendor-missing").count():
        return  # the page says the library is missing; test_manager_pages.py checks it is installed
    expect(page.locator("#chart-volume svg")).to_be_visible()
    expect(page.locator("#chart-heatmap svg")).to_be_visible()
