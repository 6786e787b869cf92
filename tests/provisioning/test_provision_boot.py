"""Every generated systemd unit, booted: its ExecStart run with the unit's environment in a scratch root.

``hallq provision --units`` writes the bundle; a real Mosquitto runs the bundle's broker config. Each
unit file is parsed (``ExecStart``, ``Environment``, ``EnvironmentFile``, ``WorkingDirectory``,
``StateDirectory``), every ``/etc/hallq`` and ``/var/lib/hallq`` path in it is moved under a scratch
root where the bundle's files were copied as the production set-up says (docs/security.md), the state
directory is made as systemd makes it, and the command runs as the unit would run it. The server must
answer ``/api/health`` with its database in the state directory; a device must come online on the
broker with its own account. The regressions this guards: a server unit whose database path was the
read-only ``./var`` under ``ProtectSystem=strict``, a server refusing to start for want of a secret,
a kiosk without its printer or without the hall's ID-hash key.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from devices.simulators.printer import TcpPrinterSimulator
from harness.broker import free_port
from harness.waiting import eventually, scaled
from provisioning import read_credentials
from provisioning.credentials import SERVER_USER
from queue_server.halls import DEMO_HALL_PATH
from queue_server.protocol import topics
from tests.xvfb import XvfbRun

pytestmark = pytest.mark.broker

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
HALLQ_BIN = str(Path(sys.executable).with_name("hallq"))
HALL = "demo"
AGENT, KIOSK, SCREEN = "demo-boot-agent", "demo-boot-kiosk", "demo-boot-screen"
MOVED = ("/etc/hallq", "/var/lib/hallq")


def boot_hall_file(path: Path, printer_port: int) -> Path:
    """The demo hall with three devices: a window agent, a kiosk (network printer) and a hall screen."""
    text = DEMO_HALL_PATH.read_text(encoding="utf-8")
    head, _, tail = text.partition("[[devices]]")
    after = tail[tail.index("\n[supervision]") :] if "\n[supervision]" in tail else ""
    devices = f"""
[[devices]]
id = "{AGENT}"
kind = "window_agent"
window = "1"

[[devices]]
id = "{KIOSK}"
kind = "kiosk"
printer_width_mm = 80
printer = "tcp://127.0.0.1:{printer_port}"

[[devices]]
id = "{SCREEN}"
kind = "hall_display"
"""
    path.write_text(head + devices + after, encoding="utf-8")
    return path


@dataclass
class Unit:
    """What systemd would take from a unit file to start its service."""

    exec_start: list[str]
    environment: dict[str, str]
    environment_files: list[str]
    working_directory: str | None
    state_directory: str | None

    @classmethod
    def parse(cls, text: str) -> Unit:
        values: dict[str, list[str]] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and not line.startswith(("#", "[")):
                values.setdefault(key, []).append(value)
        env = dict(pair.split("=", 1) for v in values.get("Environment", []) for pair in shlex.split(v))
        (exec_start,) = values["ExecStart"]
        return cls(
            shlex.split(exec_start),
            env,
            values.get("EnvironmentFile", []),
            next(iter(values.get("WorkingDirectory", [])), None),
            next(iter(values.get("StateDirectory", [])), None),
        )


def moved(value: str, root: Path) -> str:
    """``value`` with the machine's hallq paths moved under ``root``."""
    for prefix in MOVED:
        value = value.replace(prefix, f"{root}{prefix}")
    return value


