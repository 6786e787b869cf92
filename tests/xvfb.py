"""Kivy commands under ``xvfb-run`` from a test: a hung one is made to say where it hangs.

A test gets its screen from the ``xvfb_run`` fixture of tests/conftest.py (an ``XvfbRun``), which
skips without Xvfb and marks the test ``screen``.

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
from dataclasses import dataclass
from pathlib import Path

from harness.waiting import eventually, scaled


def xvfb_run_prefix() -> list[str]:
    """``xvfb-run -a`` from a server number of this test worker's own: ``-a`` takes the first free
    number from there, and two pytest-xdist workers starting screens at once would otherwise both
    pick the same one (xvfb-run's check and Xvfb's lock are not atomic)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 99 + 100 * (int(worker) if worker.isdigit() else 0)
    return ["xvfb-run", "-a", "-n", str(first)]


def python_child(parent: int, timeout: float = 30.0) -> int:
    """The Python process ``parent`` (an ``xvfb-run``) started."""
    pid = eventually(
        lambda: _python_child(parent), timeout, what=f"a Python process under {parent}", interval=0.1
    )
    assert pid is not None
    return pid


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


@dataclass(frozen=True)
class XvfbRun:
    """``argv(*command, screen=...)``: the command under ``xvfb-run`` on a virtual screen of that size;
    ``run(argv, env=..., timeout=...)`` runs it to its end (``run`` below); ``python_child(pid)``
    finds the Kivy process of a running one."""

    def argv(self, *command: str, screen: str = "1920x1080x24") -> list[str]:
        return [*xvfb_run_prefix(), "-s", f"-screen 0 {screen}", *command]

    def run(
        self, argv: list[str], *, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        return run(argv, env=env, timeout=timeout)

    def python_child(self, parent: int, timeout: float = 30.0) -> int:
        return python_child(parent, timeout)


def run(argv: list[str], *, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, capture_output=True, text=True)``, with a stack dump instead of a bare
    timeout (scaled by ``HALLQ_TIME_SCALE``). ``argv`` starts a new session, so nothing it started
    outlives the test."""
    env = {**env, "PYTHONFAULTHANDLER": "1"}
    limit = scaled(timeout)
    pipe = subprocess.PIPE
    with subprocess.Popen(argv, env=env, stdout=pipe, stderr=pipe, text=True, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            child = _python_child(proc.pid)
            if child is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGABRT)
            try:
                out, err = proc.communicate(timeout=scaled(15))  # the dump, then xvfb-run's own exit
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                out, err = proc.communicate()  # a retried communicate loses no output
            raise AssertionError(
                f"{' '.join(argv)}\nstill running after {limit:g} s; the end of its stderr:\n{err[-8000:]}"
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
