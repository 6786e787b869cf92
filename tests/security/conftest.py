"""Security tests reuse the web tests' hall (a real uvicorn on loopback serving the whole app) and the
browser tests' Chromium; ``tls_hall`` is the demo hall provisioned with ``hallq provision --tls`` and its
REAL Mosquitto running that configuration.

Mosquitto started as root reads its files as user ``mosquitto`` (FIELD-NOTES): the bundle is written
under a ``mkdtemp`` the broker can traverse, as in tests/provisioning/test_provision_mosquitto.py.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.broker import free_port, mosquitto_binary
from harness.waiting import eventually, scaled
from provisioning import read_credentials
from provisioning.credentials import SERVER_USER
from queue_server.cli import main
from queue_server.halls import DEMO_HALL_PATH
from queue_server.protocol.client import BrokerAddress
from tests.e2e.conftest import browser
from tests.web.conftest import web

__all__ = ["TlsHall", "browser", "tls_hall", "web"]

WAIT = 5.0


@dataclass
class TlsHall:
    root: Path
    port: int
    tls_port: int

    def device_file(self, device: str) -> Path:
        return self.root / "devices" / device / "device.toml"

    @property
    def server(self) -> BrokerAddress:
        """The queue server's account on the plain loopback listener."""
        password = read_credentials(self.root)[SERVER_USER].password
        return BrokerAddress("127.0.0.1", self.port, SERVER_USER, password)


@pytest.fixture(scope="module")
def tls_hall() -> Iterator[TlsHall]:
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto is not installed")
    root = Path(tempfile.mkdtemp(prefix="hallq-tls-"))
    root.chmod(0o711)  # the broker's user must reach broker/ inside it
    hall = TlsHall(root, free_port(), free_port())
    argv = ["provision", "--hall", str(DEMO_HALL_PATH), "--out", str(root), "--tls", "--bind", "127.0.0.1"]
    argv += ["--broker-host", "127.0.0.1", "--broker-port", str(hall.port), "--tls-port", str(hall.tls_port)]
    assert main(argv) == 0
    log = (root / "mosquitto.log").open("wb")
    proc = subprocess.Popen([binary, "-c", str(root / "broker" / "mosquitto.conf")], stdout=log, stderr=log)

    def listening() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"mosquitto did not start: {(root / 'mosquitto.log').read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", hall.tls_port), 0.2):
            return True
        return False

    try:
        eventually(listening, WAIT, what="mosquitto's TLS listener", interval=0.02)
        yield hall
    finally:
        proc.terminate()
        proc.wait(scaled(5))
        log.close()
        shutil.rmtree(root, ignore_errors=True)
