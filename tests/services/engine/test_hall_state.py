"""The hall-state publisher's budget: the busy halls of one process share a number of builds a second,
so a city instance with many busy halls stretches each hall's interval instead of multiplying builds."""

from __future__ import annotations

import threading

import pytest

from harness.waiting import scaled
from queue_server.services.engine.hall_state import HallStatePublisher


def test_busy_halls_share_the_builds_per_second() -> None:
    release = threading.Event()
    building: list[str] = []

    def build(hall: str, _windows: frozenset[int]) -> None:
        building.append(hall)
        assert release.wait(scaled(10))  # held: the hall stays busy

    publisher = HallStatePublisher(build, interval=0.05, builds_per_s=10.0)
    assert publisher.interval() == pytest.approx(0.05)  # no hall busy: the hall's own interval
    for hall in ("h1", "h2", "h3", "h4"):
        publisher.changed(hall, inline=False)  # the writer's way: built in the background
    try:
        assert publisher.interval() == pytest.approx(0.4)  # four busy halls within 10 builds a second
    finally:
        release.set()
    assert publisher.wait_idle(scaled(10))
    assert sorted(building) == ["h1", "h2", "h3", "h4"]
    assert publisher.interval() == pytest.approx(0.05)  # quiet again
