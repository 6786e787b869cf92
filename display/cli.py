"""``hallq display``: run a hall display (综合屏, with voice) or a window display (窗口屏).

    hallq display --device-id hall-screen-1 --hall gy01 --broker mqtt://10.0.0.2:1883
    hallq display --device-id win5-screen --hall gy01 --window 5 --size 800x480
    hallq display --screenshot shots/            # demo data; under Xvfb when there is no screen
    hallq display --screenshot shots/ --live --hall gy01 --broker …   # from a live hall
    hallq display --config /etc/hallq/device.toml                     # as provisioned

``--config`` reads the device file provisioning wrote (hall, device id, broker, and the window of a
window display); the other options override it. Without a file, hall and broker default to
``$HALLQ_HALL`` and ``$HALLQ_BROKER`` (then ``demo`` and the local broker).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queue_server.protocol.client import BrokerAddress, next_boot
from queue_server.protocol.device_file import DeviceFileError, load_device_file
from queue_server.protocol.messages import DeviceKind
from queue_server.protocol.topics import TopicError, check_id

from . import demo
from .hall_board import HallBoard
from .runtime import DisplayRuntime, hall_runtime, window_runtime
from .voice.announcer import AnnouncementQueue
from .voice.builder import REPEAT_GAP_S, AnnouncementBuilder, VoiceSettings
from .voice.pack import VoicePack, VoiceUnavailableError, default_cache_dir
from .voice.sinks import PLAYERS, open_sink

log = logging.getLogger(__name__)

HALL_SIZE = (1920, 1080)
WINDOW_SIZE = (800, 480)
XVFB_SCREEN = "-screen 0 1920x1080x24"
_REEXEC_ENV = "HALLQ_DISPLAY_XVFB"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="device.toml written by provisioning")
    parser.add_argument(
        "--device-id",
        help="this screen's device id: MQTT client id, status topic (overrides the file)",
    )
    parser.add_argument("--hall", help="hall code (overrides the file; default $HALLQ_HALL or demo)")
    parser.add_argument(
        "--broker",
        help="broker URL, mqtt://user:pass@host:port, or a comma-separated list of a cluster's nodes "
        "(overrides the file; default $HALLQ_BROKER or local)",
    )
    parser.add_argument(
        "--window", help="run the display of this window (overrides the file; default: the hall display)"
    )
    parser.add_argument(
        "--follow-config", action="store_true", help="with --window: move to the window in the device config"
    )
    parser.add_argument("--size", type=_size, help="WxH (default 1920x1080; 800x480 with --window)")
    parser.add_argument("--fullscreen", action="store_true", help="fill the screen (appliance mode)")
    parser.add_argument("--headless", action="store_true", help="no window: follow the hall and speak only")
    parser.add_argument("--screenshot", type=Path, metavar="DIR", help="write screenshots to DIR and exit")
    parser.add_argument("--live", action="store_true", help="with --screenshot: take the data from the hall")
    parser.add_argument("--voice-dir", type=Path, help="recorded clips (qing.wav or 请.wav, A.wav, 0.wav…)")
    parser.add_argument("--voice-cache", type=Path, help="clip cache (default ~/.cache/hallq/voice)")
    parser.add_argument(
        "--audio",
        choices=("auto", "null", *(p[0] for p in PLAYERS)),
        default="auto",
        help="sound output: auto (first player found), null (silent, keeps timing) or a player",
    )
    parser.add_argument("--no-voice", action="store_true", help="do not announce calls")
    parser.add_argument("--repeat", type=int, default=1, help="times each call is read (1-5)")
    parser.add_argument("--repeat-gap", type=float, default=REPEAT_GAP_S, help="seconds between repeats")
    parser.add_argument("--state-dir", type=Path, help="where the boot counter is kept")
    parser.add_argument(
        "--snapshot-dir", type=Path, help="on SIGUSR1, write what the screen shows to DIR/snapshot-N.png"
    )


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be WxH, like 1920x1080, not {text!r}") from None
    if not (100 <= w <= 8192 and 100 <= h <= 8192):
        raise argparse.ArgumentTypeError("size out of range")
    return w, h


@dataclass(frozen=True, slots=True)
class DisplayIdentity:
    """Which screen this is and where its broker is: the device file, then the options over it."""

    hall: str
    device_id: str | None
    window: str | None  # None: the hall display
    broker: BrokerAddress


def build_identity(args: argparse.Namespace) -> DisplayIdentity:
    """The identity from ``--config`` and the override options (DeviceFileError for a bad file)."""
    kinds = (DeviceKind.HALL_DISPLAY, DeviceKind.WINDOW_DISPLAY)
    file = load_device_file(args.config, kinds) if args.config is not None else None
    if file is None:
        hall = os.environ.get("HALLQ_HALL", "demo")
        broker = BrokerAddress.parse(os.environ.get("HALLQ_BROKER", "mqtt://127.0.0.1:1883"))
        device_id, window = None, None
    else:
        hall, device_id, broker = file.device.hall, file.device.id, file.broker.address
        window = file.device.window if file.device.kind is DeviceKind.WINDOW_DISPLAY else None
        if file.device.kind is DeviceKind.WINDOW_DISPLAY and window is None and args.window is None:
            raise DeviceFileError(f"{args.config}: a window_display file needs [device] window")
    return DisplayIdentity(
        hall=args.hall or hall,
        device_id=args.device_id or device_id,
        window=args.window or window,
        broker=broker.overridden_by(args.broker),
    )


def run(args: argparse.Namespace) -> int:
    try:
        ident = build_identity(args)
        check_id(ident.hall, "hall")
        if ident.device_id:
            check_id(ident.device_id, "device id")
    except DeviceFileError as exc:
        print(f"hallq display: bad configuration: {exc}", file=sys.stderr)
        return 2
    except TopicError as exc:
        print(f"hallq display: {exc}", file=sys.stderr)
        return 2
    if args.screenshot is not None:
        return _screenshots(args, ident)
    if not ident.device_id:
        print("hallq display: --device-id is required (unless --screenshot)", file=sys.stderr)
        return 2
    broker = ident.broker
    boot = next_boot(_state_dir(args) / f"{ident.device_id}.boot")
    if ident.window:
        follow = args.follow_config
        runtime_w = window_runtime(
            ident.hall, ident.device_id, ident.window, boot=boot, broker=broker, follow_config_window=follow
        )
        if args.headless:
            return _headless(runtime_w)
        from .ui.app import run_window

        size = args.size or WINDOW_SIZE
        return run_window(runtime_w, size=size, fullscreen=args.fullscreen, snapshot_dir=args.snapshot_dir)
    announcer = None if args.no_voice else make_announcer(args)
    runtime_h = hall_runtime(ident.hall, ident.device_id, boot=boot, broker=broker, announcer=announcer)
    if args.headless:
        return _headless(runtime_h)
    from .ui.app import run_hall

    return run_hall(
        runtime_h, size=args.size or HALL_SIZE, fullscreen=args.fullscreen, snapshot_dir=args.snapshot_dir
    )


def make_announcer(args: argparse.Namespace) -> AnnouncementQueue | None:
    """The voice, or None (with the reason in the log) when this machine cannot make it."""
    cache = args.voice_cache or default_cache_dir()
    try:
        settings = VoiceSettings(repeat=args.repeat, repeat_gap_s=args.repeat_gap)
        pack = VoicePack.load(cache, args.voice_dir)
        sink = open_sink(args.audio)
    except (VoiceUnavailableError, ValueError) as exc:
        log.error("display: voice calls are off: %s", exc)
        return None
    log.info("display: voice ready (%s, audio %s)", cache, sink.name)
    return AnnouncementQueue(AnnouncementBuilder(pack, settings), sink)


def _state_dir(args: argparse.Namespace) -> Path:
    if args.state_dir:
        return Path(args.state_dir)
    env = os.environ.get("HALLQ_STATE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "hallq"


def _headless(runtime: DisplayRuntime[Any]) -> int:
    from queue_server.protocol.signals import SignalFlag

    signals = SignalFlag(signal.SIGTERM, signal.SIGINT)
    logged = [0]  # the newest seq already logged

    def log_calls() -> None:
        for seq in list(runtime.delivered):
            if seq > logged[0]:
                log.info("display: call seq %d", seq)
                logged[0] = seq

    runtime.add_listener(log_calls)
    runtime.start()
    signals.wait(0.2)
    runtime.stop()
    return 0


# --- screenshots --------------------------------------------------------------------------------


def _screenshots(args: argparse.Namespace, ident: DisplayIdentity) -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        if shutil.which("xvfb-run") and not os.environ.get(_REEXEC_ENV):
            # No screen: run this same command inside a virtual X server.
            argv = ["xvfb-run", "-a", "-s", XVFB_SCREEN, sys.executable, "-m", "queue_server.cli"]
            env = {**os.environ, _REEXEC_ENV: "1"}
            os.execvpe("xvfb-run", [*argv, *sys.argv[1:]], env)  # noqa: S606  # argv list, no shell
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    window = ident.window or "5"
    if args.live:
        hall_view, window_view = _live_views(ident, window)
        now = time.time()
    else:
        now = demo.NOW
        hall_view, window_view = _demo_views(window, now)
    from .ui.shots import Shot, take

    shots = [
        Shot("hall-1920x1080", args.size or HALL_SIZE, hall_view),
        Shot("hall-portrait-1080x1920", (1080, 1920), hall_view),
        Shot("hall-4k-3840x2160", (3840, 2160), hall_view),
        Shot("window-800x480", WINDOW_SIZE, window_view),
        Shot("window-1280x400", (1280, 400), window_view),
    ]
    if not args.live:
        shots.append(Shot("window-paused-800x480", WINDOW_SIZE, demo_window_view("7", now)))
    for path in take(args.screenshot, shots, now):
        print(path)
    return 0


def _demo_views(window: str, now: float) -> tuple[Any, Any]:
    """Views as a display shows them a moment after A012 was called to window 5."""
    board = HallBoard()
    board.set_online(True)
    state = demo.hall_state(now)
    newest = state.recent_calls[0]
    before = state.model_copy(update={"seq": newest.seq - 1, "recent_calls": state.recent_calls[1:]})
    board.apply_state(before, now)
    for ws in demo.window_states(now):
        board.apply_window(ws, now)
    board.apply_call(newest, now - 1)
    return board.view(now), demo_window_view(window, now)


def demo_window_view(window: str, now: float) -> Any:
    from .window_board import WindowBoard

    state = demo.hall_state(now)
    board = WindowBoard(window)
    board.set_online(True)
    board.apply_state(state, now - 1)
    for ws in demo.window_states(now):
        board.apply_window(ws, now - 1)
    call = next((c for c in state.recent_calls if c.window == window), None)
    if call is not None and call.seq == state.seq:
        board.apply_call(call.model_copy(update={"ts": now}), now - 1)
    return board.view(now)


def _live_views(ident: DisplayIdentity, window: str) -> tuple[Any, Any]:
    broker = ident.broker
    base = ident.device_id or f"shot-{uuid.uuid4().hex[:8]}"
    hall = hall_runtime(ident.hall, base, boot=1, broker=broker)
    win = window_runtime(ident.hall, f"{base}-w", window, boot=1, broker=broker)
    for rt in (hall, win):
        rt.start()
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and hall.sequencer.last is None:
        time.sleep(0.1)
    time.sleep(0.3)  # retained window states follow the hall state
    views = hall.view(), win.view()
    for rt in (hall, win):
        rt.stop()
    return views
