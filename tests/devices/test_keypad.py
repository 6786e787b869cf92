"""The caller keypad: key lines, debounce, the display line, the keypad on a pty."""

from __future__ import annotations

import queue

import pytest

from devices.errors import FrameError
from devices.keypad import (
    Key,
    Keypad,
    KeyPress,
    encode_display,
    encode_key,
    parse_display_line,
    parse_key_line,
)
from devices.simulators import KeypadSimulator
from harness.waiting import eventually, scaled
from tests.devices.conftest import fast_port


@pytest.mark.parametrize(
    ("line", "press"),
    [
        (b"KN\n", KeyPress(Key.NEXT)),
        (b"KR\n", KeyPress(Key.RECALL)),
        (b"KS\n", KeyPress(Key.START)),
        (b"KF\n", KeyPress(Key.FINISH)),
        (b"KF2\r\n", KeyPress(Key.FINISH, 2)),
        (b"KX\n", KeyPress(Key.NO_SHOW)),
        (b"KP13\n", KeyPress(Key.PAUSE, 13)),
        (b"KC\n", KeyPress(Key.RESUME)),
    ],
)
def test_key_lines(line: bytes, press: KeyPress) -> None:
    assert parse_key_line(line) == press
    assert parse_key_line(encode_key(press)) == press


@pytest.mark.parametrize("line", [b"K", b"KZ", b"KN123", b"N", b"kn", b"KN-1", b""])
def test_bad_key_lines(line: bytes) -> None:
    with pytest.raises(FrameError):
        parse_key_line(line)


def test_display_line_is_cut_to_the_screen_without_breaking_a_character() -> None:
    line = encode_display("当前A023 等候5人 " + "很长的说明文字" * 5)
    assert len(line) <= 32 + 2
    assert parse_display_line(line).startswith("当前A023 等候5人")
    line.decode("gb18030")  # never half a character
    assert encode_display("a\x1bb\nc") == b"Dabc\n"


def test_same_key_repeats_are_debounced_other_keys_are_not() -> None:
    keypad = Keypad(fast_port("/nonexistent"), lambda press: None, debounce_s=0.3)
    assert keypad.accept(KeyPress(Key.NEXT), 10.0)
    assert not keypad.accept(KeyPress(Key.NEXT), 10.1)
    assert keypad.accept(KeyPress(Key.RECALL), 10.15)
    assert keypad.accept(KeyPress(Key.NEXT), 10.4)


def test_keypad_on_a_pty(keypad_sim: KeypadSimulator) -> None:
    presses: queue.Queue[KeyPress] = queue.Queue()
    with Keypad(fast_port(keypad_sim.path), presses.put, debounce_s=0.3) as keypad:
        assert keypad.wait_connected(scaled(5))
        keypad_sim.press(Key.NEXT)
        keypad_sim.press(Key.NEXT)  # a double press: one call, not two
        keypad_sim.press(Key.PAUSE, 3)
        keypad_sim.send(b"garbage\n")
        keypad_sim.press(Key.START)
        assert presses.get(timeout=scaled(5)) == KeyPress(Key.NEXT)
        assert presses.get(timeout=scaled(5)) == KeyPress(Key.PAUSE, 3)
        assert presses.get(timeout=scaled(5)) == KeyPress(Key.START)
        keypad.show("当前A023 等候5人")
        assert keypad_sim.wait_for(lambda: keypad_sim.display) == "当前A023 等候5人"
        assert presses.empty()


def test_keypad_survives_an_unplug(keypad_sim: KeypadSimulator) -> None:
    presses: queue.Queue[KeyPress] = queue.Queue()
    with Keypad(fast_port(keypad_sim.path), presses.put) as keypad:
        assert keypad.wait_connected(scaled(5))
        keypad_sim.unplug()
        eventually(lambda: not keypad.connected, what="the keypad unplugged")
        keypad_sim.plug()
        assert keypad.wait_connected(scaled(5))
        keypad_sim.press(Key.FINISH, 1)
        assert presses.get(timeout=scaled(5)) == KeyPress(Key.FINISH, 1)
