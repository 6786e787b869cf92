"""The Kivy screens, for real, under Xvfb with the CJK font: screenshots that must show Chinese, and
a running hall display fed by MQTT. Kivy runs in a subprocess (it owns the process: window, GL,
signal handlers), so this test process stays clean."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from harness.waiting import eventually, scaled
from queue_server.protocol import topics
from queue_server.protocol.client import MqttLink
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import DeviceStatus
from tests import xvfb
from tests.conftest import MosquittoBroker
from tests.display.cjk_check import CJK_FONT, Verdict, is_cjk, judge, render
from tests.display.helpers import FakeBridge
from tests.xvfb import XvfbRun

pytestmark = pytest.mark.skipif(not CJK_FONT.exists(), reason="fonts-wqy-microhei not installed")
SHOTS = {
    "hall-1920x1080": (1920, 1080),
    "hall-portrait-1080x1920": (1080, 1920),
    "hall-4k-3840x2160": (3840, 2160),
    "window-800x480": (800, 480),
    "window-1280x400": (1280, 400),
    "window-paused-800x480": (800, 480),
}


def kivy_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "KIVY_HOME": str(tmp_path / "kivy-home")}
    env.pop("KIVY_GL_BACKEND", None)  # never the mock backend (docs/design/FIELD-NOTES.md)
    return env


def hallq(screen: XvfbRun, tmp_path: Path, *args: str) -> list[str]:
    """``hallq display *args`` under Xvfb, noting which threads ran when it imported Kivy."""
    return screen.argv(*xvfb.hallq_probing_kivy_import(tmp_path, "display", *args))


def assert_chinese(shot: Image.Image, labels: list[dict[str, Any]], minimum: int) -> list[Verdict]:
    """Every visible label with Chinese in it is drawn as Chinese, not as boxes."""
    verdicts = []
    for label in labels:
        text = str(label["text"])
        x, y, w, h = label["box"]
        inside = x >= 0 and y >= 0 and x + w <= shot.width and y + h <= shot.height
        if not inside or not any(is_cjk(c) for c in text):
            continue  # the scrolling notice runs past the edge by design
        v = judge(shot, label)
        assert v is not None, f"{text!r}: nothing drawn"
        chars = [c for c in text if not c.isspace()]
        if sum(map(is_cjk, chars)) * 2 >= len(chars):
            assert v.match_cjk >= 0.45, f"{text!r} does not look like the CJK font: {v}"
            assert v.match_cjk >= v.match_tofu + 0.25, f"{text!r} looks like tofu boxes: {v}"
            assert v.max_cell_similarity < 0.7, f"{text!r}: different characters drawn alike: {v}"
        else:  # mostly digits and Latin, drawn alike by both fonts: it must still lean to the CJK one
            assert v.match_cjk >= v.match_tofu + 0.1, f"{text!r} looks like tofu boxes: {v}"
        verdicts.append(v)
    assert len(verdicts) >= minimum, f"only {len(verdicts)} Chinese labels found"
    return verdicts


def test_the_checker_itself_tells_tofu_from_chinese(tmp_path: Path) -> None:
    """A negative control: the same text drawn with Roboto (boxes) must fail the checks above."""
    from tests.display.cjk_check import roboto

    text = "综合受理"
    for font, chinese in ((CJK_FONT, True), (roboto(), False)):
        img = Image.new("RGB", (400, 120), (11, 31, 58))
        glyphs = render(text, font, 60)
        img.paste((255, 255, 255), (20, 20), glyphs)
        v = judge(img, {"text": text, "box": [0, 0, 400, 120], "font_size": 60})
        assert v is not None
        looks_chinese = v.match_cjk >= v.match_tofu + 0.25 and v.max_cell_similarity < 0.7
        assert looks_chinese is chinese, v


def test_screenshot_command_shows_rendered_chinese(xvfb_run: XvfbRun, tmp_path: Path) -> None:
    out = tmp_path / "shots"
    argv = hallq(xvfb_run, tmp_path, "--screenshot", str(out))
    proc = xvfb_run.run(argv, env=kivy_env(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    xvfb.assert_kivy_imported_alone(tmp_path)
    for name, size in SHOTS.items():
        png = out / f"{name}.png"
        assert png.exists(), f"{name} missing; stderr: {proc.stderr[-2000:]}"
        shot = Image.open(png)
        assert shot.size == size
        labels = json.loads((out / f"{name}.labels.json").read_text())["labels"]
        texts = [label["text"] for label in labels]
        if name.startswith("hall"):
            assert "请 A012 号 到 5 号窗口" in texts and "办理中" in texts
            assert_chinese(shot, labels, minimum=30)
        elif "paused" in name:
            assert "暂停服务：业务咨询" in texts
            assert_chinese(shot, labels, minimum=4)
        else:
            assert "A012" in texts and "请 A012 号" in texts and "工作人员  张*" in texts
            assert_chinese(shot, labels, minimum=5)


def snapshot_showing(pid: int, snaps: Path, text: str, timeout: float = 30.0) -> tuple[dict[str, Any], Path]:
    """Ask the running display (SIGUSR1) for snapshots, one at a time, until one has a label ``text``."""
    numbers = itertools.count(1)
    shown: list[str] = []  # what the latest snapshot showed, for the failure

    def next_snapshot() -> tuple[dict[str, Any], Path] | None:
        n = next(numbers)
        os.kill(pid, signal.SIGUSR1)
        body = whole_json(snaps / f"snapshot-{n}.labels.json")
        shown[:] = [str(label["text"]) for label in body["labels"]]
        return (body, snaps / f"snapshot-{n}.png") if text in shown else None

    try:
        found = eventually(next_snapshot, timeout, what=f"a snapshot showing {text!r}", interval=0.3)
    except AssertionError as failed:
        raise AssertionError(f"{failed}; the latest snapshot showed {shown}") from None
    assert found is not None
    return found


def whole_json(path: Path, timeout: float = 20.0) -> dict[str, Any]:
    """``path``'s JSON once it is there and whole (a snapshot writes it after the PNG, not atomically)."""
    body = eventually(
        lambda: json.loads(path.read_text()),
        timeout,
        what=f"a whole {path.name}",
        interval=0.05,
        ignoring=(FileNotFoundError, json.JSONDecodeError),
    )
    assert isinstance(body, dict)
    return body


