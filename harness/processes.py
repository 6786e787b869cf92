"""The queue server as deployed, for tests driving the whole system: ``hallq server``, ``hallq hall load``.

Both run as separate processes configured only by environment, as the systemd unit's
``EnvironmentFile`` configures them (provisioning/units.py): production settings with a secret key
file, the hall, the broker URL, the database URL and an HTTP port of the server's own. Nothing of the
test's own environment starting with ``HALLQ_`` leaks in.

    config = ServerConfig(database_url, broker.port, "soak", workdir)
    load_hall_file(hall_toml, config, {"SOAK_PASSWORD": "…"})    # what an operator runs first
    server = HallqServer(config)
    server.start()              # returns once GET /api/health answers (MQTT door open by then)
    server.rss_kb()             # VmRSS of the server process
    server.restart()            # SIGTERM, wait for the orderly exit, start again on the same database
    server.stop()

Each start writes the process's stdout and stderr to ``server-{n}.log`` in the work directory; a
failed start raises with the tail of that log.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from harness.broker import free_port
from harness.waiting import scaled

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 120.0


def secret_key_file(directory: Path) -> Path:
    """``directory/secret.key``, made once: 0600, 64 hex characters, as ``hallq provision`` writes it.

    ``hallq server`` does not start without one. Text, not raw bytes: the server strips whitespace
    from the file, and 32 random bytes that begin or end with a whitespace byte would then be too
    short (1 start in ~20).
    """
    key = directory / "secret.key"
    if not key.exists():
        key.write_text(secrets.token_hex(32) + "\n")
        key.chmod(0o600)
    return key


def hallq_command() -> list[str]:
    """``hallq`` as installed beside this interpreter (what the unit's ExecStart names)."""
    script = Path(sys.executable).with_name("hallq")
    return [str(script)] if script.exists() else [sys.executable, "-m", "queue_server.cli"]


@dataclass(frozen=True)
class ServerConfig:
    """What the unit's EnvironmentFile would hold for one hall's server."""

    database_url: str
    broker_port: int
    hall: str
    workdir: Path
    instance: str = "server-1"
    http_port: int = field(default_factory=free_port)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def environment(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        key = secret_key_file(self.workdir)
        keep = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
        return (
            keep
            | {
                "HALLQ_ENVIRONMENT": "production",
                "HALLQ_SECRET_KEY_FILE": str(key),
                "HALLQ_HALL": self.hall,
                "HALLQ_BROKER_URL": f"mqtt://127.0.0.1:{self.broker_port}",
                "HALLQ_DATABASE_URL": self.database_url,
                "HALLQ_HTTP_HOST": "127.0.0.1",
                "HALLQ_HTTP_PORT": str(self.http_port),
                "HALLQ_PUBLIC_BASE_URL": self.base_url,
                "HALLQ_INSTANCE": self.instance,
            }
            | (extra or {})
        )


def load_hall_file(path: Path, config: ServerConfig, extra_env: dict[str, str] | None = None) -> str:
    """``hallq hall load FILE``, as an operator runs it before the first start; its output.

    ``extra_env`` carries the variables the file's ``password_env`` entries name.
    """
    done = subprocess.run(
        [*hallq_command(), "hall", "load", str(path)],
        env=config.environment(extra_env),
        capture_output=True,
        text=True,
        timeout=scaled(LOAD_TIMEOUT_S),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"hallq hall load failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class HallqServer:
    """A ``hallq server`` process its owner starts, stops (SIGTERM, as systemd does) and restarts."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.exit_codes: list[int] = []

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("hallq server is not running")
        return self.proc.pid

    @property
    def log_path(self) -> Path:
        return self.config.workdir / f"server-{self.starts}.log"

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return "(no log)"

    def start(self) -> None:
        """Start the process; return once it answers ``GET /api/health``."""
        if self.proc is not None:
            raise RuntimeError("hallq server is already running")
        self.starts += 1
        with self.log_path.open("ab") as log_file:
            self.proc = subprocess.Popen(
                [*hallq_command(), "server"],
                env=self.config.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
            )
        deadline = time.monotonic() + scaled(START_TIMEOUT_S)
        while not _healthy(self.config.base_url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"hallq server did not start: {self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> int | None:
        """SIGTERM and wait for the orderly shutdown (killed after a timeout); the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(scaled(STOP_TIMEOUT_S))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.exit_codes.append(proc.returncode)
        return proc.returncode

    def restart(self) -> None:
        """Stop, then start a new process on the same database, broker and port."""
        self.stop()
        self.start()

    def rss_kb(self) -> int:
        """The process's resident set size (``VmRSS`` of /proc/<pid>/status), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for pid {self.pid}")
