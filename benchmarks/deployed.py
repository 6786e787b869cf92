"""The queue server as deployed: a ``hallq server`` process, started the way systemd starts it.

One process with the HTTP API (uvicorn) and the MQTT bridge, configured only by environment as the
unit's ``EnvironmentFile`` does (provisioning/units.py, provisioning/bundle.py): ``HALLQ_HALL``,
``HALLQ_BROKER_URL`` (the benchmark's private mosquitto), ``HALLQ_DATABASE_URL``, production
environment with a secret key file, and an HTTP port of its own. It runs on the real clock (the bench
hall is open all day, benchmarks/bench_hall.py). Ready when ``GET /api/health`` answers: the server
opens its MQTT door, and waits for the bridge's subscriptions, before it starts HTTP.

The process's stdout and stderr go to ``server-{n}.log`` in the work directory; on a failed start the
tail of that log is in the error.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from harness.broker import free_port
from harness.processes import hallq_command, secret_key_file

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
SERVER_MODE = "hallq server process (HTTP + MQTT bridge), production settings, real clock"
# What `hallq server` logs when it stops: the writes its group commit put in each transaction.
GROUP_COMMIT_LOG = re.compile(r"group commit: (\[.*\])\s*$", re.MULTILINE)


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    log_path: Path
    http_port: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return "(no log)"

    def rss_mb(self) -> float:
        rss = process_rss_mb(self.pid)
        if rss is None:
            raise RuntimeError("no VmRSS")
        return rss

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        return process_cpu_s(self.pid)

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; wait for the orderly shutdown (kill after a timeout)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def group_commit(self) -> list[tuple[int, int]] | None:
        """After ``stop``: (writes in one transaction, how many such transactions), if the server said."""
        found = GROUP_COMMIT_LOG.findall(self.log_tail(20_000))
        if not found:
            return None
        return [(int(size), int(count)) for size, count in json.loads(found[-1])]


def process_rss_mb(pid: int) -> float | None:
    """Resident memory (VmRSS) of a process of this machine, in MB; None once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    found = [int(line.split()[1]) for line in lines if line.startswith("VmRSS:")]
    return found[0] / 1024 if found else None


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process of this machine; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"


def database_cpu_s(url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends serving ``url``'s database, when that server
    runs on this machine (its backends are processes here); None for SQLite (it runs in the server)."""
    if not url.startswith("postgresql"):
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            pids = list(conn.execute(sa.text(_BACKENDS)).scalars())
    finally:
        engine.dispose()
    return sum(process_cpu_s(pid) for pid in pids)


def server_environment(
    url: str, broker_port: int, hall: str, workdir: Path, http_port: int
) -> dict[str, str]:
    """What the unit's EnvironmentFile would hold for this benchmark's hall."""
    key = secret_key_file(workdir)
    keep = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
    return keep | {
        "HALLQ_ENVIRONMENT": "production",
        "HALLQ_SECRET_KEY_FILE": str(key),
        "HALLQ_HALL": hall,
        "HALLQ_BROKER_URL": f"mqtt://127.0.0.1:{broker_port}",
        "HALLQ_DATABASE_URL": url,
        "HALLQ_HTTP_HOST": "127.0.0.1",
        "HALLQ_HTTP_PORT": str(http_port),
        "HALLQ_PUBLIC_BASE_URL": f"http://127.0.0.1:{http_port}",
        "HALLQ_INSTANCE": "bench",
    }


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def hallq_server(url: str, broker_port: int, hall: str, workdir: Path) -> Iterator[ServerProcess]:
    """A running ``hallq server`` for ``hall``; stopped (SIGTERM) when the block ends."""
    http_port = free_port()
    log_path = workdir / f"server-{len(list(workdir.glob('server-*.log')))}.log"
    env = server_environment(url, broker_port, hall, workdir, http_port)
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            [*hallq_command(), "server"], env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
        )
    server = ServerProcess(proc, log_path, http_port)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(http_port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"hallq server did not start: {server.log_tail()}")
            time.sleep(0.05)
        yield server
    finally:
        server.stop()
