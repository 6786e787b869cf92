"""Kivy commands under ``xvfb-run`` from a test: a hung one is made to say where it hangs.

``xvfb-run`` is a shell script; the Kivy app is its Python child. A child still running at the timeout
gets SIGABRT: with ``PYTHONFAULTHANDLER`` set, Python prints every thread's stack to stderr before it
dies, and the test failure shows that stderr's end (in CI, the only evidence there is).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def python_child(parent: int, timeout: float = 30.0) -> int:
    """The Python process ``parent`` (an ``xvfb-run``) started."""
    deadline = time.monotonic() + timeout
    while True:
        pid = _python_child(parent)
        if pid is not None:
            return pid
        if time.monotonic() > deadline:
            raise AssertionError(f"no Python process under {parent} after {timeout} s")
        time.sleep(0.1)


def _python_child(parent: int) -> int | None:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, fields = text.split("(", 1)[1].rsplit(")", 1)[0], text.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and comm.startswith("python"):
            return int(stat.parent.name)
    return None


def run(argv: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, capture_output=True, text=True)``, with a stack dump instead of a bare
    timeout. ``argv`` starts a new session, so nothing it started outlives the test."""
    env = {**env, "PYTHONFAULTHANDLER": "1"}
    pipe = subprocess.PIPE
    with subprocess.Popen(argv, env=env, stdout=pipe, stderr=pipe, text=True, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child = _python_child(proc.pid)
            if child is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGABRT)
            try:
                out, err = proc.communicate(timeout=15)  # the dump, then xvfb-run's own exit
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()  # a retried communicate loses no output
            raise AssertionError(
                f"{' '.join(argv)}\nstill running after {timeout} s; the end of its stderr:\n{err[-8000:]}"
            ) from None
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


# Runs ``hallq`` (argv[2:]) and, at the moment Kivy is first imported, writes the names of the
# threads then running to the file argv[1].
_KIVY_IMPORT_PROBE = """
import json, sys, threading

class Probe:
    def find_spec(self, name, path=None, target=None):
        if name == "kivy":
            sys.meta_path.remove(self)
            with open(sys.argv[1], "w") as f:
                json.dump([t.name for t in threading.enumerate()], f)
        return None

sys.meta_path.insert(0, Probe())
from queue_server.cli import main
sys.exit(main(sys.argv[2:]))
"""


KIVY_IMPORT_RECORD = "threads-at-kivy-import.json"


def hallq_probing_kivy_import(tmp_path: Path, *args: str) -> list[str]:
    """The argv of ``hallq *args`` that writes down in ``tmp_path`` which threads ran when Kivy was
    imported (checked by :func:`assert_kivy_imported_alone`)."""
    return [sys.executable, "-c", _KIVY_IMPORT_PROBE, str(tmp_path / KIVY_IMPORT_RECORD), *args]


def assert_kivy_imported_alone(tmp_path: Path, context: str = "") -> None:
    """Kivy was imported before any thread of the program ran: else Kivy's logging can deadlock it
    (kiosk.cli._run says how)."""
    names = json.loads((tmp_path / KIVY_IMPORT_RECORD).read_text())
    assert names == ["MainThread"], f"threads running when Kivy was imported: {names}\n{context}"
