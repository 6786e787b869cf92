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


LARGE_BLOCKS = """
import hashlib, sys
from queue_server.heap import return_large_blocks

def rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))

if sys.argv[1] == "fixed":
    assert return_large_blocks()
big = bytearray(20 << 20)  # freed, it raises glibc's dynamic threshold past 16 MiB
del big
before = rss_kib()
hashlib.scrypt(b"password", salt=b"0123456789abcdef", n=2**14, r=8, p=1, dklen=32)  # a sign-in's 16 MiB
print((rss_kib() - before) // 1024)
"""


def _kept_mib(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", LARGE_BLOCKS, mode], capture_output=True, text=True, timeout=scaled(60)
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def test_a_freed_large_block_is_given_back_once_the_threshold_is_fixed() -> None:
    # Without it glibc keeps a sign-in's scrypt block resident (the growth the benchmark measured) ...
    assert _kept_mib("dynamic") >= 12
    # ... with it the block was a mapping of its own, unmapped at free.
    assert _kept_mib("fixed") <= 2
