"""``hallq agent --simulate-devices``: a keypad, a rating pad and a sign on pseudo-terminals.

The agent binds to the simulators' paths exactly as to ``/dev/serial/by-id/…`` links. A small console
on stdin presses their keys (and unplugs them), and what the sign, the keypad display and the pad
show is printed as it changes, so a person can work a window without hardware.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

from devices.agent.config import AgentConfig
from devices.keypad import Key
from devices.serialport import SerialPortConfig
from devices.sign import SignConfig
from devices.simulators import KeypadSimulator, RatingPadSimulator, SignSimulator
from devices.simulators.pty import PtyDevice

# Simulated devices are replugged in demos and tests: come back quickly.
_FAST = {"reconnect_initial_s": 0.05, "reconnect_max_s": 0.5}

CONSOLE_HELP = """\
keys: n 叫号  r 重呼  s 开始办理  f[N] 办结(类型N)  x 过号  p[N] 暂停(原因N)  c 恢复
pad:  1-5 评价 (5 非常满意 … 1 非常不满意)
unplug|plug keypad|pad|sign,  ? help,  q quit"""

_KEYS = {"n": Key.NEXT, "r": Key.RECALL, "s": Key.START, "f": Key.FINISH, "x": Key.NO_SHOW,
         "p": Key.PAUSE, "c": Key.RESUME}  # fmt: skip


class SimulatedWindow:
    """The three serial devices of one window, each on a pty under ``directory``."""

    def __init__(self, directory: Path | None = None) -> None:
        self._own_dir = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="hallq-agent-devices-"))
        self.keypad = KeypadSimulator(self.directory, "keypad")
        self.pad = RatingPadSimulator(self.directory, "rating-pad")
        self.sign = SignSimulator(self.directory, "window-sign")

    def start(self) -> Self:
        for device in self.devices().values():
            device.start()
        return self

    def stop(self) -> None:
        for device in self.devices().values():
            device.stop()
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def devices(self) -> dict[str, PtyDevice]:
        return {"keypad": self.keypad, "pad": self.pad, "sign": self.sign}

    def bind(self, config: AgentConfig) -> AgentConfig:
        """``config`` with its keypad, pad and sign ports replaced by these simulators."""
        sign = SignConfig(
            port=SerialPortConfig(path=self.sign.path, **_FAST),
            address=self.sign.address,
            encoding="gb2312",
        )
        return config.model_copy(
            update={
                "keypad": SerialPortConfig(path=self.keypad.path, **_FAST),
                "rating_pad": SerialPortConfig(path=self.pad.path, **_FAST),
                "sign": sign,
            }
        )

    # --- the console ---------------------------------------------------------------------------

    def command(self, line: str) -> str | None:
        """Act on one console line; returns what to print (None to quit)."""
        words = line.strip().lower().split()
        if not words:
            return ""
        word = words[0]
        if word in ("q", "quit", "exit"):
            return None
        if word in ("?", "h", "help"):
            return CONSOLE_HELP
        if word in ("unplug", "plug") and len(words) == 2 and words[1] in self.devices():
            device = self.devices()[words[1]]
            if word == "unplug":
                device.unplug()
            else:
                device.plug()
            return f"{words[1]} {word}ged"
        if word.isdigit() and len(word) == 1 and 1 <= int(word) <= 5:
            return self._safely(lambda: self.pad.press(int(word)), f"pad {word}")
        key = _KEYS.get(word[0])
        if key is not None and (len(word) == 1 or word[1:].isdigit()):
            code = int(word[1:]) if len(word) > 1 else None
            return self._safely(lambda: self.keypad.press(key, code), f"key {key.name.lower()}")
        return f"unknown command {line.strip()!r}; ? for help"

    @staticmethod
    def _safely(action: Callable[[], None], done: str) -> str:
        try:
            action()
        except (RuntimeError, ValueError) as exc:
            return f"{done}: {exc}"
        return done

    def snapshot(self) -> tuple[str, str, str]:
        """What a person at the window sees: the sign, the keypad display, the pad's lights."""
        pad = self.pad
        if pad.lights_on:
            lights = f"请评价 (visit {pad.prompted})"
        elif pad.lit is not None:
            lights = f"已评价 {pad.lit}"
        else:
            lights = "灭"
        return self.sign.text or "(blank)", self.keypad.display or "(blank)", lights


def watch(window: SimulatedWindow, stop: threading.Event, out: TextIO = sys.stdout) -> None:
    """Print the window's devices whenever what they show changes (until ``stop``)."""
    last: tuple[str, str, str] | None = None
    while not stop.wait(0.1):
        now = window.snapshot()
        if now != last:
            sign, keypad, pad = now
            print(f"[sign] {sign}   [keypad] {keypad}   [pad] {pad}", file=out, flush=True)
            last = now


def console(window: SimulatedWindow, stop: threading.Event, stdin: TextIO = sys.stdin) -> None:
    """Read commands until EOF or ``q``; then set ``stop``. EOF at once (no terminal) changes nothing."""
    print(CONSOLE_HELP, flush=True)
    for line in stdin:
        reply = window.command(line)
        if reply is None:
            stop.set()
            return
        if reply:
            print(reply, flush=True)
