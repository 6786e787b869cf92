"""The document camera at the kiosk: the capture step between the materials and the ticket options,
skipped without a camera; a failed capture and a failed upload in the citizen's words; the capture
screens drawn by Kivy under Xvfb (``--camera-folder``) with every Chinese character a real glyph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from devices.camera import FolderCamera, write_sample_pages
from kiosk.demo_server import DemoServer
from kiosk.flows.capture import CAPTURE_FAILED_TEXT, UPLOAD_FAILED_TEXT
from kiosk.screens import CaptureScreen, OptionsScreen, TicketScreen
from kiosk.uploads import HttpUploader, KioskCamera, upload_target
from tests.conftest import MosquittoBroker, free_port

from .conftest import KioskFactory, wait_for
from .helpers import home_ready, to_options_via_materials
from .test_kiosk_app import run_kiosk


def test_without_a_camera_the_materials_lead_to_the_options(
    demo: DemoServer, kiosk_factory: KioskFactory
) -> None:
    k = kiosk_factory()
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)
    assert isinstance(k.model.screen, OptionsScreen)
    assert not k.model.capture_flow.available


def test_a_failed_capture_and_a_failed_upload_are_said_plainly(
    demo: DemoServer, kiosk_factory: KioskFactory, tmp_path: Path
) -> None:
    camera = FolderCamera(tmp_path / "camera")  # empty: the camera gives nothing
    refused = HttpUploader(f"http://127.0.0.1:{free_port()}", timeout_s=2.0)  # nobody listens there
    k = kiosk_factory(camera=KioskCamera.folder(camera), uploader=refused)
    wait_for(lambda: home_ready(k.model))
    to_options_via_materials(k.model)  # ID, HUKOU and FORM-A1 ticked: three to photograph
    screen = k.model.screen
    assert isinstance(screen, CaptureScreen) and (screen.material_name, screen.total) == ("居民身份证原件", 3)
    k.model.capture_page()
    failed = k.model.screen
    assert (
        isinstance(failed, CaptureScreen) and failed.message == CAPTURE_FAILED_TEXT and failed.preview is None
    )
    write_sample_pages(camera.folder, 1)
    k.model.capture_page()
    k.model.confirm_page()
    k.model.skip_capture()  # the other two not photographed
    assert isinstance(k.model.screen, OptionsScreen)
    k.model.take_ticket()
    ticket = k.model.screen
    assert isinstance(ticket, TicketScreen) and ticket.printed
    assert UPLOAD_FAILED_TEXT in ticket.message  # the ticket stands; the window sees the originals


def test_the_upload_goes_to_the_configured_server_with_the_tickets_token() -> None:
    url = "https://portal.example.gov.cn/hall/t/AbC_12-x"
    assert upload_target(url, None) == ("https://portal.example.gov.cn", "AbC_12-x")
    assert upload_target(url, "http://10.0.0.5:8000/") == ("http://10.0.0.5:8000", "AbC_12-x")
    with pytest.raises(ValueError, match="citizen URL"):
        upload_target("", None)


CAPTURE_SHOTS = ("capture_place", "capture_confirm", "capture_saved", "capture_options")


@pytest.mark.screen
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_capture_screenshots_in_chinese_without_tofu(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    args = ["--hall", hall_code, "--broker", broker.url, "--device-id", "kiosk-capture"]
    args += ["--data-dir", str(tmp_path / "data"), "--simulate-devices", "--demo-server"]
    args += ["--camera-folder", str(tmp_path / "camera"), "--screenshot", str(shots)]
    proc = run_kiosk(args, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((shots / "report.json").read_text())
    assert report["ok"], report["error"]
    assert sorted(report["shots"]) == sorted(CAPTURE_SHOTS)
    for name in CAPTURE_SHOTS:
        assert report["glyphs"][name]["tofu"] == [], name
        with Image.open(shots / f"{name}.png") as image:
            assert image.size == (1080, 1920)
    assert len(list((tmp_path / "camera").glob("*.png"))) == 2  # the sample pages the simulator wrote
