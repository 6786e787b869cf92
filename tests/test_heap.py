"""Settling the heap: what exists at start-up is left out of the cycle collector's walks.

Run in a fresh interpreter, as in a server process: in the test session the collection would also
finalise other tests' garbage (and a leaked socket's ResourceWarning would land here)."""

from __future__ import annotations

import subprocess
import sys

from harness.waiting import scaled

SCRIPT = """
import gc
from queue_server.heap import settle_heap

class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector can free it

before = Node()
assert any(o is before for o in gc.get_objects())
frozen = settle_heap()
assert frozen == gc.get_freeze_count() > 0, frozen
assert not any(o is before for o in gc.get_objects())  # no collection walks it any more
after = Node()
assert any(o is after for o in gc.get_objects())
print("ok", frozen)
"""


def test_settled_objects_are_frozen_and_later_ones_are_not() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=scaled(60))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok ")
