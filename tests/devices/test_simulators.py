"""The simulators themselves: the realtime splitter and the whole-hall bundle."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from devices.escpos import commands as c
from devices.keypad import Key, Keypad, KeyPress
from devices.printer import PaperLayout, PrinterStatus, open_printer, render_ticket
from devices.ratingpad import Rating, RatingPad
from devices.scanner import OtherScan, Scan, Scanner
from devices.sign import SignDisplay, SignStatus, WindowSign
from devices.simulators import RealtimeSplitter, SimulatedDevices
from harness.waiting import eventually, scaled
from tests.devices.conftest import make_ticket


def test_splitter_finds_queries_between_commands_even_in_pieces() -> None:
    job = c.ESC_INIT + c.feed_lines(0x10) + b"\x04\x01" + c.STATUS_QUERY + b"text\n"
    splitter = RealtimeSplitter()
    printed = bytearray()
    queries: list[int] = []
    for byte in job:
        out, q = splitter.feed(bytes([byte]))
        printed += out
        queries += q
    assert queries == [1, 2, 4]  # ESC d 16 followed by 04 01 is not a query
    assert bytes(printed) == c.ESC_INIT + c.feed_lines(0x10) + b"\x04\x01" + b"text\n"


def test_splitter_skips_raster_and_qr_data() -> None:
    data = bytes([0x10, 0x04, 0x01]) * 4
    job = c.raster(4, 3, data) + c.qr(b"\x10\x04\x02") + c.status_query(4)
    out, queries = RealtimeSplitter().feed(job)
    assert queries == [4]
    assert out == c.raster(4, 3, data) + c.qr(b"\x10\x04\x02")


def test_image_ticket_through_the_splitter_is_untouched() -> None:
    job = render_ticket(make_ticket(), PaperLayout.mm80(chinese_mode="image", qr_mode="image"))
    out, queries = RealtimeSplitter().feed(job)
    assert (out, queries) == (job, [])


def test_bundle_gives_working_configs(tmp_path: Path) -> None:
    with SimulatedDevices(tmp_path / "devices", windows=("3",)) as hall:
        assert set(hall.describe()) >= {"printer", "scanner", "window 3 sign"}
        for transport in ("network", "serial"):
            with open_printer(hall.printer_config(transport=transport)) as printer:
                assert printer.status() is PrinterStatus.OK

        scans: queue.Queue[Scan] = queue.Queue()
        with Scanner(hall.scanner_port(), scans.put) as scanner:
            assert scanner.wait_connected(scaled(5))
            hall.scanner.scan("6901234567892")
            assert scans.get(timeout=scaled(5)) == OtherScan("6901234567892")

        devices = hall.windows["3"]
        ratings: queue.Queue[Rating] = queue.Queue()
        with RatingPad(hall.rating_pad_port("3"), ratings.put, prompt_guard_s=0.0) as pad:
            assert pad.wait_connected(scaled(5))
            pad.prompt("v1")
            devices.rating_pad.wait_for(lambda: devices.rating_pad.lights_on)
            devices.rating_pad.press(4)
            assert ratings.get(timeout=scaled(5)) == Rating("v1", 4)

        with WindowSign(hall.sign_config("3")) as sign:
            assert sign.wait_connected(scaled(5))
            sign.show(SignDisplay("3", SignStatus.CALLING, "B007"))
            assert devices.sign.text == "请B007号到3号窗口办理"

        keys: queue.Queue[KeyPress] = queue.Queue()
        with Keypad(hall.keypad_port("3"), keys.put) as keypad:
            assert keypad.wait_connected(scaled(5))
            devices.keypad.press(Key.NEXT)
            assert keys.get(timeout=scaled(5)) == KeyPress(Key.NEXT)
    assert not (tmp_path / "devices" / "scanner").exists()
    eventually(
        lambda: not [t for t in threading.enumerate() if t.name.startswith(("sim-", "serial-"))],
        what="every simulator thread ended",
    )
