"""Signals a device program acts on (stop, snapshot), recorded by a handler that is safe to re-enter.

Python runs a signal handler on the main thread between two bytecodes, and that includes two bytecodes
of the handler itself: a second signal can interrupt the first handler. A handler that takes a lock
(``threading.Event.set``, Kivy's ``Clock.schedule_once``) then waits, for good, for a lock its own
thread holds. Stop signals do come in bursts: when a multi-threaded parent dies, Linux hands its
children from each exiting thread to the next and sends the parent-death signal (``PR_SET_PDEATHSIG``)
again at every hand-over. A window agent started by a killed ``hallq up`` got one SIGTERM per thread of
``hallq up``, and about one run in ten left an agent hung in ``Event.set`` inside ``Event.set``.

So the handler only stores the signal number; the program's own loop looks at it.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType


class SignalFlag:
    """Records the last of ``signums`` received; installs itself as their handler."""

    def __init__(self, *signums: int) -> None:
        self.received: int | None = None
        for signum in signums:
            signal.signal(signum, self._record)

    def _record(self, signum: int, _frame: FrameType | None) -> None:
        # One attribute store: nothing here can wait, however deeply the handler nests.
        self.received = signum

    def take(self) -> int | None:
        """The signal received since the last ``take``, if any (several in between count as one)."""
        received, self.received = self.received, None
        return received

    def wait(self, poll_s: float, *, or_until: threading.Event | None = None) -> int | None:
        """Until a signal comes (its number) or ``or_until`` is set (None).

        Polls: the kernel may deliver the signal to any thread, and Python runs the handler only when
        the main thread next executes bytecode, so a main thread blocked for good would never see it.
        """
        while self.received is None:
            if or_until is None:
                time.sleep(poll_s)
            elif or_until.wait(poll_s):
                return None
        return self.received
