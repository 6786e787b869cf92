"""The xvfb-run helper: a Kivy command that hangs in CI must leave its stacks in the failure."""

from __future__ import annotations

import os
import sys

import pytest

from harness.waiting import scaled
from tests.xvfb import XvfbRun

HANGS = "import threading, time; threading.Thread(target=time.sleep, args=(60,), name='stuck').start()"


def test_a_hung_command_is_stopped_and_shows_every_thread(xvfb_run: XvfbRun) -> None:
    argv = xvfb_run.argv(sys.executable, "-c", HANGS)
    with pytest.raises(AssertionError) as failed:
        xvfb_run.run(argv, env=dict(os.environ), timeout=3)
    message = str(failed.value)
    assert f"still running after {scaled(3):g} s" in message
    assert "Fatal Python error: Aborted" in message  # faulthandler's dump, not just the timeout
    assert "Current thread 0x" in message and "in _shutdown" in message  # the main thread, waiting
    assert "Thread 0x" in message.replace("Current thread 0x", "")  # and the stuck one


def test_a_command_that_ends_gives_its_output_and_code(xvfb_run: XvfbRun) -> None:
    argv = xvfb_run.argv(sys.executable, "-c", "import sys; print('out'); sys.exit(3)")
    done = xvfb_run.run(argv, env=dict(os.environ), timeout=30)
    assert (done.returncode, done.stdout.strip()) == (3, "out")
