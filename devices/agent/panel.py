"""The agent's panel: what the window sign and the keypad display show, and the device status.

Window states and keypad lines are handed in from any thread (network, outbox worker, serial
readers); one panel thread puts the latest of each on the devices, re-sends them after a replug,
and republishes the agent's device status when a device comes or goes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from devices.agent.display import state_line
from devices.errors import DeviceDisconnectedError, SignError
from devices.keypad import Keypad
from devices.sign import SignDisplay, WindowSign
from queue_server.protocol.client import DeviceLink
from queue_server.protocol.messages import WindowState

log = logging.getLogger(__name__)

# How often the panel looks at the devices when nothing woke it (a replug is noticed this fast).
PANEL_TICK_S = 0.2
# A sign that did not acknowledge is tried again after this long, not in a tight loop.
SIGN_RETRY_S = 1.0

Health = dict[str, str]


class Panel:
    """What the sign and keypad should show, what they were last seen to show, and the thread between."""

    def __init__(self, sign: WindowSign | None, keypad: Keypad | None) -> None:
        self.sign = sign
        self.keypad = keypad
        # Guards the "wanted" fields (written by any thread) and wakes the panel thread.
        self._wake = threading.Condition()
        self.sign_wanted: SignDisplay | None = None
        self.sign_shown: SignDisplay | None = None
        self.sign_failed = False
        self.sign_retry_at = 0.0
        self.keypad_wanted = ""
        self.keypad_state: WindowState | None = None
        self.keypad_shown: str | None = None
        self.keypad_connects = -1

    def wake(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def forget_state(self) -> None:
        """The window changed: the next state shown is taken whatever its timestamp."""
        with self._wake:
            self.keypad_state = None

    def show_state(self, state: WindowState, sign: SignDisplay | None = None) -> None:
        """Show a window state on the keypad (and the sign), unless a newer one is already shown.

        States come from the retained topic (network thread) and inside replies (worker thread), in
        either order; the newest by ``ts`` wins, so a late reply never paints over a later change.
        """
        with self._wake:
            if self.keypad_state is None or state.ts >= self.keypad_state.ts:
                self.keypad_state = state
            self.keypad_wanted = state_line(self.keypad_state)
            if sign is not None:
                self.sign_wanted = sign
            self._wake.notify_all()

    def show_keypad(self, line: str) -> None:
        with self._wake:
            self.keypad_wanted = line
            self._wake.notify_all()

    def run(self, stopping: threading.Event, health: Callable[[], Health], device: DeviceLink) -> None:
        """The panel thread's loop, until ``stopping`` is set (and the panel woken)."""
        published: Health | None = None
        while not stopping.is_set():
            with self._wake:
                self._wake.wait(PANEL_TICK_S)
            if stopping.is_set():
                return
            try:
                self._update_sign()
                self._update_keypad()
                current = health()
                if current != published and device.link.connected:
                    # Only while connected: a status queued offline would reach the broker after the
                    # fresh one the reconnect publishes, and stay retained, stale.
                    device.publish_status()
                    published = current
            except Exception:
                log.exception("panel update failed")

    def _update_sign(self) -> None:
        sign = self.sign
        if sign is None or not sign.connected:
            return
        with self._wake:
            wanted = self.sign_wanted
        if wanted is None or (wanted == self.sign_shown and not self.sign_failed):
            return
        if self.sign_failed and time.monotonic() < self.sign_retry_at:
            return
        try:
            sign.show(wanted)
        except DeviceDisconnectedError:
            return  # the driver shows its last display again when the sign is back
        except SignError as exc:
            log.warning("window sign: %s", exc)
            self.sign_failed, self.sign_retry_at = True, time.monotonic() + SIGN_RETRY_S
            return
        self.sign_shown, self.sign_failed = wanted, False

    def _update_keypad(self) -> None:
        keypad = self.keypad
        if keypad is None or not keypad.connected:
            return
        with self._wake:
            wanted = self.keypad_wanted
        connects = keypad.link.connects
        if not wanted or (wanted == self.keypad_shown and connects == self.keypad_connects):
            return
        try:
            keypad.show(wanted)
        except DeviceDisconnectedError:
            return
        self.keypad_shown, self.keypad_connects = wanted, connects
