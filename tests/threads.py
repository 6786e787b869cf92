"""Whether another thread has reached a wait: the deterministic way to show it has *not* returned.

"``stop()`` must not return while a reply is owed" cannot be shown by joining the stopping thread
for a moment (a slow machine makes that moment prove nothing, and a sleep proves no absence). What
can be shown is that the thread is parked, blocked on a lock, directly inside the function that
must wait: then it has got as far as the wait and not past it. Release what it waits for only then.

    stopper.start()
    eventually(lambda: parked_in(stopper, "MqttBridge.stop") or not stopper.is_alive(), what=...)
    assert stopper.is_alive(), "stop() returned with a reply still owed"
"""

from __future__ import annotations

import sys
import threading

_THREADING = threading.__file__  # Lock, Condition and Event waits all block in this module


def parked_in(thread: threading.Thread, qualname: str) -> bool:
    """True while ``thread`` is blocked in a ``threading`` wait called from the function ``qualname``
    (``"Class.method"`` as ``__qualname__`` spells it) itself."""
    frame = sys._current_frames().get(thread.ident or -1)
    if frame is None or frame.f_code.co_filename != _THREADING:
        return False
    while frame is not None and frame.f_code.co_filename == _THREADING:
        frame = frame.f_back
    return frame is not None and frame.f_code.co_qualname == qualname
