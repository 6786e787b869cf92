"""A private Mosquitto on a free loopback port, as the tests and the benchmarks use it.

``set_tcp_nodelay true`` as the appliance's broker has it (provisioning/), no persistence, a deep
queue so a burst of QoS 1 messages is never dropped, no log.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.waiting import scaled
from queue_server.protocol.client import BrokerAddress

MOSQUITTO_SBIN = Path("/usr/sbin/mosquitto")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listened on a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 5.0) -> None:
    """Return once something accepts connections on 127.0.0.1:``port`` (``timeout`` is scaled)."""
    deadline = time.monotonic() + scaled(timeout)
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def mosquitto_binary() -> str | None:
    """The mosquitto executable, or None when it is not installed (scripts/bootstrap installs it)."""
    found = shutil.which("mosquitto")
    if found is not None:
        return found
    return str(MOSQUITTO_SBIN) if MOSQUITTO_SBIN.exists() else None


@dataclass
class MosquittoBroker:
    """A private mosquitto process its owner may stop, restart or kill."""

    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress("127.0.0.1", self.port)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "set_tcp_nodelay true\n"
            "persistence false\n"
            "max_queued_messages 100000\n"
            "log_dest none\n"
        )
        binary = mosquitto_binary() or str(MOSQUITTO_SBIN)
        self.proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL)
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(5)
            self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@contextlib.contextmanager
def running_mosquitto(workdir: Path) -> Iterator[MosquittoBroker]:
    """A started private broker in ``workdir`` (created if missing), stopped afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    broker = MosquittoBroker(free_port(), workdir)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
