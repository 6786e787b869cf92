"""A display's working half, without a window: MQTT in, calls in order, view model, voice out.

Threads and who touches what:

- paho's network thread runs the message handlers: decode once, then feed the sequencer and the
  board under ``self._lock``;
- a replay thread asks ``calls.since`` (a request waits for its reply, which arrives on the paho
  thread: it must never be asked from a handler) and feeds the answer back the same way;
- the announcer thread plays the voice and tells the board which call it is speaking;
- the UI (Kivy main thread) only calls :meth:`DisplayRuntime.view`, and is told to do so by the
  listeners (which it turns into ``Clock.schedule_once``).

Calls reach the board and the announcer together, under the lock, in the sequencer's order: the
screen and the voice can never disagree about the order.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, DeviceLink, Received, RequestTimeoutError
from queue_server.protocol.codec import ProtocolError, decode
from queue_server.protocol.messages import (
    CallEvent,
    CallsSinceResult,
    DeviceConfig,
    DeviceKind,
    HallState,
    Op,
    WindowState,
)

from .hall_board import HallBoard, HallView
from .sequencer import CallSequencer, Outcome, Replay
from .voice.announcer import AnnouncementQueue, Spoken
from .voice.builder import VoiceSettings
from .window_board import WindowBoard, WindowView

log = logging.getLogger(__name__)

V_co = TypeVar("V_co", covariant=True)
V = TypeVar("V", HallView, WindowView)
M = TypeVar("M", HallState, CallEvent, WindowState, DeviceConfig)

REPLAY_LIMIT = 100
REPLAY_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 4.0)
HISTORY = 5000


class Board(Protocol[V_co]):
    def apply_state(self, state: HallState, now: float) -> bool: ...
    def apply_window(self, ws: WindowState, now: float) -> bool: ...
    def apply_call(self, call: CallEvent, now: float) -> bool: ...
    def apply_config(self, config: DeviceConfig) -> bool: ...
    def set_online(self, online: bool) -> bool: ...
    def tick(self, now: float) -> bool: ...
    def renumbered(self) -> None: ...
    def view(self, now: float) -> V_co: ...


class DisplayRuntime(Generic[V]):
    """One display: a hall display (``window=None``) or the display of one window."""

    def __init__(
        self,
        *,
        hall: str,
        device_id: str,
        board: Board[V],
        boot: int,
        broker: BrokerAddress | None = None,
        window: str | None = None,
        announcer: AnnouncementQueue | None = None,
        clock: Callable[[], float] = time.time,
        replay_timeout: float = 2.0,
        follow_config_window: bool = False,
    ) -> None:
        self.hall = hall
        self.board: Board[V] = board
        self.window = window
        self.announcer = announcer
        self.clock = clock
        self.replay_timeout = replay_timeout
        self.follow_config_window = follow_config_window
        self.sequencer = CallSequencer()
        self.delivered: deque[int] = deque(maxlen=HISTORY)  # seqs, in delivery order
        self.replays = 0
        self.config: DeviceConfig | None = None
        kind = DeviceKind.HALL_DISPLAY if window is None else DeviceKind.WINDOW_DISPLAY
        self.link = DeviceLink(hall, device_id, kind.value, boot=boot, broker=broker, health=self._health)
        self._lock = threading.RLock()
        self._listeners: list[Callable[[], None]] = []
        self._replays: queue.Queue[Replay | None] = queue.Queue()
        self._replay_thread: threading.Thread | None = None
        self._undo: list[Callable[[], None]] = []
        self._window_undo: Callable[[], None] | None = None
        self._connected_once = False
        self._rebased_seen = 0
        if announcer is not None:
            announcer.on_start = self._speaking
            announcer.on_finish = self._spoken

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        mqtt = self.link.link
        self._undo += [
            mqtt.subscribe(topics.state(self.hall), self._on_state),
            mqtt.subscribe(topics.calls(self.hall), self._on_call),
            mqtt.subscribe(topics.dev_config(self.hall, self.link.device_id), self._on_config),
            mqtt.on_connect(self._on_connected),
            mqtt.on_disconnect(self._on_disconnected),
        ]
        if self.window is None:
            self._undo.append(mqtt.subscribe(topics.all_window_states(self.hall), self._on_window))
        else:
            self._follow_window(self.window)
        self._replay_thread = threading.Thread(target=self._replay_loop, name="hallq-replay", daemon=True)
        self._replay_thread.start()
        if self.announcer is not None:
            self.announcer.start()
        self.link.start()

    def stop(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._replays.put(None)
        if self._replay_thread is not None:
            self._replay_thread.join(5)
        if self.announcer is not None:
            self.announcer.stop()
        self.link.stop()

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener`` (from any thread) whenever what the screen shows may have changed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def view(self) -> V:
        with self._lock:
            now = self.clock()
            self.board.tick(now)
            return self.board.view(now)

    # --- MQTT handlers (paho thread) ------------------------------------------------------------

    def _on_state(self, msg: Received) -> None:
        state = self._decode(HallState, msg)
        if state is None:
            return
        with self._lock:
            if not self.board.apply_state(state, self.clock()):
                return
            self._handle(self.sequencer.on_state_seq(state.seq, state.ts))
        self._notify()

    def _on_call(self, msg: Received) -> None:
        call = self._decode(CallEvent, msg)
        if call is None:
            return
        with self._lock:
            self._handle(self.sequencer.on_call(call))
        self._notify()

    def _on_window(self, msg: Received) -> None:
        ws = self._decode(WindowState, msg)
        if ws is None:
            return
        with self._lock:
            changed = self.board.apply_window(ws, self.clock())
        if changed:
            self._notify()

    def _on_config(self, msg: Received) -> None:
        config = self._decode(DeviceConfig, msg)
        if config is None:
            return
        with self._lock:
            if self.config is not None and config.version < self.config.version:
                return
            self.config = config
            self.board.apply_config(config)
            self._apply_voice_config(config)
            if self.follow_config_window and config.window and config.window != self.window:
                log.info("display: config moves this screen to window %s", config.window)
                self._follow_window(config.window)
        self._notify()

    def _on_connected(self) -> None:
        with self._lock:
            self.board.set_online(True)
            if self._connected_once:
                # The retained state will say too, but may lag the calls: ask what was missed now.
                self._handle(self.sequencer.on_reconnect())
            self._connected_once = True
        self._notify()

    def _on_disconnected(self) -> None:
        with self._lock:
            self.board.set_online(False)
        self._notify()

    # --- calls in order -------------------------------------------------------------------------

    def _handle(self, outcome: Outcome) -> None:
        """Apply a sequencer outcome. Caller holds the lock."""
        if self.sequencer.rebased != self._rebased_seen:
            self._rebased_seen = self.sequencer.rebased
            self.board.renumbered()
        now = self.clock()
        for call in outcome.deliver:
            self.delivered.append(call.seq)
            self.board.apply_call(call, now)
            if self.announcer is not None:
                self.announcer.submit(Spoken(call.seq, call.ticket, call.window))
        if outcome.replay is not None:
            self._replays.put(outcome.replay)

    def _replay_loop(self) -> None:
        failures = 0
        while True:
            item = self._replays.get()
            if item is None:
                return
            result = self._ask_calls_since(item.since)
            with self._lock:
                if result is None:
                    outcome = self.sequencer.on_replay_failed(item.since)
                else:
                    self.replays += 1
                    outcome = self.sequencer.on_replay(item.since, result)
                    failures = 0
                retry = outcome.replay
                outcome.replay = None
                self._handle(outcome)
            self._notify()
            if retry is not None:
                if result is None:
                    time.sleep(REPLAY_BACKOFF_S[min(failures, len(REPLAY_BACKOFF_S) - 1)])
                    failures += 1
                self._replays.put(retry)

    def _ask_calls_since(self, since: int) -> CallsSinceResult | None:
        try:
            resp = self.link.request(
                Op.CALLS_SINCE.value, {"seq": since, "limit": REPLAY_LIMIT}, timeout=self.replay_timeout
            )
        except RequestTimeoutError:
            log.warning("display: calls.since(%d) got no reply; will retry", since)
            return None
        if not resp.ok or resp.result is None:
            log.warning("display: calls.since(%d) refused: %s", since, resp.error)
            return None
        try:
            return CallsSinceResult.model_validate(resp.result)
        except ValueError as exc:
            log.warning("display: unreadable calls.since reply: %s", exc)
            return None

    # --- voice ----------------------------------------------------------------------------------

    def _speaking(self, item: Spoken) -> None:
        self._voice_event(item, start=True)

    def _spoken(self, item: Spoken) -> None:
        self._voice_event(item, start=False)

    def _voice_event(self, item: Spoken, *, start: bool) -> None:
        board = self.board
        if not isinstance(board, HallBoard):
            return
        with self._lock:
            now = self.clock()
            changed = board.speaking(item.seq, now) if start else board.spoken(item.seq, now)
        if changed:
            self._notify()

    def _apply_voice_config(self, config: DeviceConfig) -> None:
        if self.announcer is None:
            return
        extra = config.extra
        repeat = extra.get("voice_repeat")
        gap = extra.get("voice_repeat_gap_s")
        if repeat is None and gap is None:
            return
        old = self.announcer.builder.settings
        try:
            self.announcer.builder.settings = VoiceSettings(
                repeat=int(repeat) if repeat is not None else old.repeat,
                repeat_gap_s=float(gap) if gap is not None else old.repeat_gap_s,
                word_gap_s=old.word_gap_s,
                chime=old.chime,
            )
        except (TypeError, ValueError) as exc:
            log.warning("display: voice settings in config ignored: %s", exc)

    # --- helpers --------------------------------------------------------------------------------

    def _follow_window(self, window: str) -> None:
        if self._window_undo is not None:
            self._window_undo()
        self.window = window
        if isinstance(self.board, WindowBoard):
            self.board.retarget(window)
        self._window_undo = self.link.link.subscribe(topics.window_state(self.hall, window), self._on_window)

    def _decode(self, model: type[M], msg: Received) -> M | None:
        if not msg.payload:
            return None  # a cleared retained message
        try:
            return decode(model, msg.payload)
        except ProtocolError as exc:
            log.warning("display: ignored bad message on %s: %s", msg.topic, exc)
            return None

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("display: listener failed")

    def _health(self) -> dict[str, str]:
        health = {"screen": "ok"}
        if self.announcer is None and self.window is None:
            health["voice"] = "off"  # a hall display without voice: --no-voice, or no espeak-ng/sox
        if self.announcer is not None:
            health["voice"] = "ok"
            health["audio"] = self.announcer.sink.name
            health["voice_dropped"] = str(self.announcer.dropped)
        return health


def hall_runtime(
    hall: str,
    device_id: str,
    *,
    boot: int,
    broker: BrokerAddress | None = None,
    announcer: AnnouncementQueue | None = None,
    board: HallBoard | None = None,
    clock: Callable[[], float] = time.time,
    replay_timeout: float = 2.0,
) -> DisplayRuntime[HallView]:
    return DisplayRuntime(
        hall=hall,
        device_id=device_id,
        board=board or HallBoard(),
        boot=boot,
        broker=broker,
        announcer=announcer,
        clock=clock,
        replay_timeout=replay_timeout,
    )


def window_runtime(
    hall: str,
    device_id: str,
    window: str,
    *,
    boot: int,
    broker: BrokerAddress | None = None,
    clock: Callable[[], float] = time.time,
    follow_config_window: bool = False,
) -> DisplayRuntime[WindowView]:
    return DisplayRuntime(
        hall=hall,
        device_id=device_id,
        board=WindowBoard(window),
        boot=boot,
        broker=broker,
        window=window,
        clock=clock,
        follow_config_window=follow_config_window,
    )
