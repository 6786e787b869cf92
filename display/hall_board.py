"""The hall display's view model (综合屏): plain Python, no Kivy, clock passed in.

Fed by the retained hall state, the retained window states and the calls (already put in order by
the :class:`~display.sequencer.CallSequencer`), it answers one question: :meth:`HallBoard.view`,
what the screen shows at time ``now``.

The spotlight (the newest call, large and highlighted) shows calls one after another: each delivered
call is queued; a call keeps the spotlight at least ``highlight_s`` seconds, and while the voice is
speaking it (:meth:`speaking` … :meth:`spoken`), so the screen and the voice stay together and a
burst is never collapsed into its last call.

Ordering of the different sources, so an older message never overwrites a newer one:

- hall states are ordered by ``(seq, ts)``, as the server orders them (``seq`` comes from the
  database, so it also holds across server instances whose clocks differ); an older one is ignored
  (``stale_states`` counts them), except right after the server started a new ``seq`` series;
- a window's entry remembers the ``seq``/``ts`` of the call that last touched it: a hall state older
  than that call, or a window state older than it, does not take the window back.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from queue_server.protocol.messages import (
    CallEvent,
    CallKind,
    DeviceConfig,
    HallMode,
    HallState,
    WindowState,
    WindowStatus,
)

from . import text

RECENT_SIZE = 10
HIGHLIGHT_S = 8.0
AFTER_SPEECH_S = 2.0  # the highlight lingers this long after the voice finished a call
DEFAULT_NOTICE = "请取号后留意叫号信息，过号请到导办台咨询。"


@dataclass(frozen=True, slots=True)
class CallLine:
    seq: int
    ticket: str
    window: str
    window_title: str
    recall: bool


@dataclass(frozen=True, slots=True)
class Spotlight:
    call: CallLine
    sentence: str  # 请 A012 号 到 5 号窗口
    window_name: str  # the window's own name when it says more than "5号窗口", else ""
    flash: bool


@dataclass(frozen=True, slots=True)
class WindowTile:
    window: str
    title: str
    name: str
    status: WindowStatus
    status_text: str
    ticket: str
    staff: str


@dataclass(frozen=True, slots=True)
class ServiceLine:
    code: str
    name: str
    waiting: int
    eta_text: str


@dataclass(frozen=True, slots=True)
class HallView:
    hall_name: str
    mode: HallMode
    status_text: str
    date_text: str
    time_text: str
    spotlight: Spotlight | None
    recent: tuple[CallLine, ...]
    windows: tuple[WindowTile, ...]
    services: tuple[ServiceLine, ...]
    notice: str
    online: bool
    alert: str


@dataclass(slots=True)
class _Window:
    window: str
    name: str = ""
    status: WindowStatus = WindowStatus.IDLE
    ticket: str = ""
    staff: str = ""
    pause_reason: str = ""
    in_state: bool = False
    call_seq: int = -1
    call_ts: float = 0.0
    ws_ts: float = 0.0


@dataclass(slots=True)
class _Spot:
    call: CallEvent
    since: float
    held: bool = False


@dataclass(slots=True)
class HallBoard:
    """Everything the hall screen shows. Not thread-safe: the display runtime serialises access."""

    recent_size: int = RECENT_SIZE
    highlight_s: float = HIGHLIGHT_S
    tz: ZoneInfo = text.HALL_TZ
    default_notice: str = DEFAULT_NOTICE
    stale_states: int = 0
    online: bool = False
    _state: HallState | None = None
    _config: DeviceConfig | None = None
    _recent: list[CallEvent] = field(default_factory=list)
    _windows: dict[str, _Window] = field(default_factory=dict)
    _queue: deque[CallEvent] = field(default_factory=deque)
    _spot: _Spot | None = None
    _renumbered: bool = False
    _ts_floor: float = 0.0

    # --- inputs ---------------------------------------------------------------------------------

    def apply_state(self, state: HallState, now: float) -> bool:
        """A hall snapshot; False (and ignored) when older than the one already shown."""
        old = self._state
        older = old is not None and (state.seq, state.ts) < (old.seq, old.ts)
        if (older and not self._renumbered) or state.ts < self._ts_floor:
            self.stale_states += 1
            return False
        if self._renumbered:
            self._ts_floor = state.ts  # the old series' states are all older than this one
        self._state = state
        self._merge_recent(state, renumbered=self._renumbered)
        self._renumbered = False
        for no, brief in state.windows.items():
            w = self._window(no)
            w.in_state = True
            if state.seq >= w.call_seq:
                w.status, w.ticket, w.staff = brief.status, brief.ticket or "", text.mask_name(brief.staff)
                if brief.status is not WindowStatus.PAUSED:
                    w.pause_reason = ""
        for no, w in self._windows.items():
            if no not in state.windows:
                w.in_state = False
        if self._spot is None and self._recent:
            # A rebooted screen paints the latest call at once, without flashing it as news.
            self._spot = _Spot(self._recent[0], since=float("-inf"))
        return True

    def apply_window(self, ws: WindowState, now: float) -> bool:
        w = self._window(ws.window)
        if ws.ts < max(w.ws_ts, w.call_ts):
            return False
        w.ws_ts = ws.ts
        w.name = ws.name
        w.status = ws.status
        w.ticket = ws.ticket or ""
        w.staff = text.mask_name(ws.staff)
        w.pause_reason = ws.pause_reason or ""
        return True

    def apply_call(self, call: CallEvent, now: float) -> bool:
        """A call delivered by the sequencer (in order, once)."""
        # A replay can deliver calls older than a state already painted: keep the list in seq order.
        merged = [call, *(c for c in self._recent if c.seq != call.seq)]
        self._recent = sorted(merged, key=lambda c: c.seq, reverse=True)[: self.recent_size]
        w = self._window(call.window)
        w.status, w.ticket, w.call_seq, w.call_ts = WindowStatus.CALLING, call.ticket, call.seq, call.ts
        w.name = w.name or call.window_name
        self._queue.append(call)
        self.tick(now)
        return True

    def renumbered(self) -> None:
        """The server started a new ``seq`` series (database reset): forget the old calls."""
        self._recent.clear()
        self._queue.clear()
        self._renumbered = True  # the next hall state is the new series' even with a lower seq
        for w in self._windows.values():
            w.call_seq, w.call_ts = -1, 0.0

    def apply_config(self, config: DeviceConfig) -> bool:
        self._config = config
        return True

    def set_online(self, online: bool) -> bool:
        changed = online != self.online
        self.online = online
        return changed

    def speaking(self, seq: int, now: float) -> bool:
        """The voice started announcing call ``seq``: put it in the spotlight and hold it there."""
        if self._spot is not None and self._spot.call.seq == seq:
            self._spot.held, self._spot.since = True, now
            return True
        if not any(c.seq == seq for c in self._queue):
            return False
        while self._queue[0].seq != seq:  # the voice skipped these (backlog): so does the spotlight
            self._queue.popleft()
        self._spot = _Spot(self._queue.popleft(), since=now, held=True)
        return True

    def spoken(self, seq: int, now: float) -> bool:
        """The voice finished call ``seq``: the highlight lingers briefly, then the next call may come."""
        spot = self._spot
        if spot is None or spot.call.seq != seq or not spot.held:
            return False
        spot.held = False
        spot.since = now - max(0.0, self.highlight_s - AFTER_SPEECH_S)
        return self.tick(now)

    def tick(self, now: float) -> bool:
        """Advance the spotlight if its time is up and another call waits. True if it changed."""
        spot = self._spot
        if spot is not None and (spot.held or now - spot.since < self.highlight_s):
            return False
        if not self._queue:
            return False
        self._spot = _Spot(self._queue.popleft(), since=now)
        return True

    # --- output ---------------------------------------------------------------------------------

    @property
    def pending_spotlight(self) -> list[int]:
        return [c.seq for c in self._queue]

    def view(self, now: float) -> HallView:
        state = self._state
        mode = text.hall_mode(state) if state is not None else HallMode.OPEN
        date_text, time_text = text.clock_texts(now, self.tz)
        hall_name = (state.hall_name if state else "") or (self._config.hall_name if self._config else "")
        notice = (state.notice if state else "") or self.default_notice
        return HallView(
            hall_name=hall_name or text.DEFAULT_HALL_NAME,
            mode=mode,
            status_text=text.status_text(mode),
            date_text=date_text,
            time_text=time_text,
            spotlight=self._spotlight(now),
            recent=tuple(_line(c) for c in self._recent),
            windows=self._tiles(),
            services=self._services(),
            notice=notice,
            online=self.online,
            alert="" if self.online else text.OFFLINE_TEXT,
        )

    # --- internals ------------------------------------------------------------------------------

    def _window(self, no: str) -> _Window:
        w = self._windows.get(no)
        if w is None:
            w = self._windows[no] = _Window(no)
        return w

    def _merge_recent(self, state: HallState, *, renumbered: bool) -> None:
        if renumbered:
            self._recent = []
        merged = {c.seq: c for c in state.recent_calls}
        for c in self._recent:
            merged.setdefault(c.seq, c)
        self._recent = sorted(merged.values(), key=lambda c: c.seq, reverse=True)[: self.recent_size]

    def _spotlight(self, now: float) -> Spotlight | None:
        spot = self._spot
        if spot is None:
            return None
        call = spot.call
        title = text.window_title(call.window)
        known = self._windows.get(call.window)
        candidates = (known.name if known else "", call.window_name)
        name = next((n for n in candidates if n and n != title), "")
        return Spotlight(
            call=_line(call),
            sentence=text.call_sentence(call.ticket, call.window),
            window_name=name,
            flash=spot.held or now - spot.since < self.highlight_s,
        )

    def _tiles(self) -> tuple[WindowTile, ...]:
        # A window the latest hall state leaves out is gone, unless something newer speaks of it
        # (its own retained state, or a call made after that hall state).
        state_seq = self._state.seq if self._state is not None else None
        tiles = []
        for no in sorted(self._windows, key=text.natural_key):
            w = self._windows[no]
            gone = state_seq is not None and not w.in_state and w.ws_ts == 0 and w.call_seq <= state_seq
            if gone or w.status is WindowStatus.CLOSED:
                continue
            title = text.window_title(no)
            status_text = text.WINDOW_STATUS_TEXT[w.status]
            if w.status is WindowStatus.PAUSED and w.pause_reason:
                status_text = f"{status_text}：{w.pause_reason}"
            tiles.append(
                WindowTile(
                    window=no,
                    title=title,
                    name=w.name if w.name and w.name != title else "",
                    status=w.status,
                    status_text=status_text,
                    ticket=w.ticket,
                    staff=w.staff,
                )
            )
        return tuple(tiles)

    def _services(self) -> tuple[ServiceLine, ...]:
        state = self._state
        if state is None:
            return ()
        if state.services:
            lines = []
            for s in state.services:
                waiting = state.waiting.get(s.code, s.waiting)
                eta = state.eta_min.get(s.code, s.eta_min)
                lines.append(ServiceLine(s.code, s.name, waiting, text.eta_text(waiting, eta, s.open)))
            return tuple(lines)
        return tuple(
            ServiceLine(code, code, n, text.eta_text(n, state.eta_min.get(code)))
            for code, n in sorted(state.waiting.items())
        )


def _line(call: CallEvent) -> CallLine:
    return CallLine(
        seq=call.seq,
        ticket=call.ticket,
        window=call.window,
        window_title=text.window_title(call.window),
        recall=call.kind is CallKind.RECALL,
    )
