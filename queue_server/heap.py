"""A long-lived process's heap, settled once it has started (the server; the statistics worker after
its first report, ``services/views/stats_worker.py``).

CPython's cycle collector now and then walks every container object of its oldest generation. In a
started server that is ~100,000 objects (modules, SQLAlchemy and pydantic metadata, the app), and
one such pass measured 58–78 ms on the appliance, during which every request in the process waits:
more than a ticket's whole latency budget, at a moment nobody chose. What exists once the server has
started lives as long as the process, so it is collected once, then frozen out of the collector's
walks (``gc.freeze``): later passes see only what came after, a few thousand objects.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def settle_heap() -> int:
    """Collect once, then freeze what survives; returns how many objects were frozen."""
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.debug("heap settled: %d objects frozen out of the collector's walks", frozen)
    return frozen
