"""Materials captured at the kiosk, end to end: the document-camera simulator gives the kiosk two
pages for 户口迁移 (A01), the citizen confirms them (one after a retake), the kiosk takes the ticket over
MQTT and uploads the pages over HTTP with the ticket's token; the counter console (Debian's Chromium)
shows them beside the checklist; the window marks one wrong with a reason; the visit is finished as a
补办件 and the one-time notice that comes out of the window's printer names the wrong page.

``HALLQ_SCREENSHOT_DIR`` keeps the console's pictures (``capture-console``, ``capture-marked``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from devices.camera import FolderCamera, write_sample_pages
from devices.printer import NetworkTransportConfig, PrinterConfig, open_printer
from devices.simulators import TcpPrinterSimulator
from harness.factories import PASSWORD
from kiosk.catalog import CatalogCache
from kiosk.clock import SystemClock
from kiosk.hardware import KioskPrinter
from kiosk.link import KioskLink
from kiosk.model import KioskModel, KioskSettings
from kiosk.outbox import Outbox
from kiosk.screens import CaptureScreen, HomeScreen, MissingScreen, OptionsScreen, TicketScreen
from kiosk.uploads import HttpUploader, KioskCamera
from tests.devices.escpos_decoder import texts
from tests.e2e.conftest import Hall
from tests.kiosk.conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.broker]

STEADY = KioskSettings(issue_timeout_s=2.0, issue_attempts=3, probe_timeout_s=3.0)
REASON = "复印件不清晰"


@pytest.fixture
def kiosk(hall: Hall, tmp_path: Path) -> Iterator[tuple[KioskModel, FolderCamera]]:
    """Kiosk 1 of the hall with its ticket printer and the document-camera simulator."""
    camera = FolderCamera(tmp_path / "camera")
    write_sample_pages(camera.folder, 2)
    with TcpPrinterSimulator() as sim:
        config = PrinterConfig(transport=NetworkTransportConfig(host=sim.host, port=sim.port))
        printer = KioskPrinter(open_printer(config), "kiosk-1")
        link = KioskLink(hall.code, "kiosk-1", boot=1, broker=hall.broker, health=dict)
        outbox = Outbox(tmp_path / "outbox.sqlite")
        model = KioskModel(
            server=link,
            catalog=CatalogCache(tmp_path / "catalog.json"),
            outbox=outbox,
            printer=printer,
            clock=SystemClock(),
            settings=STEADY,
            camera=KioskCamera.folder(camera),
            uploader=HttpUploader(hall.url),
        )
        undo = [link.follow_state(model.hall_state), link.follow_config(model.device_config)]
        undo.append(link.on_connection(model.connection))
        link.start()
        try:
            assert link.wait_connected(5.0)
            model.start()
            yield model, camera
        finally:
            for u in undo:
                u()
            link.stop()
            outbox.close()
            printer.close()


def test_two_pages_from_the_kiosk_to_the_one_time_notice(
    hall: Hall, kiosk: tuple[KioskModel, FolderCamera], browser: Browser
) -> None:
    model, camera = kiosk
    number = _capture_and_take_a_ticket(model, camera)
    page = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
    _serve(hall, page, number)
    _mark_the_second_page_wrong(hall, page)
    case_no = _finish_as_supplement(page)
    printed = hall.printer.core.wait_output(lambda out: b"\x1dV" in out)
    paper = "".join(texts(printed))
    assert "一次性告知书" in paper and case_no in paper
    assert "居民身份证" in paper and f"第1页不符合要求：{REASON}" in paper


def _capture_and_take_a_ticket(model: KioskModel, camera: FolderCamera) -> str:
    wait_for(lambda: isinstance(model.screen, HomeScreen) and bool(model.screen.tiles), what="home")
    wait_for(lambda: model.catalog.matter("A01") is not None, what="the catalogue")
    model.open_service("A")
    model.open_matter("A01")
    model.start_materials()
    model.toggle_material("A01-M1")  # 居民户口簿
    model.toggle_material("A01-M2")  # 居民身份证
    model.materials_done()
    assert isinstance(model.screen, MissingScreen)  # 准予迁入证明 not brought
    model.queue_anyway()
    first = model.screen
    assert isinstance(first, CaptureScreen) and (first.material_name, first.index, first.total) == (
        "居民户口簿",
        1,
        2,
    )
    model.capture_page()
    model.capture_page()  # a retake: the second picture replaces the first
    model.confirm_page()
    model.next_material()
    second = model.screen
    assert isinstance(second, CaptureScreen) and second.material_name == "居民身份证"
    model.capture_page()
    model.confirm_page()
    model.next_material()
    assert isinstance(model.screen, OptionsScreen)
    assert camera.grabs == 3
    model.take_ticket()
    wait_for(lambda: isinstance(model.screen, TicketScreen), what="the ticket")
    ticket = model.screen
    assert isinstance(ticket, TicketScreen)
    assert "已上传材料图片 2 页" in ticket.message
    return ticket.ticket.number


def _serve(hall: Hall, page: Page, number: str) -> None:
    page.goto(hall.url + "/console")
    page.fill("#login-name", "zhang")
    page.fill("#login-password", PASSWORD)
    page.select_option("#login-window", "1")
    page.click("#login-submit")
    expect(page.locator(f'#next li[data-ticket="{number}"]')).to_be_visible()
    page.keyboard.press("n")
    expect(page.locator("#current-number")).to_have_text(number)
    page.keyboard.press("s")
    expect(page.locator("#window-status")).to_have_attribute("data-status", "serving")
    pages = page.locator("#current-pages li")
    expect(pages.locator(".caption")).to_have_text(["居民户口簿 · 第1页", "居民身份证 · 第1页"])
    for img in pages.locator("img").all():  # the pictures themselves arrived and decoded
        expect(img).to_have_js_property("complete", True)
        assert img.evaluate("i => i.naturalWidth") > 100
    hall.screenshot(page, "capture-console")


def _mark_the_second_page_wrong(hall: Hall, page: Page) -> None:
    second = page.locator('#current-pages li[data-material="A01-M2"]')
    second.locator('button[data-act="mark"]').click()
    expect(page.locator("#dlg-wrong")).to_be_visible()
    page.fill("#wrong-reason", REASON)
    page.click("#wrong-submit")
    expect(second).to_have_class("wrong")
    expect(second.locator(".reason")).to_have_text(f"有误：{REASON}")
    hall.screenshot(page, "capture-marked")


def _finish_as_supplement(page: Page) -> str:
    page.keyboard.press("f")
    expect(page.locator("#dlg-finish")).to_be_visible()
    page.check("#type-supplement")
    expect(page.locator('#missing input[value="A01-M2"]')).to_be_checked()  # its page was wrong
    expect(page.locator('#missing input[value="A01-M3"]')).to_be_checked()  # not brought
    page.click("#finish-submit")
    notice = page.locator('#last-case li[data-document="one_time_notice"]')
    expect(notice.locator(".print-status")).to_have_text("已打印")
    case_no = page.locator("#last-case").get_attribute("data-case")
    assert case_no is not None
    return case_no
