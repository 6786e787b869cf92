"""The rating pad: protocol lines, the one-rating-per-prompt session, and the pad on a pty."""

from __future__ import annotations

import queue

import pytest

from devices.errors import DeviceDisconnectedError, FrameError
from devices.ratingpad import (
    CLEAR,
    HostCommand,
    HostCommandKind,
    Rating,
    RatingPad,
    RatingSession,
    ack,
    parse_host_line,
    parse_pad_line,
    press,
    prompt,
)
from devices.simulators import RatingPadSimulator
from harness.waiting import eventually, scaled
from tests.devices.conftest import fast_port

# --- protocol (pure) -------------------------------------------------------------------------


def test_protocol_lines() -> None:
    assert prompt("V-20260306-0042") == b"P V-20260306-0042\n"
    assert ack(5) == b"A5\n"
    assert CLEAR == b"C\n"
    assert press(1) == b"R1\n"
    assert parse_pad_line(b"R3\r\n") == 3
    assert parse_host_line(b"P abc\n") == HostCommand(HostCommandKind.PROMPT, visit_id="abc")
    assert parse_host_line(b"A4\n") == HostCommand(HostCommandKind.ACK, score=4)
    assert parse_host_line(b"C\n") == HostCommand(HostCommandKind.CLEAR)


@pytest.mark.parametrize("line", [b"R0", b"R6", b"R", b"R55", b"r5", b"X", b""])
def test_bad_pad_lines(line: bytes) -> None:
    with pytest.raises(FrameError):
        parse_pad_line(line)


def test_bad_host_values() -> None:
    with pytest.raises(ValueError):
        prompt("has space")
    with pytest.raises(ValueError):
        prompt("x" * 33)
    with pytest.raises(ValueError):
        ack(0)
    with pytest.raises(FrameError):
        parse_host_line(b"P \n")


def test_labels() -> None:
    assert Rating("v", 5).label == "非常满意"
    assert Rating("v", 1).label == "非常不满意"


# --- session (pure, clock passed in) ---------------------------------------------------------


def test_exactly_one_rating_per_prompt() -> None:
    session = RatingSession(debounce_s=0.5)
    assert session.prompt("v1", now=9.0) == b"P v1\n"
    rating, reply = session.press(4, now=10.0)
    assert rating == Rating("v1", 4) and reply == b"A4\n"
    assert session.press(2, now=20.0) == (None, b"")  # long after: still no second rating
    assert not session.open and session.lit == 4


def test_presses_without_a_prompt_are_ignored() -> None:
    session = RatingSession()
    assert session.press(5, now=1.0) == (None, b"")
    session.prompt("v1", now=1.0)
    rating, _ = session.press(5, now=1.3)  # an ignored press does not start a debounce window
    assert rating == Rating("v1", 5)
    assert session.presses == 2


def test_a_press_faster_than_anyone_can_react_was_made_before_the_prompt() -> None:
    session = RatingSession(debounce_s=0.0, prompt_guard_s=0.2)
    session.prompt("v1", now=50.0)
    assert session.press(4, now=50.05) == (None, b"")
    assert session.open
    assert session.press(4, now=50.3)[0] == Rating("v1", 4)


def test_debounce_protects_the_next_visit() -> None:
    session = RatingSession(debounce_s=0.5)
    session.prompt("v1", now=99.0)
    assert session.press(5, now=100.0)[0] == Rating("v1", 5)
    session.prompt("v2", now=100.05)  # the window prompts the next visit at once
    assert session.press(5, now=100.3) == (None, b"")  # a bounce of the last press
    assert session.open
    assert session.press(3, now=100.6)[0] == Rating("v2", 3)


def test_a_rated_visit_cannot_be_prompted_again() -> None:
    session = RatingSession()
    session.prompt("v1", now=0.0)
    session.press(2, now=1.0)
    assert session.prompt("v1", now=2.0) == b"A2\n"  # shows the taken key, stays closed
    assert session.press(5, now=9.0) == (None, b"")


