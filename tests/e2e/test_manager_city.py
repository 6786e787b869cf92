"""City and county managers in Debian's Chromium: a city of six halls (市 → 2 县 → 3 乡) in one SQLite
database behind a real uvicorn. The city's manager signs in at the city, the hall switcher lists every
hall below it indented by level, switching opens a township's live overview, and the city's
comparison of halls shows each county's subtotal (the sum of its halls' rows). A township's manager
sees only their own hall in the switcher, and the API refuses them the county."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from harness.factories import PASSWORD, HallFixture, build_hall, make_settings
from queue_server.api import create_app
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services import Services, system_clock
from tests.web.server import RunningServer, serve

pytestmark = [pytest.mark.browser]

# name in the test → (level, parent, hall name, tickets issued today)
TREE = {
    "city": ("city", None, "江城市政务服务中心", 1),
    "east": ("county", "city", "东县政务服务中心", 2),
    "east1": ("township", "east", "东一乡便民服务中心", 3),
    "east2": ("township", "east", "东二乡便民服务中心", 4),
    "west": ("county", "city", "西县政务服务中心", 5),
    "west1": ("township", "west", "西一乡便民服务中心", 6),
}


@dataclass
class CityServer:
    codes: dict[str, str]
    halls: dict[str, HallFixture]  # each hall's own services on a fake clock, for its alerts
    server: RunningServer

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def city(tmp_path: Path, hall_code: str) -> Iterator[CityServer]:
    url = f"sqlite:///{tmp_path / 'hallq.db'}"
    codes = {name: f"{hall_code}-{name}" for name in TREE}
    built: dict[str, HallFixture] = {}
    for name, (level, parent, title, _n) in TREE.items():
        above = codes[parent] if parent else None
        built[name] = build_hall(
            url, code=codes[name], migrate=not built, level=level, name=title, parent=above
        )
    # The server of the city, on the real clock: the pages ask for this month, as a manager would.
    services = Services(built["city"].engine, make_settings(hall=codes["city"]), system_clock)
    for name, (*_rest, tickets) in TREE.items():
        for n in range(tickets):
            args = TicketIssueArgs(service="A")
            services.issue_ticket(codes[name], args, request_id=f"c-{name}-{n}", device_id="kiosk-1")
    server = serve(create_app(services.settings, services))
    try:
        yield CityServer(codes, built, server)
    finally:
        server.stop()
        for hall in built.values():
            hall.close()


def _signed_in(browser: Browser, city: CityServer, page_hall: str, home: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.goto(f"{city.url}/console/overview?hall={city.codes[page_hall]}")
    expect(page.locator("#login-hall-box")).to_be_visible()
    page.select_option("#login-hall", city.codes[home])
    page.fill('#login-form input[name="login"]', "manager")
    page.fill('#login-form input[name="password"]', PASSWORD)
    page.click('#login-form button[type="submit"]')
    expect(page.locator("#main")).to_be_visible()
    expect(page.locator("#hall-switch-box")).to_be_visible()
    return context, page


def test_a_city_manager_switches_to_a_township_and_compares_the_counties(
    browser: Browser, city: CityServer
) -> None:
    context, page = _signed_in(browser, city, "city", "city")
    options = page.locator("#hall-switch option")
    expect(options).to_have_count(len(TREE))
    # Tree order, indented by level (one ideographic space per level below the city).
    texts = options.all_text_contents()
    assert texts == [
        "江城市政务服务中心（市）",
        "\u3000东县政务服务中心（县）",
        "\u3000\u3000东一乡便民服务中心（乡）",
        "\u3000\u3000东二乡便民服务中心（乡）",
        "\u3000西县政务服务中心（县）",
        "\u3000\u3000西一乡便民服务中心（乡）",
    ]
    expect(page.locator('#totals [data-total="issued"] .value')).to_have_text("1")
    _screenshot(page, "40-city-manager-switcher")

    # A window of the township paused past its limit: the township's supervision raises an alert.
    east2 = city.halls["east2"]
    east2.services.pause(east2.code, "1", "临时离开", actor=east2.open_window("1", "zhang"), request_id="p-1")
    east2.clock.advance(minutes=16)
    east2.services.supervision.evaluate(east2.code)

    page.select_option("#hall-switch", city.codes["east2"])
    expect(page).to_have_url(f"{city.url}/console/overview?hall={city.codes['east2']}")
    expect(page.locator("#hall-name")).to_have_text("东二乡便民服务中心")
    expect(page.locator('#totals [data-total="issued"] .value')).to_have_text("4")
    expect(page.locator("#hall-switch")).to_have_value(city.codes["east2"])
    expect(page.locator("#live")).to_have_text("● 实时连接正常")  # the township's live channel
    # Its alert is read here, acknowledged by the township's own managers (no note form from above).
    alert = page.locator('#alerts .alert[data-kind="window_paused_too_long"]')
    expect(alert.locator(".pending")).to_have_text("待该大厅值班长确认")
    expect(alert.locator("form.ack")).to_have_count(0)
    # Case supervision is of one's own hall: its link opens the city's.
    manage = page.locator('.bar nav.pages a[href^="/console/manage"]')
    expect(manage).to_have_attribute("href", f"/console/manage?hall={city.codes['city']}")

    page.goto(f"{city.url}/console/stats?hall={city.codes['city']}")
    expect(page.locator("#main")).to_be_visible()
    page.select_option("#group", "hall")
    subtotals = page.locator("#stats-table tr.subtotal")
    # The first report of the run may start the statistics worker (a process importing the report
    # code): over 5 s once with the whole suite and Chromium on the machine's two cores.
    expect(subtotals).to_have_count(2, timeout=20_000)
    issued = _column(page, "取号")
    rows = page.locator("#stats-table tbody tr")
    labels = [r.locator("td").first.inner_text() for r in rows.all()]
    assert labels == [
        "江城市政务服务中心",
        "东县政务服务中心",
        "东一乡便民服务中心",
        "东二乡便民服务中心",
        "东县政务服务中心 小计",
        "西县政务服务中心",
        "西一乡便民服务中心",
        "西县政务服务中心 小计",
    ]
    values = {
        label: int(r.locator("td").nth(issued).inner_text())
        for label, r in zip(labels, rows.all(), strict=True)
    }
    assert (
        values["东县政务服务中心 小计"]
        == sum(values[n] for n in ("东县政务服务中心", "东一乡便民服务中心", "东二乡便民服务中心"))
        == 2 + 3 + 4
    )
    assert (
        values["西县政务服务中心 小计"] == values["西县政务服务中心"] + values["西一乡便民服务中心"] == 5 + 6
    )
    _screenshot(page, "41-city-comparison-subtotals")
    expect(page.locator("#stats-table tfoot td").nth(issued)).to_have_text(
        str(sum(t[3] for t in TREE.values()))
    )
    context.close()


def _screenshot(page: Page, name: str) -> None:
    """As ``tests/e2e/conftest.py`` ``Hall.screenshot``: saved when ``HALLQ_SCREENSHOT_DIR`` is set."""
    directory = os.environ.get("HALLQ_SCREENSHOT_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


def _column(page: Page, header: str) -> int:
    headers = page.locator("#stats-table thead th").all_text_contents()
    return headers.index(header)


def test_a_township_manager_sees_only_their_hall_and_the_county_is_refused(
    browser: Browser, city: CityServer
) -> None:
    context, page = _signed_in(browser, city, "east1", "east1")
    expect(page.locator("#hall-switch option")).to_have_count(1)
    expect(page.locator("#hall-switch option")).to_have_text("东一乡便民服务中心（乡）")
    expect(page.locator("#hall-switch")).to_be_disabled()
    expect(page.locator('#totals [data-total="issued"] .value')).to_have_text("3")
    for name in ("east", "city", "east2"):
        reply = page.request.get(f"{city.url}/api/halls/{city.codes[name]}/overview")
        assert (reply.status, reply.json()["code"]) == (403, "not_authorized"), name
    page.goto(f"{city.url}/console/overview?hall={city.codes['east']}")  # a county page typed in by hand
    expect(page.locator("#message")).to_contain_text("您无权查看该大厅")
    context.close()
