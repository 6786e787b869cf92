"""A long-lived process's heap: large blocks given back when freed, and the heap settled once the
process has started (the server; the statistics worker after its first report,
``services/views/stats_worker.py``).

Large blocks (``return_large_blocks``). glibc serves a request of 128 KiB or more from a mapping of
its own, returned to the kernel at ``free``; but each time it frees such a block it raises that
threshold to the block's size (up to 32 MiB), so that later requests of that size come from the heap,
and freed heap memory stays resident wherever a live block sits above it. A sign-in's scrypt asks for
16 MiB (``services/people/security.py``) and a year report's answer for several: measured on the
full-year database, the server kept 5-15 MB more after a manager had signed in and read the year
(``stats_rss_mb``, docs/managers.md). With the threshold fixed at ``LARGE_BLOCK`` a block that size
is always its own mapping, gone when freed; smaller requests are not affected. The cost is the page
faults of a fresh mapping at each large request (a 16 MiB scrypt: 4,096 faults, about a
millisecond, in a check that takes tens).

CPython's cycle collector now and then walks every container object of its oldest generation. In a
started server that is ~100,000 objects (modules, SQLAlchemy and pydantic metadata, the app), and
one such pass measured 58–78 ms on the appliance, during which every request in the process waits:
more than a ticket's whole latency budget, at a moment nobody chose. What exists once the server has
started lives as long as the process, so it is collected once, then frozen out of the collector's
walks (``gc.freeze``): later passes see only what came after, a few thousand objects.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)

LARGE_BLOCK = 1 << 20  # bytes: a request this large or larger is a mapping of its own
_M_MMAP_THRESHOLD = -3  # glibc's malloc.h


def return_large_blocks(threshold: int = LARGE_BLOCK) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` (see the module doc); False where the C library
    is not glibc (musl has no ``mallopt``) and nothing changed."""
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        log.debug("no mallopt in the C library: large blocks follow its own policy")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def settle_heap() -> int:
    """Collect once, then freeze what survives; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("heap settled: %d objects frozen out of the collector's walks", frozen)
    return frozen
