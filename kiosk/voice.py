"""Voice prompts for the elderly-friendly mode: espeak-ng's Mandarin voice, one prompt at a time."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading

log = logging.getLogger(__name__)


class EspeakVoice:
    """Speaks Chinese text with ``espeak-ng -v cmn``; a new prompt stops the one still playing
    (a citizen who taps on wants to hear about the screen in front of them, not the previous one)."""

    def __init__(self, binary: str = "espeak-ng", speed: int = 150) -> None:
        self.binary = shutil.which(binary)
        self.speed = speed
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        if self.binary is None:
            log.warning("espeak-ng not found: voice prompts are off")

    def say(self, text: str) -> None:
        if self.binary is None or not text:
            return
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()
            self._proc = subprocess.Popen(
                [self.binary, "-v", "cmn", "-s", str(self.speed), text],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()
                self._proc.wait(2)
