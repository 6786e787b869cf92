"""Where announcements go: the machine's sound output, or nowhere (but in real time).

The sink is the one seam between the announcer and audio hardware. ``play`` blocks until the sound
has finished, so the queue never starts a call over another one. The null sink writes nothing but
still takes the WAV's duration, so a headless display keeps the same rhythm (and tests see the same
ordering) as a hall with speakers.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from typing import Protocol

log = logging.getLogger(__name__)


class AudioSink(Protocol):
    name: str

    def play(self, wav: bytes, seconds: float) -> None:
        """Play a WAV to the end (blocking). Must not raise: a broken speaker never stops a display."""

    def close(self) -> None:
        """Stop any sound now and release the device."""


class NullSink:
    """Plays nothing, taking ``seconds × time_scale`` (``time_scale`` < 1 only for tests/benchmarks)."""

    name = "null"

    def __init__(self, time_scale: float = 1.0) -> None:
        self.time_scale = time_scale
        self.played = 0
        self._closed = threading.Event()

    def play(self, wav: bytes, seconds: float) -> None:
        self.played += 1
        self._closed.wait(seconds * self.time_scale)

    def close(self) -> None:
        self._closed.set()


# Players that read a WAV from stdin, best first: PulseAudio/PipeWire, then ALSA, then sox.
PLAYERS: tuple[tuple[str, ...], ...] = (
    ("paplay", "--client-name=hallq-display"),
    ("aplay", "-q", "-"),
    ("play", "-q", "-t", "wav", "-"),
)


class CommandSink:
    """Pipes each WAV into a player program (``paplay``, ``aplay`` or sox's ``play``).

    After ``max_failures`` failures in a row (no sound card, daemon gone) it falls back to timing
    like the null sink and says so once in the log, so calls keep their order and rhythm.
    """

    def __init__(self, argv: tuple[str, ...], *, max_failures: int = 3) -> None:
        self.argv = argv
        self.name = argv[0]
        self._fallback = NullSink()
        self._failures = 0
        self._max_failures = max_failures
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def failures(self) -> int:
        """Failures in a row (0 after any success)."""
        return self._failures

    def play(self, wav: bytes, seconds: float) -> None:
        if self._failures >= self._max_failures or self._closed:
            self._fallback.play(wav, seconds)
            return
        try:
            with self._lock:
                self._proc = subprocess.Popen(
                    self.argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
                )
            _, err = self._proc.communicate(wav, timeout=seconds + 10)
            rc = self._proc.returncode
        except (OSError, subprocess.SubprocessError) as exc:
            rc, err = -1, str(exc).encode()
            if self._proc is not None:
                self._proc.kill()
        finally:
            with self._lock:
                self._proc = None
        if rc == 0 or self._closed:
            self._failures = 0
            return
        self._failures += 1
        log.warning("audio: %s failed (%s): %s", self.name, rc, err.decode(errors="replace").strip()[:200])
        if self._failures >= self._max_failures:
            log.error("audio: %s keeps failing; announcements continue silently", self.name)
        self._fallback.play(wav, seconds)  # keep the rhythm: the next call waits as if this one played

    def close(self) -> None:
        self._closed = True
        self._fallback.close()
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()


def open_sink(kind: str, *, time_scale: float = 1.0) -> AudioSink:
    """``null``: no sound; ``auto``: the first player found on PATH, else null; or a player's name."""
    if kind == "null":
        return NullSink(time_scale)
    for argv in PLAYERS:
        if (kind in ("auto", argv[0])) and shutil.which(argv[0]):
            return CommandSink(argv)
    if kind != "auto":
        raise ValueError(f"audio output {kind!r} is not available (try null or auto)")
    log.warning("audio: no player (paplay, aplay, play) found; announcements are silent")
    return NullSink(time_scale)
