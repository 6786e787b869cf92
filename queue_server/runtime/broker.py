"""The hall's own MQTT broker on 127.0.0.1, for one machine running everything (``hallq up``).

A private ``mosquitto`` when the binary exists (``set_tcp_nodelay true``: without it a QoS 1 round
trip costs tens of milliseconds), else the pure-Python ``amqtt`` broker in a thread: MQTT 3.1.1 only,
no shared subscriptions, development use. Both listen on loopback only with anonymous access, which
is safe only because nothing off this machine can reach them; a hall's production broker is
configured by ``hallq provision`` (passwords, ACL, TLS).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from queue_server.protocol.client import BrokerAddress
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 1883
START_TIMEOUT_S = 10.0


class BrokerKind(StrEnum):
    MOSQUITTO = "mosquitto"
    AMQTT = "amqtt"


class BrokerError(RuntimeError):
    """The broker could not be started (port taken, binary failing); the message says what to do."""


def mosquitto_binary() -> str | None:
    """The mosquitto executable, also where Debian puts it outside a normal user's PATH."""
    found = shutil.which("mosquitto")
    if found:
        return found
    sbin = Path("/usr/sbin/mosquitto")
    return str(sbin) if sbin.exists() else None


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could listen on ``port`` now (connections in TIME_WAIT do not count)."""
    with socket.socket() as s:
        # As mosquitto and uvicorn do: only a listener makes the port busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` (Linux): the child gets SIGTERM when its parent dies, even by SIGKILL.

    A broker or device program left running after ``hallq up`` was killed would hold its port and
    confuse the next start. Everything is looked up here, in the parent: between fork and exec the
    child only makes one foreign call and takes no Python lock. None elsewhere (a clean stop ends the
    children anyway).
    """
    if sys.platform != "linux":
        return None
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig, sigterm = 1, int(signal.SIGTERM)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sigterm)

    return preexec


def mosquitto_conf(port: int) -> str:
    """The private broker's configuration: loopback, anonymous, no delay, nothing written to disk."""
    return (
        f"listener {port} {HOST}\n"
        "allow_anonymous true\n"
        # Nagle + delayed ACK otherwise hold every QoS 1 reply for ~40 ms (docs/design/FIELD-NOTES.md).
        "set_tcp_nodelay true\n"
        # The contract's payload limit (protocol/codec.py): the broker drops a bigger publish.
        f"message_size_limit {MAX_PAYLOAD_BYTES}\n"
        # Retained hall state is republished by the server on every reconnect: nothing to persist,
        # and no file the dropped-privileges `mosquitto` user would need to be able to write.
        "persistence false\n"
        "max_queued_messages 10000\n"
        "log_dest stderr\n"
        "log_type error\n"
        "log_type warning\n"
        "log_type notice\n"
    )


@dataclass
class RunningBroker:
    """A broker this process started; ``stop()`` ends it (idempotent)."""

    kind: BrokerKind
    port: int
    _stop: Any = field(repr=False)

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress(HOST, self.port)

    @property
    def url(self) -> str:
        return f"mqtt://{HOST}:{self.port}"

    def stop(self) -> None:
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()


def start_broker(port: int, workdir: Path, *, kind: BrokerKind | None = None) -> RunningBroker:
    """Start a broker on 127.0.0.1:``port``; mosquitto if installed, else amqtt (or as ``kind`` says)."""
    if not port_is_free(port):
        raise BrokerError(f"port {HOST}:{port} is already in use: pass another --mqtt-port")
    workdir.mkdir(parents=True, exist_ok=True)
    binary = mosquitto_binary()
    chosen = kind or (BrokerKind.MOSQUITTO if binary else BrokerKind.AMQTT)
    if chosen is BrokerKind.MOSQUITTO:
        if binary is None:
            raise BrokerError("mosquitto is not installed (scripts/bootstrap installs it)")
        return _start_mosquitto(binary, port, workdir)
    if kind is None:
        log.warning("mosquitto not found: using the pure-Python amqtt broker (development only, slower)")
    return _start_amqtt(port)


def unprivileged() -> dict[str, Any]:
    """``Popen`` arguments that start mosquitto as its own user when we are root.

    Started as root, mosquitto drops to the ``mosquitto`` user itself, and that credential change
    clears the parent-death signal: killed ``hallq up`` would leave it running. Dropping before exec,
    as mosquitto would, keeps the signal (``preexec_fn`` runs after the switch).
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return {}
    import pwd

    for name in ("mosquitto", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    return {}


def _start_mosquitto(binary: str, port: int, workdir: Path) -> RunningBroker:
    text = mosquitto_conf(port)
    (workdir / "mosquitto.conf").write_text(text)  # for people to read; the broker reads the copy below
    # The broker may run as another user (see unprivileged()): give it a copy on a path it can reach.
    conf_dir = Path(tempfile.mkdtemp(prefix="hallq-mosquitto-"))
    conf_dir.chmod(0o755)
    conf = conf_dir / "mosquitto.conf"
    conf.write_text(text)
    conf.chmod(0o644)
    logfile: IO[bytes] = (workdir / "mosquitto.log").open("ab")

    def cleanup() -> None:
        logfile.close()
        shutil.rmtree(conf_dir, ignore_errors=True)

    proc = subprocess.Popen(
        [binary, "-c", str(conf)],
        stdin=subprocess.DEVNULL,
        stdout=logfile,
        stderr=logfile,
        start_new_session=True,  # Ctrl-C reaches us only; we stop the broker last, in order
        preexec_fn=die_with_parent(),
        **unprivileged(),
    )
    try:
        _wait_listening(port, alive=lambda: proc.poll() is None)
    except BrokerError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait()
        cleanup()
        tail = (workdir / "mosquitto.log").read_text(errors="replace")[-500:]
        raise BrokerError(f"mosquitto did not start on port {port}: {tail.strip()}") from None

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        cleanup()

    log.info("mosquitto (pid %d) on %s:%d", proc.pid, HOST, port)
    return RunningBroker(BrokerKind.MOSQUITTO, port, stop)


def _start_amqtt(port: int) -> RunningBroker:
    from amqtt.broker import Broker

    config: dict[str, Any] = {
        "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{port}"}},
        # Replaces amqtt's default plugin list: no $SYS publisher, no packet logger.
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []
    holder: list[Any] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            broker = Broker(config, loop=loop)
            loop.run_until_complete(broker.start())
            holder.append(broker)
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    thread = threading.Thread(target=serve, name="hallq-amqtt", daemon=True)
    thread.start()
    ready.wait(START_TIMEOUT_S)
    if failure or not holder:
        raise BrokerError(f"amqtt did not start on port {port}: {failure[0] if failure else 'timeout'}")
    # No probe connection here: start() returns once the listener is bound, and a connection that
    # closes without a CONNECT makes amqtt leak its transport (a ResourceWarning at exit).

    def stop() -> None:
        future = asyncio.run_coroutine_threadsafe(holder[0].shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)

    log.info("amqtt broker on %s:%d", HOST, port)
    return RunningBroker(BrokerKind.AMQTT, port, stop)


def _wait_listening(port: int, *, alive: Any, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise BrokerError(f"the broker exited while starting on port {port}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.2):
            return
        time.sleep(0.02)
    raise BrokerError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")
