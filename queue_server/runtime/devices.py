"""The device programs ``hallq up`` starts beside the server: window agents with simulated hardware
(``--simulate-devices``) and, when there is a display, a kiosk and the hall display. Each is a
subprocess of its own command (``hallq agent|kiosk|display``), given only the options its parser
declares, logging to ``{data-dir}/devices/{device_id}.log``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from queue_server.runtime.steps import note

if TYPE_CHECKING:
    from queue_server.halls import HallFile

log = logging.getLogger(__name__)

SUBPROCESS_STOP_TIMEOUT_S = 10.0


def devices_of(hall: HallFile) -> list[tuple[str, str, str | None]]:
    return [(d.id, str(d.kind), d.window) for d in hall.devices]


def start_simulators(broker_url: str, hall: HallFile, data_dir: Path) -> Subprocesses | None:
    """One ``hallq agent --simulate-devices`` per window agent: keypad, rating pad and sign on ptys."""
    procs = []
    for device_id, kind, window in devices_of(hall):
        if kind != "window_agent":
            continue
        options = {
            "--broker": broker_url,
            "--hall": hall.hall.code,
            "--device-id": device_id,
            "--window": window,
            "--data-dir": str(data_dir / "devices" / device_id),
        }
        argv = command_argv("agent", options, ["--simulate-devices"])
        procs.append(_spawn(argv, data_dir / "devices" / f"{device_id}.log"))
    note(f"{len(procs)} window agents, logs in {data_dir / 'devices'}")
    return Subprocesses(procs) if procs else None


@dataclass
class Subprocesses:
    """Device programs started by ``hallq up``: asked to stop (SIGTERM), killed if they do not."""

    procs: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        # One grace period for all of them (they stop in parallel), not one each.
        deadline = time.monotonic() + SUBPROCESS_STOP_TIMEOUT_S
        for proc in self.procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop within %.0f s: killed", proc.args, SUBPROCESS_STOP_TIMEOUT_S)
                proc.kill()
                proc.wait()


def open_screens(broker_url: str, hall: HallFile, data_dir: Path, simulate: bool) -> Subprocesses | None:
    """A kiosk and the hall display, when there is a display to open them on."""
    if not os.environ.get("DISPLAY"):
        note("no $DISPLAY: none opened")
        return None
    first = {
        k: next((d for d, kind, _ in devices_of(hall) if kind == k), None) for k in ("kiosk", "hall_display")
    }
    procs = []
    for command, device_id in (("kiosk", first["kiosk"]), ("display", first["hall_display"])):
        if device_id is None:
            continue
        options: dict[str, str | None] = {
            "--broker": broker_url,
            "--hall": hall.hall.code,
            "--device-id": device_id,
        }
        flags = []
        if command == "kiosk":  # the display keeps no files of its own here
            options["--data-dir"] = str(data_dir / "devices" / device_id)
            flags = ["--simulate-devices"] if simulate else []
        argv = command_argv(command, options, flags)
        procs.append(_spawn(argv, data_dir / "devices" / f"{device_id}.log"))
    return Subprocesses(procs) if procs else None


def command_argv(command: str, options: Mapping[str, str | None], flags: list[str]) -> list[str]:
    """``hallq <command>`` with these options (those set) and flags, run by this Python."""
    argv = [sys.executable, "-m", "queue_server.cli", command]
    for option, value in options.items():
        if value is not None:
            argv += [option, value]
    return argv + flags


def _spawn(argv: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    from queue_server.runtime.broker import die_with_parent

    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Ctrl-C reaches hallq up only, which stops the devices itself, first, while the broker is
            # still there to take their offline status; and they die with it if it is killed.
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
