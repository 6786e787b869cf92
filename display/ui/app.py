"""Running a screen: the Kivy main loop around a :class:`~display.runtime.DisplayRuntime`.

The runtime's listeners fire on MQTT/voice threads; they only schedule a repaint with Kivy's Clock
(thread-safe), so widgets are touched on the Kivy main thread alone. A steady tick repaints anyway
(clock, blinking, the spotlight's dwell time), and the marquee scrolls at 30 frames a second.
"""

from __future__ import annotations

import itertools
import logging
import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from display.hall_board import HallView
from display.runtime import DisplayRuntime
from display.window_board import WindowView

from . import kivy_env

log = logging.getLogger(__name__)

TICK_S = 0.25
SCROLL_S = 1 / 30
SIGNAL_POLL_S = 0.1


def run_hall(
    runtime: DisplayRuntime[HallView],
    *,
    size: tuple[int, int],
    fullscreen: bool,
    snapshot_dir: Path | None = None,
) -> int:
    kivy_env.prepare(size, fullscreen=fullscreen, title="hallq 综合屏")
    from .hall_screen import HallScreen

    screen = HallScreen()
    scroll = partial(kivy_env.every, SCROLL_S, screen.scroll)
    return _run(runtime, screen, screen.render, extra=scroll, snapshot_dir=snapshot_dir)


def run_window(
    runtime: DisplayRuntime[WindowView],
    *,
    size: tuple[int, int],
    fullscreen: bool,
    snapshot_dir: Path | None = None,
) -> int:
    kivy_env.prepare(size, fullscreen=fullscreen, title="hallq 窗口屏")
    from .window_screen import WindowScreen

    screen = WindowScreen()
    return _run(runtime, screen, screen.render, extra=None, snapshot_dir=snapshot_dir)


def _run(
    runtime: DisplayRuntime[Any],
    screen: Any,
    render: Callable[[Any, float], None],
    *,
    extra: Callable[[], object] | None,
    snapshot_dir: Path | None,
) -> int:
    from kivy.base import runTouchApp, stopTouchApp
    from kivy.clock import Clock

    from queue_server.protocol.signals import SignalFlag

    from .shots import settle_now, snapshot

    def repaint(*_: Any) -> None:
        render(runtime.view(), runtime.clock())

    trigger = Clock.create_trigger(repaint)
    undo = runtime.add_listener(trigger)
    Clock.schedule_interval(repaint, TICK_S)
    if extra is not None:
        extra()

    # The handlers only record the signal (see SignalFlag: Clock.schedule_once takes a lock, and a
    # second signal may interrupt the first handler); the tick acts on it.
    stops = SignalFlag(signal.SIGTERM, signal.SIGINT)
    # `kill -USR1 <pid>`: write what the screen shows now (support staff looking at a remote screen).
    snaps = None
    if snapshot_dir is not None:
        snapshot_dir.mkdir(parents=True, exist_ok=True)
        snaps = SignalFlag(signal.SIGUSR1)
    numbers = itertools.count(1)

    def write(_dt: float) -> None:
        assert snapshot_dir is not None  # only scheduled when snapshots were asked for
        # Settled again in this same callback: since the frame that settled first, a hall state or a
        # marquee step may have changed a text, a font size or a position, and the picture and its
        # labels.json must describe one moment.
        settle_now(screen.root, repaint)
        path = snapshot(screen.root, snapshot_dir / f"snapshot-{next(numbers)}")
        log.info("display: snapshot %s", path)

    def on_signals(_dt: float) -> bool:
        if (signum := stops.received) is not None:
            log.info("display: signal %d, closing", signum)
            stopTouchApp()
            return False  # once: Kivy unschedules an interval callback that returns False
        if snaps is not None and snaps.take() is not None:
            settle_now(screen.root, repaint)
            Clock.schedule_once(write, 0)
        return True

    Clock.schedule_interval(on_signals, SIGNAL_POLL_S)
    runtime.start()
    repaint()  # paint at once: the retained state may already be here, else the frame waits for it
    try:
        runTouchApp(screen.root)
    finally:
        undo()
        runtime.stop()
    return 0
