"""Statistics in Debian's Chromium: a manager opens this month's statistics, sees the charts (ECharts,
served by the hall's server) and the numbers table, and downloads the table as xlsx and CSV from the
page's own links; the files' totals are the API's. Then the staff evaluation and one person's sheet."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from queue_server.stats.export import COLUMNS
from tests.e2e.conftest import Hall
from tests.e2e.managers import a_small_day, manager_page

pytestmark = [pytest.mark.browser, pytest.mark.broker]

FIELD_OF = {header: field for field, header in COLUMNS}
GROWING = "idle_waiting_minutes"


def _download(page: Page, link: str, suffix: str) -> bytes:
    """What the browser saves when the manager clicks ``link``."""
    with page.expect_download() as info:
        page.click(link)
    assert info.value.suggested_filename.endswith(suffix)
    return Path(info.value.path()).read_bytes()


def _a4_pages(page: Page) -> int:
    """How many pages the page prints on, checking each is A4 (595 × 842 points)."""
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = {
        tuple(round(float(v)) for v in box.split()) for box in re.findall(rb"/MediaBox\s*\[([^\]]+)\]", pdf)
    }
    assert boxes == {(0, 0, 595, 842)}
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def _totals(header: list[Any], rows: list[list[Any]]) -> dict[str, Any]:
    """The 合计 line of a downloaded table, by the API's field names."""
    total = next(line for line in rows if line[0] == "合计")
    return {FIELD_OF[h]: v for h, v in zip(header, total, strict=True) if h in FIELD_OF}


def test_a_month_of_statistics_exported_to_xlsx_and_csv_totals_the_apis(hall: Hall, browser: Browser) -> None:
    a_small_day(hall)
    page = manager_page(hall, browser, "/console/stats")
    expect(page.locator('[data-preset="month"]')).to_have_class("active")
    date_from, date_to = page.input_value("#date-from"), page.input_value("#date-to")
    assert date_from.endswith("-01") and date_from[:7] == date_to[:7]
    api = page.request.get(
        f"{hall.url}/api/halls/{hall.code}/stats?date_from={date_from}&date_to={date_to}&group=service"
    ).json()
    assert api["total"]["issued"] == 9

    table = page.locator("#stats-table table")
    expect(table.locator("tbody tr")).to_have_count(len(api["rows"]))
    expect(table.locator("tbody tr").first).to_contain_text(api["rows"][0]["label"])
    expect(table.locator("tfoot tr td").nth(1)).to_have_text(str(api["total"]["issued"]))
    expect(table.locator("thead")).to_contain_text("空闲有人等候（分）")  # and the guide desk's 咨询
    expect(table.locator("thead")).to_contain_text("咨询")
    expect(page.locator("#chart-volume svg")).to_be_visible()
    expect(page.locator("#chart-heatmap svg")).to_be_visible()
    expect(page.locator("#heat-table tbody tr")).to_have_count(7)

    book = load_workbook(io.BytesIO(_download(page, "#stats-export-xlsx", ".xlsx")), read_only=True)
    sheet = book.worksheets[0]
    lines = [list(line) for line in sheet.iter_rows(values_only=True)]
    xlsx_totals = _totals(lines[0], lines[1:])
    assert [line[0] for line in lines[1:-1]] == [row["label"] for row in api["rows"]]
    # Today's idle time with people waiting grows while a window stays idle with people waiting: the
    # download, made after the API's answer, holds at least as much; every other total is equal.
    assert xlsx_totals.pop(GROWING) >= api["total"][GROWING]
    for field, value in xlsx_totals.items():
        assert value == api["total"][field], field
    assert xlsx_totals["issued"] == 9 and xlsx_totals["served"] == api["total"]["served"] == 3

    text = _download(page, "#stats-export-csv", ".csv").decode("utf-8-sig")
    lines_csv = list(csv.reader(io.StringIO(text, newline="")))
    csv_totals = _totals(lines_csv[0], lines_csv[1:])
    assert float(csv_totals.pop(GROWING)) >= api["total"][GROWING]
    for field, value in csv_totals.items():
        expected = api["total"][field]
        assert value == ("" if expected is None else str(expected)), field

    # The print view: the report on A4, the heatmap on a page of its own.
    assert _a4_pages(page) == 2

    page.select_option("#group", "hour")  # another grouping, the same total
    expect(table.locator("tbody tr").first).to_contain_text(":00–")
    expect(table.locator("tfoot tr td").nth(1)).to_have_text("9")
    page.context.close()


def test_the_staff_evaluation_and_a_persons_sheet(hall: Hall, browser: Browser) -> None:
    a_small_day(hall)
    page = manager_page(hall, browser, "/console/evaluation")
    zhang = page.locator('#evaluation tr[data-staff="zhang"]')
    expect(zhang).to_contain_text("张三")
    href = page.get_attribute("#evaluation-export-xlsx", "href")
    assert (
        href is not None
        and href.startswith(f"/api/halls/{hall.code}/stats/evaluation?")
        and "format=xlsx" in href
    )
    expect(page.locator("#qualifications tbody tr")).not_to_have_count(0)
    expect(page.locator("#qualifications")).to_contain_text("已过期")  # wang's ended in 2020

    zhang.locator("button").click()
    sheet = page.locator("#sheet")
    expect(sheet.locator("h1")).to_have_text("测试市民大厅 窗口工作人员考核表")
    expect(sheet.locator('tr:has(th:text-is("姓名")) td')).to_have_text("张三")
    served = sheet.locator('tr:has(th:text-is("办结")) td')
    expect(served).to_have_text("2")  # two of the three finished visits were at zhang's window
    # Printed (the page's print button adds this class, then opens the dialog): one A4 page.
    page.evaluate("document.body.classList.add('print-sheet')")
    assert _a4_pages(page) == 1
    page.context.close()
