"""Test helpers for the display: message factories, a stand-in for the server's MQTT bridge, and a
TCP proxy that can cut one client's connection while everyone else stays connected."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

from display.hall_board import HallView
from display.runtime import DisplayRuntime, hall_runtime
from display.voice.announcer import AnnouncementQueue
from display.voice.builder import AnnouncementBuilder
from display.voice.pack import VoicePack
from display.voice.sinks import NullSink
from harness.waiting import scaled
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import (
    CallEvent,
    CallKind,
    CallsSinceArgs,
    HallMode,
    HallState,
    Op,
    Request,
    Response,
    ServiceInfo,
    WindowBrief,
    WindowState,
    WindowStatus,
    parse_args,
)

T0 = 1_772_761_265.0  # 2026-03-06 09:41:05 in Shanghai


def call(
    seq: int,
    ticket: str | None = None,
    window: str = "5",
    *,
    kind: CallKind = CallKind.CALL,
    ts: float | None = None,
    window_name: str | None = None,
) -> CallEvent:
    ticket = ticket or f"A{seq % 1000:03d}"
    return CallEvent(
        seq=seq,
        kind=kind,
        ticket=ticket,
        window=window,
        window_name=window_name if window_name is not None else f"{window}号窗口",
        say=f"请{ticket}号到{window}号窗口办理",
        ts=T0 + seq if ts is None else ts,
    )


def hall_state(
    seq: int,
    *,
    recent: list[CallEvent] | None = None,
    windows: dict[str, WindowBrief] | None = None,
    mode: HallMode = HallMode.OPEN,
    ts: float | None = None,
    waiting: dict[str, int] | None = None,
    services: list[ServiceInfo] | None = None,
    notice: str = "请保管好随身物品",
    hall_name: str = "测试市民大厅",
) -> HallState:
    return HallState(
        seq=seq,
        open=mode is not HallMode.CLOSED,
        extended=mode is HallMode.EXTENDED,
        mode=mode,
        hall_name=hall_name,
        recent_calls=list(reversed(recent or [])),
        windows=windows or {},
        waiting=waiting or {},
        services=services or [],
        notice=notice,
        ts=T0 + seq if ts is None else ts,
    )


class FakeBridge:
    """Behaves like the queue server's MQTT bridge for one hall, as docs/design/PROTOCOL.md describes it.

    Publishes every call on ``…/calls`` with the next ``seq`` (QoS 1), then the window's retained
    state and the retained hall state; answers ``calls.since`` on the asking device's ``resp`` topic
    from its record, oldest first, bounded by ``limit``; republishes the retained topics after every
    (re)connect, as a broker restart without persistence loses them.
    """

    def __init__(self, hall: str, broker: BrokerAddress, *, first_seq: int = 0) -> None:
        self.hall = hall
        self.seq = first_seq
        self.record: list[CallEvent] = []
        self.windows: dict[str, WindowState] = {}
        self.answered: list[tuple[str, int]] = []  # (device id, since) of calls.since requests
        self._lock = threading.Lock()
        self.link = MqttLink(f"fake-bridge-{uuid.uuid4().hex[:8]}", broker)
        self.link.subscribe(topics.all_requests(hall), self._on_request)
        self.link.on_connect(self._republish)

    def start(self) -> FakeBridge:
        self.link.start()
        assert self.link.wait_connected(scaled(5)), "fake bridge could not connect"
        return self

    def stop(self) -> None:
        self.link.stop()

    def call(
        self,
        ticket: str | None = None,
        window: str = "5",
        kind: CallKind = CallKind.CALL,
        *,
        settle: bool = True,
    ) -> CallEvent:
        """One call. With ``settle``, returns once the broker holds the new retained hall state: a display
        started next gets it (else it might get the one before and rightly announce this call).
        """
        with self._lock:
            self.seq += 1
            ev = call(self.seq, ticket, window, kind=kind, ts=time.time())
            self.record.append(ev)
            ws = WindowState(
                window=window,
                name=f"{window}号窗口",
                status=WindowStatus.CALLING,
                ticket=ev.ticket,
                staff="张*",
                staff_id="0005",
                ts=ev.ts,
            )
            self.windows[window] = ws
            self.link.publish(topics.calls(self.hall), ev)
            self.link.publish(topics.window_state(self.hall, window), ws, retain=True)
            state_mid = self.link.publish(topics.state(self.hall), self.state(), retain=True)
        # Outside the lock: the acknowledgement comes on paho's thread, which may be waiting for it.
        if settle:
            assert self.link.wait_acked(state_mid, scaled(10)), (
                "the broker did not acknowledge the hall state"
            )
        return ev

    def state(self) -> HallState:
        briefs = {
            n: WindowBrief(status=w.status, ticket=w.ticket, staff=w.staff) for n, w in self.windows.items()
        }
        return HallState(
            seq=self.seq,
            open=True,
            extended=False,
            hall_name="测试市民大厅",
            recent_calls=list(reversed(self.record[-10:])),
            windows=briefs,
            waiting={"A": 3},
            eta_min={"A": 6},
            ts=time.time(),
        )

    def _republish(self) -> None:
        with self._lock:
            for no, ws in self.windows.items():
                self.link.publish(topics.window_state(self.hall, no), ws, retain=True)
            self.link.publish(topics.state(self.hall), self.state(), retain=True)

    def _on_request(self, msg: Received) -> None:
        parsed = topics.parse_topic(msg.topic)
        assert isinstance(parsed, topics.DeviceTopic)
        req = decode(Request, msg.payload)
        if req.op != Op.CALLS_SINCE.value:
            resp = Response.failure(req.id, "bad_request", "only calls.since here")
        else:
            _, args = parse_args(req)
            assert isinstance(args, CallsSinceArgs)
            with self._lock:
                newer = [c for c in self.record if c.seq > args.seq]
                self.answered.append((parsed.device_id, args.seq))
            page = newer[: args.limit]
            resp = Response.success(
                req.id, {"calls": [c.model_dump(mode="json") for c in page], "more": len(newer) > len(page)}
            )
        self.link.publish(topics.dev_resp(self.hall, parsed.device_id), resp)


def wav_rms(path_or_bytes: Path | bytes) -> float:
    """RMS of a 16-bit mono WAV, 0..1 of full scale."""
    import io
    import math
    import wave
    from array import array

    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with wave.open(src if isinstance(src, io.BytesIO) else str(src), "rb") as w:
        assert w.getsampwidth() == 2
        samples = array("h", w.readframes(w.getnframes()))
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768.0


# Announcements "play" at 1/50 of real time: the order and the one-at-a-time rule are what matter.
TIME_SCALE = 0.02


def make_hall_display(
    hall: str, address: BrokerAddress, voice_pack: VoicePack, device_id: str = "hall-screen-1", boot: int = 1
) -> DisplayRuntime[HallView]:
    """A hall display without a window, its voice timed by the null sink."""
    # Room for every call of these tests: the bound and its drop policy are tested in test_display_voice.
    announcer = AnnouncementQueue(AnnouncementBuilder(voice_pack), NullSink(TIME_SCALE), capacity=200)
    # A short reply timeout: replays asked while the link is still coming back are retried sooner.
    return hall_runtime(hall, device_id, boot=boot, broker=address, announcer=announcer, replay_timeout=1.0)
