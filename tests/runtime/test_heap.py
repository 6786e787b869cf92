"""Settling the heap: what exists at start-up is left out of the cycle collector's walks."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from queue_server.runtime.heap import settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the rest of the test session keeps the ordinary collector


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector can free it


def test_settled_objects_are_frozen_and_later_ones_are_not(unfrozen: None) -> None:
    before = Node()
    assert any(o is before for o in gc.get_objects())
    assert settle_heap() == gc.get_freeze_count() > 0
    assert not any(o is before for o in gc.get_objects())  # no collection walks it any more
    after = Node()
    assert any(o is after for o in gc.get_objects())
