"""The services' way out to MQTT: calls, retained hall state, window states and open alerts.

Implements :class:`queue_server.services.ports.Announcer`. Services call it after commit from any
thread; it must be quick and never raise into them, so every method catches and logs.

- A call goes out at once (QoS 1, not retained): it is what a display is waiting for.
- A window state goes out at once, retained, unless an older one arrives after a newer one was sent.
- The hall state changes with every ticket; bursts are coalesced (the first change goes out at once,
  then at most one publish per ``state_interval``) and a state older than one already sent is dropped,
  so the retained snapshot only ever moves forward (ordered by ``seq``, then ``ts``).
- The open supervision alerts go out retained when they change (``alerts_changed``, told by the
  supervision monitor), and again after a reconnect.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from queue_server.protocol import topics
from queue_server.protocol.alerts import AlertsState
from queue_server.protocol.client import MqttLink
from queue_server.protocol.messages import CallEvent, HallState, WindowState

log = logging.getLogger(__name__)

# Displays repaint from the retained state; 20 repaints a second is more than a screen shows.
STATE_INTERVAL_S = 0.05


def _state_key(state: HallState) -> tuple[int, float]:
    return (state.seq, state.ts)


def _ts(window: WindowState) -> float:
    return window.ts


class MqttAnnouncer:
    """Publishes what the services announce. ``close()`` flushes the last hall state."""

    def __init__(self, link: MqttLink, *, state_interval: float = STATE_INTERVAL_S) -> None:
        self._link = link
        self._interval = state_interval
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: dict[str, HallState] = {}
        self._sent_state: dict[str, HallState] = {}
        self._sent_window: dict[tuple[str, str], WindowState] = {}
        self._sent_alerts: dict[str, AlertsState] = {}
        # Told that a hall's device configs may have changed (the bridge's refresh_device_configs).
        self.config_followers: list[Callable[[str], object]] = []
        self._closed = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish_states, name="hallq-state", daemon=True)
        self._thread.start()

    # --- Announcer ------------------------------------------------------------------------------

    def call_made(self, hall: str, call: CallEvent) -> None:
        try:
            self._link.publish(topics.calls(hall), call, qos=1)
        except Exception:
            log.exception("call %s of %s not published", call.seq, hall)

    def window_changed(self, hall: str, window: WindowState) -> None:
        try:
            with self._lock:
                self._publish_window(hall, window)
        except Exception:
            log.exception("state of window %s/%s not published", hall, window.window)

    def hall_changed(self, hall: str, state: HallState) -> None:
        with self._wake:
            pending = self._pending.get(hall)
            if pending is None or _state_key(state) >= _state_key(pending):
                self._pending[hall] = state
                self._wake.notify()

    def alerts_changed(self, hall: str, state: AlertsState) -> None:
        """The hall's open supervision alerts, retained on ``…/alerts`` (never an older one after a
        newer one)."""
        try:
            with self._lock:
                last = self._sent_alerts.get(hall)
                if last is not None and state.ts < last.ts:
                    return
                self._publish(topics.alerts(hall), state)
                self._sent_alerts[hall] = state
        except Exception:
            log.exception("alerts of %s not published", hall)

    def device_configs_changed(self, hall: str) -> None:
        """An edit may have changed the hall's device configs (``services.ports.DeviceConfigFollower``):
        the bridge republishes those that changed, at once rather than at its next periodic look."""
        for follow in self.config_followers:
            try:
                follow(hall)
            except Exception:
                log.exception("device configs of %s not republished", hall)

    # --- for the bridge ---------------------------------------------------------------------------

    def republish(self, hall: str, state: HallState | None, windows: list[WindowState]) -> None:
        """After a (re)connect: the broker may have lost its retained messages; send them again.

        ``state``/``windows`` are fresh from the database (None/[] when it could not be read); for each
        topic the newest of the fresh one and the last one sent goes out, so nothing moves backwards.
        """
        with self._lock:
            fresh = {w.window: w for w in windows}
            known = {no: w for (h, no), w in self._sent_window.items() if h == hall}
            for no in sorted(fresh.keys() | known.keys()):
                # max() keeps the first of equals: the fresh one.
                newest = max((w for w in (fresh.get(no), known.get(no)) if w is not None), key=_ts)
                self._publish(topics.window_state(hall, no), newest)
                self._sent_window[(hall, no)] = newest
            alerts = self._sent_alerts.get(hall)
            if alerts is not None:
                self._publish(topics.alerts(hall), alerts)
            states = [s for s in (state, self._sent_state.get(hall)) if s is not None]
            if states:
                newest_state = max(states, key=_state_key)
                self._publish(topics.state(hall), newest_state)
                self._sent_state[hall] = newest_state

    def sent_state(self, hall: str) -> HallState | None:
        with self._lock:
            return self._sent_state.get(hall)

    def close(self) -> None:
        """Publish any coalesced hall state still waiting, then stop the publishing thread."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        self._stop.set()
        self._thread.join(timeout=5)

    # --- internals (called with the lock held) -------------------------------------------------------

    def _publish(self, topic: str, message: HallState | WindowState | AlertsState) -> None:
        self._link.publish(topic, message, qos=1, retain=True)

    def _publish_window(self, hall: str, window: WindowState) -> None:
        last = self._sent_window.get((hall, window.window))
        if last is not None and window.ts < last.ts:
            log.debug("window %s/%s: older state dropped", hall, window.window)
            return
        self._publish(topics.window_state(hall, window.window), window)
        self._sent_window[(hall, window.window)] = window

    def _publish_state(self, hall: str, state: HallState) -> None:
        last = self._sent_state.get(hall)
        if last is not None and _state_key(state) < _state_key(last):
            log.debug("hall %s: state %s older than %s dropped", hall, _state_key(state), _state_key(last))
            return
        self._publish(topics.state(hall), state)
        self._sent_state[hall] = state

    def _publish_states(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                batch, self._pending = self._pending, {}
                for hall, state in batch.items():
                    try:
                        self._publish_state(hall, state)
                    except Exception:
                        log.exception("hall state of %s not published", hall)
                if self._closed:
                    return
            # Changes arriving in the next interval collapse into one publish.
            self._stop.wait(self._interval)
