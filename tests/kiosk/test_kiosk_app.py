"""The real Kivy app under Xvfb: a scripted finger takes a ticket, and the screens are photographed.

Each test starts ``hallq kiosk`` in a subprocess under ``xvfb-run`` (a 1080×1920 virtual screen, real
OpenGL through Mesa) with a timeout; taps are real touches dispatched through Kivy's input loop.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from devices.simulators import TcpPrinterSimulator
from queue_server.protocol.messages import TicketResult
from tests import xvfb
from tests.conftest import MosquittoBroker
from tests.devices.escpos_decoder import Cut, events_of, texts

from .real_server import real_server, ticket_count

pytestmark = [
    pytest.mark.screen,
    pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed"),
]

XVFB = [*xvfb.xvfb_run_prefix(), "-s", "-screen 0 1080x1920x24"]


def run_kiosk(args: list[str], tmp_path: Path, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "KIVY_GL_BACKEND")}
    env["KIVY_HOME"] = str(tmp_path / "kivy-home")
    argv = [*XVFB, *xvfb.hallq_probing_kivy_import(tmp_path, "kiosk", "--no-voice", *args)]
    done = xvfb.run(argv, env=env, timeout=timeout)
    xvfb.assert_kivy_imported_alone(tmp_path, done.stderr[-3000:])
    return done


TICKET_SCRIPT: list[dict[str, Any]] = [
    {"wait": "home"},
    {"matter": "A01"},  # a citizen can tap before the catalog arrives; this script wants the matter page
    {"tap": "service:A"},
    {"wait": "service"},
    {"tap": "matter:A01"},
    {"wait": "matter"},
    {"tap": "start_materials"},
    {"wait": "materials"},
    {"tap": "material:A01-M1"},
    {"tap": "material:A01-M2"},
    {"tap": "materials_done"},
    {"wait": "missing"},
    {"tap": "queue_anyway"},
    {"wait": "options"},
    {"tap": "take_ticket"},
    {"wait": "ticket"},
]


def test_a_tap_sequence_takes_one_ticket_from_the_real_server_even_when_the_reply_is_lost(
    fresh_broker: MosquittoBroker, hall_code: str, tmp_path: Path
) -> None:
    restarted = threading.Event()

    def restart_broker(_ticket: TicketResult) -> None:
        # The ticket is committed; the broker dies before the kiosk gets the reply.
        if not restarted.is_set():
            restarted.set()
            fresh_broker.restart(down_for=0.3)

    printer = TcpPrinterSimulator().start()
    try:
        with real_server(fresh_broker.address, hall_code, tmp_path, after_issue=restart_broker) as (hall, _):
            script = tmp_path / "script.json"
            script.write_text(json.dumps(TICKET_SCRIPT))
            report_path = tmp_path / "report.json"
            proc = run_kiosk(
                [
                    "--hall",
                    hall_code,
                    "--broker",
                    fresh_broker.url,
                    "--device-id",
                    "kiosk-1",
                    "--data-dir",
                    str(tmp_path / "data"),
                    "--printer",
                    f"tcp://{printer.host}:{printer.port}",
                    "--drive",
                    str(script),
                    "--report",
                    str(report_path),
                ],
                tmp_path,
            )
            assert proc.returncode == 0, proc.stderr[-3000:]
            report = json.loads(report_path.read_text())
            assert report["ok"], report["error"]
            assert report["tickets"] == ["A001"] and report["ticket_printed"] == [True]
            assert restarted.is_set()
            assert ticket_count(hall) == 1  # the server holds exactly one ticket

        out = printer.core.wait_output(lambda b: b"\x1dV" in b)
        lines = texts(out)
        assert lines.count("A001") == 1
        assert "测试市民大厅" in lines
        assert any("居民户口簿" in line for line in lines)
        assert len(events_of(out, Cut)) == 1
    finally:
        printer.stop()


SHOTS = ("home", "matter", "materials", "ticket", "out_of_service")


def test_screenshots_show_every_screen_in_chinese_without_tofu(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    proc = run_kiosk(
        [
            "--hall",
            hall_code,
            "--broker",
            broker.url,
            "--device-id",
            "kiosk-shots",
            "--data-dir",
            str(tmp_path / "data"),
            "--simulate-devices",
            "--demo-server",
            "--screenshot",
            str(shots),
        ],
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((shots / "report.json").read_text())
    assert report["ok"], report["error"]
    pictures = {}
    for name in SHOTS:
        glyphs = report["glyphs"][name]
        # Every Chinese character on the screen was drawn with a real glyph of the CJK font...
        assert glyphs["checked"] >= 10, name
        assert glyphs["tofu"] == [], name
        assert glyphs["fonts"] == ["CJK"], name
        # ...and the same check does catch boxes: with Kivy's stock Roboto nearly all are tofu.
        assert glyphs["control_tofu"] >= 0.9 * glyphs["control_checked"], name
        image = Image.open(shots / f"{name}.png").convert("RGB")
        assert image.size == (1080, 1920)
        colours = image.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 50, f"{name} looks blank"
        pictures[name] = image.tobytes()
    assert len(set(pictures.values())) == len(SHOTS)  # five different screens