def test_cancel_and_restore() -> None:
    session = RatingSession()
    assert session.restore() == CLEAR
    session.prompt("v1", now=0.0)
    assert session.restore() == b"P v1\n"
    assert session.cancel() == CLEAR
    assert session.press(5, now=1.0) == (None, b"")
    session.prompt("v2", now=1.0)
    session.press(1, now=2.0)
    assert session.restore() == b"A1\n"


# --- the pad on a pty ------------------------------------------------------------------------


def test_pad_round_trip(pad_sim: RatingPadSimulator) -> None:
    ratings: queue.Queue[Rating] = queue.Queue()
    with RatingPad(fast_port(pad_sim.path), ratings.put, debounce_s=0.2, prompt_guard_s=0.0) as pad:
        assert pad.wait_connected(scaled(5))
        pad.prompt("visit-1")
        assert pad_sim.wait_for(lambda: pad_sim.prompted) == "visit-1"
        assert pad_sim.lights_on
        pad_sim.press(5)
        assert ratings.get(timeout=scaled(5)) == Rating("visit-1", 5)
        assert pad_sim.wait_for(lambda: pad_sim.lit) == 5  # the pad lit the taken key
        assert not pad_sim.lights_on
        assert pad.waiting_for is None


def test_pad_gives_one_rating_for_a_burst_of_presses(pad_sim: RatingPadSimulator) -> None:
    ratings: queue.Queue[Rating] = queue.Queue()
    with RatingPad(fast_port(pad_sim.path), ratings.put, prompt_guard_s=0.0) as pad:
        assert pad.wait_connected(scaled(5))
        pad.prompt("visit-2")
        pad_sim.wait_for(lambda: pad_sim.lights_on)
        for score in (2, 2, 5, 1):
            pad_sim.press(score)
        assert ratings.get(timeout=scaled(5)) == Rating("visit-2", 2)
        pad_sim.wait_for(lambda: pad_sim.lit)
        # The pad is told to light key 2 once; the other presses changed nothing.
        pad.cancel()
        pad_sim.wait_for(lambda: pad_sim.commands[-1] == "C")
        assert pad_sim.commands == ["C", "P", "A", "C"]  # C: restore on connect
        assert ratings.empty()


def test_cancel_turns_the_pad_off(pad_sim: RatingPadSimulator) -> None:
    ratings: queue.Queue[Rating] = queue.Queue()
    with RatingPad(fast_port(pad_sim.path), ratings.put, prompt_guard_s=0.0) as pad:
        assert pad.wait_connected(scaled(5))
        pad.prompt("visit-3")
        pad_sim.wait_for(lambda: pad_sim.lights_on)
        pad.cancel()
        pad_sim.wait_for(lambda: not pad_sim.lights_on and pad_sim.prompted is None)
        pad_sim.press(4)
        eventually(lambda: pad.presses == 1, what="one press on the pad")
        pad.prompt("visit-4")  # a later prompt: the earlier press did not rate anything
        pad_sim.wait_for(lambda: pad_sim.prompted == "visit-4")
        assert ratings.empty()


def test_a_replugged_pad_gets_its_prompt_back(pad_sim: RatingPadSimulator) -> None:
    ratings: queue.Queue[Rating] = queue.Queue()
    with RatingPad(fast_port(pad_sim.path), ratings.put, debounce_s=0.0, prompt_guard_s=0.0) as pad:
        assert pad.wait_connected(scaled(5))
        pad.prompt("visit-5")
        pad_sim.wait_for(lambda: pad_sim.prompted == "visit-5")
        pad_sim.unplug()
        eventually(lambda: not pad.connected, what="the pad unplugged")
        with pytest.raises(DeviceDisconnectedError):
            pad.prompt("visit-6")
        pad_sim.plug()  # powers up dark
        assert pad_sim.wait_for(lambda: pad_sim.prompted) == "visit-6"
        pad_sim.press(3)
        assert ratings.get(timeout=scaled(5)) == Rating("visit-6", 3)
        assert pad.link.connects == 2
