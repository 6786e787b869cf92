"""Display benchmarks: how fast a call reaches the screen's view model, and how fast a call is voiced.

- ``display_update_p50_ms`` / ``display_update_p99_ms``: a call event published (QoS 1, as the
  server's bridge does) on a private Mosquitto (``set_tcp_nodelay``, like the test fixture) until the
  hall display's view model shows it (the runtime decoded it, put it in order, updated the board and
  built the view the screen paints). Target p99 ≤ 30 ms.
- ``announce_build_ms``: building one announcement WAV from the cached voice pack (median; ``_p99``
  too). Target ≤ 5 ms. ``announce_pack_first_load_s`` is the one-off cost of generating the pack with
  espeak-ng + sox into an empty cache.

Everything is measured here, on this machine, every run.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.figures import Figures
from display.hall_board import HallBoard
from display.runtime import hall_runtime
from display.voice.builder import AnnouncementBuilder
from display.voice.pack import VoicePack, check_tools
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink
from queue_server.protocol.messages import CallEvent, CallKind, HallState

HALL = "bench-display"


def run(quick: bool, db: str) -> Figures:
    figures: Figures = {}
    figures.update(update_latency(n=100 if quick else 1000))
    figures.update(announce_build(n=200 if quick else 2000))
    return figures


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --- call published → view model updated ----------------------------------------------------------


def update_latency(n: int) -> Figures:
    with private_mosquitto() as address:
        publisher = MqttLink("bench-display-publisher", address)
        publisher.start()
        if not publisher.wait_connected(5):
            raise RuntimeError("publisher could not connect to the private mosquitto")
        # (the runtime's wait below confirms it arrived; publish_and_wait can deadlock against paho)
        publisher.publish(topics.state(HALL), HallState(seq=0, open=True, extended=False), retain=True)
        runtime = hall_runtime(HALL, "bench-hall-screen", boot=1, broker=address, board=HallBoard())
        seen: dict[int, float] = {}
        arrived = threading.Event()
        want = [0]

        def on_change() -> None:
            # What the screen would do next: build the view. Timestamp when it shows the call.
            view = runtime.view()
            if view.recent and view.recent[0].seq == want[0] and want[0] not in seen:
                seen[want[0]] = time.perf_counter()
                arrived.set()

        runtime.add_listener(on_change)
        runtime.start()
        try:
            deadline = time.monotonic() + 10
            while runtime.sequencer.last is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if runtime.sequencer.last is None:
                raise RuntimeError("display never saw the retained state")
            warmup = 20
            latencies: list[float] = []
            for seq in range(1, n + warmup + 1):
                call = CallEvent(
                    seq=seq,
                    kind=CallKind.CALL,
                    ticket=f"A{seq % 1000:03d}",
                    window=str(seq % 12 + 1),
                    window_name=f"{seq % 12 + 1}号窗口",
                    say="",
                    ts=time.time(),
                )
                arrived.clear()
                want[0] = seq
                t0 = time.perf_counter()
                publisher.publish(topics.calls(HALL), call)
                if not arrived.wait(5):
                    raise RuntimeError(f"call {seq} never reached the view model")
                if seq > warmup:
                    latencies.append((seen[seq] - t0) * 1000)
                time.sleep(0.002)  # one call at a time: latency, not a flood's queueing
        finally:
            runtime.stop()
            publisher.stop()
    return {
        "display_update_p50_ms": round(statistics.median(latencies), 3),
        "display_update_p99_ms": round(percentile(latencies, 99), 3),
        "display_update_max_ms": round(max(latencies), 3),
        "display_update_n": len(latencies),
    }


@contextlib.contextmanager
def private_mosquitto() -> Iterator[BrokerAddress]:
    """A mosquitto of this benchmark alone, configured like the tests' ``broker`` fixture."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        raise RuntimeError("mosquitto is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with tempfile.TemporaryDirectory(prefix="hallq-bench-mqtt-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
            "persistence false\nmax_queued_messages 100000\nlog_dest none\n"
        )
        proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 5
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("private mosquitto did not start") from None
                    time.sleep(0.02)
            yield BrokerAddress("127.0.0.1", port)
        finally:
            proc.terminate()
            proc.wait(5)


# --- announcement building -----------------------------------------------------------------------


def announce_build(n: int) -> Figures:
    missing = check_tools()
    if missing:
        return {"announce_build_ms": f"skipped: {', '.join(missing)} missing"}
    with tempfile.TemporaryDirectory(prefix="hallq-bench-voice-") as tmp:
        t0 = time.perf_counter()
        VoicePack.load(Path(tmp))  # empty cache: every clip generated once
        first_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        pack = VoicePack.load(Path(tmp))  # what every later start does
        cached_load = time.perf_counter() - t0
    builder = AnnouncementBuilder(pack)
    tickets = [(f"{chr(65 + i % 6)}{i % 1000:03d}", str(i % 30 + 1)) for i in range(n)]
    times: list[float] = []
    for ticket, window in tickets:
        t0 = time.perf_counter()
        builder.build(ticket, window)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "announce_build_ms": round(statistics.median(times), 3),
        "announce_build_p99_ms": round(percentile(times, 99), 3),
        "announce_pack_first_load_s": round(first_load, 3),
        "announce_pack_cached_load_ms": round(cached_load * 1000, 3),
    }