def test_running_hall_display_shows_calls_from_mqtt(
    broker: MosquittoBroker, xvfb_run: XvfbRun, hall_code: str, voice_cache: Path, tmp_path: Path
) -> None:
    bridge = FakeBridge(hall_code, broker.address).start()
    bridge.call("A001", "1")
    statuses: list[DeviceStatus] = []
    watcher = MqttLink(f"watch-{hall_code}", broker.address)
    watcher.subscribe(
        topics.dev_status(hall_code, "hall-screen-k"),
        lambda m: statuses.append(decode(DeviceStatus, m.payload)) if m.payload else None,
    )
    watcher.start()
    snaps = tmp_path / "snaps"
    args = ["--device-id", "hall-screen-k", "--hall", hall_code, "--broker", broker.url, "--audio", "null"]
    args += ["--voice-cache", str(voice_cache), "--snapshot-dir", str(snaps), "--state-dir", str(tmp_path)]
    pipe = subprocess.PIPE
    env = kivy_env(tmp_path)
    argv = hallq(xvfb_run, tmp_path, *args)
    proc = subprocess.Popen(argv, env=env, stdout=pipe, stderr=pipe, start_new_session=True)
    try:
        eventually(lambda: any(s.state == "online" for s in statuses), 60, what="display online")
        xvfb.assert_kivy_imported_alone(tmp_path)
        assert statuses[-1].boot == 1 and statuses[-1].health.get("voice") == "ok"
        bridge.call("A012", "5")
        display_pid = xvfb_run.python_child(proc.pid)
        # Delivered, announced (silently, in real time) and painted on a later frame: soon, not at once.
        # The call in the spotlight:
        body, png = snapshot_showing(display_pid, snaps, "请 A012 号 到 5 号窗口")
        texts = [label["text"] for label in body["labels"]]
        assert "A012  →  5号窗口" in texts and "A001  →  1号窗口" in texts  # and in the list
        shot = Image.open(png)
        assert shot.size == (1920, 1080)
        assert_chinese(shot, body["labels"], minimum=8)
        os.kill(display_pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=scaled(30))
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
        eventually(lambda: statuses[-1].state == "offline", what="offline on the way out")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        for stream in (proc.stdout, proc.stderr):  # a failed check must not leak the pipes
            if stream is not None:
                stream.close()
            proc.wait(scaled(10))
        watcher.stop()
        bridge.stop()


def test_screenshots_of_a_live_hall(
    broker: MosquittoBroker, xvfb_run: XvfbRun, hall_code: str, tmp_path: Path
) -> None:
    bridge = FakeBridge(hall_code, broker.address).start()
    try:
        bridge.call("B007", "6")
        bridge.call("C031", "5")
        out = tmp_path / "live"
        args = ["--screenshot", str(out), "--live", "--hall", hall_code, "--broker", broker.url]
        proc = xvfb_run.run(hallq(xvfb_run, tmp_path, *args), env=kivy_env(tmp_path), timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        xvfb.assert_kivy_imported_alone(tmp_path)
        hall = json.loads((out / "hall-1920x1080.labels.json").read_text())["labels"]
        texts = [label["text"] for label in hall]
        assert "测试市民大厅" in texts and "请 C031 号 到 5 号窗口" in texts and "B007  →  6号窗口" in texts
        assert_chinese(Image.open(out / "hall-1920x1080.png"), hall, minimum=6)
        window = json.loads((out / "window-800x480.labels.json").read_text())["labels"]
        assert "C031" in [label["text"] for label in window]
    finally:
        bridge.stop()
