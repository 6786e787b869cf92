"""``hallq agent --simulate-devices`` as a person runs it: keys typed on stdin, the sign on stdout."""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from harness.waiting import eventually, scaled
from queue_server.protocol.messages import Op
from tests.conftest import MosquittoBroker

from .conftest import ResponderFactory


def _lines(stream: object, into: queue.Queue[str]) -> None:
    assert hasattr(stream, "readline")
    for line in iter(stream.readline, ""):
        into.put(line.rstrip("\n"))


def _wait_line(lines: queue.Queue[str], needle: str, timeout: float = 15.0) -> str:
    """The first line printed that holds ``needle``, reading ``lines`` as they come."""
    seen: list[str] = []

    def printed() -> str | None:
        with contextlib.suppress(queue.Empty):
            while True:
                seen.append(lines.get_nowait())
                if needle in seen[-1]:
                    return seen[-1]
        return None

    try:
        line = eventually(printed, timeout, what=f"{needle!r} printed")
    except AssertionError as failed:
        raise AssertionError(f"{failed}; got {seen}") from None
    assert line is not None
    return line


def test_hallq_agent_with_simulated_devices(
    broker: MosquittoBroker, hall_code: str, responders: ResponderFactory, tmp_path: Path
) -> None:
    server = responders()
    server.issue(1)
    cmd = [sys.executable, "-m", "queue_server.cli", "agent", "--simulate-devices", "--hall", hall_code]
    cmd += ["--device-id", "agent-1", "--window", "1", "--broker", broker.url, "--data-dir", str(tmp_path)]
    with subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True)
        reader.start()
        try:
            banner = json.loads(_wait_line(lines, '"window"'))
            assert (banner["hall"], banner["window"], banner["boot"]) == (hall_code, "1", 1)
            _wait_line(lines, "[sign] 1号窗口 欢迎您")
            assert proc.stdin is not None
            proc.stdin.write("n\n")
            proc.stdin.flush()
            _wait_line(lines, "[sign] 请A001号到1号窗口办理")
            proc.stdin.write("q\n")
            proc.stdin.flush()
            assert proc.wait(scaled(15)) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            reader.join(scaled(5))
    assert server.ops() == [Op.WINDOW_NEXT]


def _tgkill(pid: int, tid: int, sig: int) -> None:
    """Send ``sig`` to one thread of another process (Linux ``tgkill``; os.kill picks the thread)."""
    import ctypes
    import os

    libc = ctypes.CDLL(None, use_errno=True)
    sys_tgkill = 234 if os.uname().machine == "x86_64" else 131  # aarch64: 131
    if libc.syscall(sys_tgkill, pid, tid, sig) != 0:
        raise OSError(ctypes.get_errno(), "tgkill failed")


@pytest.mark.skipif(sys.platform != "linux", reason="tgkill and /proc are Linux's")
def test_a_stop_signal_landing_on_another_thread_still_stops_the_agent(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path
) -> None:
    import signal

    cmd = [sys.executable, "-m", "queue_server.cli", "agent", "--simulate-devices", "--hall", hall_code]
    cmd += ["--device-id", "agent-1", "--window", "1", "--broker", broker.url, "--data-dir", str(tmp_path)]
    with subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True).start()
        try:
            _wait_line(lines, '"window"')  # started: its signal handlers are in place
            threads = sorted(int(t.name) for t in Path(f"/proc/{proc.pid}/task").iterdir())
            other = next(tid for tid in threads if tid != proc.pid)
            # The kernel may hand a process's SIGTERM to any thread (systemd's stop, hallq up's).
            _tgkill(proc.pid, other, signal.SIGTERM)
            assert proc.wait(scaled(30)) == 0  # a main thread blocked for good in wait() would never see it
        finally:
            if proc.poll() is None:
                proc.kill()