def read_env_file(path: Path) -> dict[str, str]:
    """systemd's EnvironmentFile: KEY=VALUE lines, # comments."""
    pairs = (
        ln.split("=", 1) for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


@dataclass
class Machine:
    """One machine of the hall in a scratch root: its /etc/hallq and /var/lib."""

    root: Path

    def install(self, source: Path, target: str) -> None:
        """Copy a bundle file to its place (``target`` an absolute path on the machine), 0600."""
        dest = Path(f"{self.root}{target}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        dest.chmod(0o600)

    def command(self, unit: Unit) -> tuple[list[str], dict[str, str], Path]:
        """argv, environment and working directory as systemd would give them, paths moved."""
        keep = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
        env = dict(keep)
        for file in unit.environment_files:
            env |= read_env_file(Path(moved(file.removeprefix("-"), self.root)))
        env |= unit.environment
        if unit.state_directory is not None:
            env["STATE_DIRECTORY"] = f"/var/lib/{unit.state_directory}"  # moved below, like the rest
            Path(moved(env["STATE_DIRECTORY"], self.root)).mkdir(mode=0o700, parents=True, exist_ok=True)
        env = {k: moved(v, self.root) for k, v in env.items()}
        assert unit.working_directory is not None, "every unit names its working directory"
        cwd = Path(moved(unit.working_directory, self.root))
        assert cwd.is_dir(), f"WorkingDirectory {unit.working_directory} is not made by StateDirectory="
        return [moved(arg, self.root) for arg in unit.exec_start], env, cwd


@dataclass
class Provisioned:
    out: Path
    broker_port: int
    http_port: int
    printer: TcpPrinterSimulator

    def unit(self, name: str) -> Unit:
        return Unit.parse((self.out / "systemd" / f"{name}.service").read_text())

    def password(self, user: str) -> str:
        return read_credentials(self.out)[user].password

    def online(self, topic: str) -> dict[str, object]:
        """The retained status on ``topic``, read with the server's account (waits for the first)."""
        sub = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
        argv = [sub, "-h", "127.0.0.1", "-p", str(self.broker_port), "-u", SERVER_USER]
        argv += ["-P", self.password(SERVER_USER), "-t", topic, "-C", "1", "-W", str(int(scaled(60)))]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=scaled(90))
        assert done.returncode == 0, f"no status on {topic}: {done.stderr}"
        status: dict[str, object] = json.loads(done.stdout)
        return status


@pytest.fixture(scope="module")
def provisioned() -> Iterator[Provisioned]:
    if not Path(MOSQUITTO).exists() or not Path(HALLQ_BIN).exists():
        pytest.skip("mosquitto or the installed hallq command is missing")
    out = Path(tempfile.mkdtemp(prefix="hallq-boot-"))
    out.chmod(0o711)  # the broker's user (Mosquitto started as root drops to it) must reach broker/
    printer = TcpPrinterSimulator().start()
    broker_port, http_port = free_port(), free_port()
    hall = boot_hall_file(out / "hall.toml", printer.port)
    argv = [HALLQ_BIN, "provision", "--hall", str(hall), "--out", str(out / "bundle"), "--units"]
    argv += ["--hallq-bin", HALLQ_BIN, "--broker-port", str(broker_port), "--bind", "127.0.0.1"]
    argv += ["--http-port", str(http_port)]
    subprocess.run(argv, check=True, capture_output=True, timeout=scaled(60))
    bundle = out / "bundle"
    with (out / "mosquitto.log").open("wb") as log:
        broker = subprocess.Popen(
            [MOSQUITTO, "-c", str(bundle / "broker" / "mosquitto.conf")], stdout=log, stderr=log
        )
    try:
        eventually(
            lambda: _listening(broker_port, broker, out),
            scaled(10),
            what="the provisioned broker",
            interval=0.05,
        )
        yield Provisioned(bundle, broker_port, http_port, printer)
    finally:
        broker.terminate()
        broker.wait(scaled(10))
        printer.stop()
        shutil.rmtree(out, ignore_errors=True)


def _listening(port: int, proc: subprocess.Popen[bytes], out: Path) -> bool:
    import socket

    assert proc.poll() is None, (out / "mosquitto.log").read_text()
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


@contextlib.contextmanager
def running(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(scaled(20))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_the_server_unit_boots_with_its_database_in_the_state_directory(
    provisioned: Provisioned, tmp_path: Path
) -> None:
    server = Machine(tmp_path / "server")
    server.install(provisioned.out / "server" / "server.env", "/etc/hallq/server.env")
    server.install(provisioned.out / "server" / "secret.key", "/etc/hallq/secret.key")
    argv, env, cwd = server.command(provisioned.unit("hallq-server"))
    assert env["HALLQ_ENVIRONMENT"] == "production"
    log = tmp_path / "server.log"
    with running(argv, env, cwd, log) as proc:

        def healthy() -> bool:
            assert proc.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"http://127.0.0.1:{provisioned.http_port}/api/health", timeout=2).is_success
            return False

        eventually(healthy, 60, what="the provisioned server answering /api/health", interval=0.2)
        assert provisioned.online(topics.server_status("server-1"))["state"] == "online"
    assert (server.root / "var/lib/hallq/hallq.db").exists()
    assert not (cwd / "var").exists()  # nothing under the default ./var, read-only in production


def test_the_window_agent_unit_comes_online(provisioned: Provisioned, tmp_path: Path) -> None:
    agent = Machine(tmp_path / "agent")
    agent.install(provisioned.out / "devices" / AGENT / "device.toml", "/etc/hallq/device.toml")
    argv, env, cwd = agent.command(provisioned.unit(f"hallq-{AGENT}"))
    with running(argv, env, cwd, tmp_path / "agent.log"):
        assert provisioned.online(topics.dev_status(HALL, AGENT))["state"] == "online"
    assert any((agent.root / "var/lib/hallq").iterdir()), "the agent keeps its outbox in the state directory"


def test_the_kiosk_unit_comes_online_with_its_printer_and_the_halls_id_key(
    provisioned: Provisioned, tmp_path: Path, xvfb_run: XvfbRun
) -> None:
    kiosk = Machine(tmp_path / "kiosk")
    kiosk.install(provisioned.out / "devices" / KIOSK / "device.toml", "/etc/hallq/device.toml")
    kiosk.install(provisioned.out / "devices" / KIOSK / "kiosk.env", "/etc/hallq/kiosk.env")
    argv, env, cwd = kiosk.command(provisioned.unit(f"hallq-{KIOSK}"))
    connections = provisioned.printer.connections
    with running(xvfb_run.argv(*argv, screen="1080x1920x24"), env, cwd, tmp_path / "kiosk.log"):
        assert provisioned.online(topics.dev_status(HALL, KIOSK))["state"] == "online"
        eventually(lambda: provisioned.printer.connections > connections, 30, what="the kiosk at its printer")
    data = kiosk.root / "var/lib/hallq" / f"kiosk-{KIOSK}"
    assert data.is_dir()
    # The hall's key came from kiosk.env: the kiosk did not invent one of its own.
    assert not (data / "id_hash.key").exists()


def test_the_hall_display_unit_comes_online(
    provisioned: Provisioned, tmp_path: Path, xvfb_run: XvfbRun
) -> None:
    screen = Machine(tmp_path / "screen")
    screen.install(provisioned.out / "devices" / SCREEN / "device.toml", "/etc/hallq/device.toml")
    argv, env, cwd = screen.command(provisioned.unit(f"hallq-{SCREEN}"))
    with running(xvfb_run.argv(*argv), env, cwd, tmp_path / "screen.log"):
        assert provisioned.online(topics.dev_status(HALL, SCREEN))["state"] == "online"


def test_every_unit_of_the_bundle_is_booted_here(provisioned: Provisioned) -> None:
    names = {p.stem for p in (provisioned.out / "systemd").glob("*.service")}
    assert names == {"hallq-server", f"hallq-{AGENT}", f"hallq-{KIOSK}", f"hallq-{SCREEN}"}
    assert re.fullmatch(r"[0-9a-f]{64}\n", (provisioned.out / "server" / "secret.key").read_text())
