"""The pieces under every serial driver: backoff, line framing, and the link's own behaviour."""

from __future__ import annotations

import logging
import queue

import pytest

from devices.errors import DeviceDisconnectedError
from devices.serialport import Backoff, LineFramer, SerialLink
from devices.simulators import ScannerSimulator
from harness.waiting import eventually, scaled
from tests.devices.conftest import fast_port


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(0.2, 3.0)
    assert [backoff.next() for _ in range(6)] == [0.2, 0.4, 0.8, 1.6, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.2


def test_line_framer_handles_cr_lf_crlf_and_pieces() -> None:
    framer = LineFramer()
    assert framer.feed(b"abc\rde") == [b"abc"]
    assert framer.feed(b"f\r\n\n") == [b"def"]
    assert framer.feed(b"g\n") == [b"g"]


def test_line_framer_drops_overlong_lines_whole() -> None:
    framer = LineFramer(max_length=8)
    assert framer.feed(b"0123456789abcdef\nok\n") == [b"ok"]


def test_write_while_unplugged_raises(scanner_sim: ScannerSimulator) -> None:
    scanner_sim.unplug()
    link = SerialLink(fast_port(scanner_sim.path), lambda data: None, name="test")
    with link, pytest.raises(DeviceDisconnectedError):
        link.write(b"x")


def test_a_failing_handler_does_not_kill_the_reader(
    scanner_sim: ScannerSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    got: queue.Queue[bytes] = queue.Queue()
    calls: list[bytes] = []

    def handler(data: bytes) -> None:
        calls.append(data)
        if len(calls) == 1:
            raise RuntimeError("handler bug")
        got.put(data)

    with SerialLink(fast_port(scanner_sim.path), handler, name="test") as link:
        assert link.wait_connected(scaled(5))
        scanner_sim.send(b"x")
        eventually(
            lambda: any("handler" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR),
            what="the handler's error logged",
        )
        scanner_sim.send(b"fine")
        received = b""
        while received != b"fine":  # chunks may arrive split
            received += got.get(timeout=scaled(5))
        assert link.connected


def test_stop_is_prompt_and_idempotent(scanner_sim: ScannerSimulator) -> None:
    link = SerialLink(fast_port(scanner_sim.path), lambda data: None, name="test").start()
    assert link.wait_connected(scaled(5))
    link.stop()
    assert not link.connected
    link.stop()
    with pytest.raises(DeviceDisconnectedError):
        link.write(b"x")
