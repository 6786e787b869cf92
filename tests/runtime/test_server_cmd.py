"""``hallq server`` as an operator meets it: an expected failure is one line and exit 1 (exit 2 without
a secret key file), never a traceback; a stop (SIGINT, SIGTERM) ends the consoles' open live streams
at once and stops cleanly."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from harness.factories import PASSWORD, build_hall
from harness.processes import secret_key_file
from harness.waiting import eventually, scaled
from queue_server.runtime.broker import port_is_free
from queue_server.settings import DEVELOPMENT_SECRET, derive_key
from tests.conftest import MosquittoBroker, free_port

HALLQ = [sys.executable, "-m", "queue_server.cli", "server"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
    return env | extra


def secret_file(directory: Path) -> str:
    return str(secret_key_file(directory))


def fails_in_one_line(done: subprocess.CompletedProcess[str], *expected: str, code: int = 1) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("hallq server:")]
    assert len(lines) == 1, done.stderr
    for text in expected:
        assert text in lines[0]
    return lines[0]


def run_server(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*HALLQ, *args],
        capture_output=True,
        text=True,
        env=clean_env(**env),
        cwd=tmp_path,
        timeout=scaled(60),
        check=False,
    )


def test_a_taken_http_port_is_one_line_and_starts_nothing(tmp_path: Path, broker: MosquittoBroker) -> None:
    db = tmp_path / "hallq.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_server(
            tmp_path,
            "--db",
            f"sqlite:///{db}",
            "--port",
            str(port),
            HALLQ_BROKER_URL=broker.url,
            HALLQ_SECRET_KEY_FILE=secret_file(tmp_path),
        )
    fails_in_one_line(done, f"127.0.0.1:{port}", "--port")
    assert not db.exists()  # refused before the database was touched


def test_the_embedded_broker_on_a_taken_port_is_one_line(tmp_path: Path) -> None:
    from queue_server.mqtt.door import EMBEDDED_PORT

    with socket.socket() as taken:
        if port_is_free(EMBEDDED_PORT):  # else a broker of this machine holds it already
            taken.bind(("127.0.0.1", EMBEDDED_PORT))
            taken.listen()
        http_port = free_port()
        done = run_server(
            tmp_path,
            "--db",
            f"sqlite:///{tmp_path / 'hallq.db'}",
            "--port",
            str(http_port),
            HALLQ_BROKER_URL="embedded",
            # The embedded (anonymous) broker is for development only.
            HALLQ_ENVIRONMENT="development",
            HALLQ_SECRET_KEY_FILE=secret_file(tmp_path),
        )
    fails_in_one_line(done, f"port {EMBEDDED_PORT}", "HALLQ_BROKER_URL")
    assert port_is_free(http_port)


def test_invalid_settings_are_one_line(tmp_path: Path) -> None:
    done = run_server(
        tmp_path,
        "--port",
        str(free_port()),
        HALLQ_TZ="Mars/Olympus",
        HALLQ_SECRET_KEY_FILE=secret_file(tmp_path),
    )
    fails_in_one_line(done, "settings not valid", "Mars/Olympus")


@pytest.mark.parametrize("environment", [None, "production", "development", "test"])
def test_without_a_secret_key_file_the_server_refuses_to_start(
    tmp_path: Path, environment: str | None
) -> None:
    # Production by default; and the built-in development secret is not for hallq server at all, so
    # even an explicit development environment does not let it start without a file.
    env = {} if environment is None else {"HALLQ_ENVIRONMENT": environment}
    db = tmp_path / "hallq.db"
    done = run_server(
        tmp_path,
        "--db",
        f"sqlite:///{db}",
        "--port",
        str(free_port()),
        HALLQ_BROKER_URL="mqtt://127.0.0.1:1",
        **env,
    )
    fails_in_one_line(done, "HALLQ_SECRET_KEY_FILE", code=2)
    assert not db.exists()


@pytest.mark.parametrize("content", ["", "short"])
def test_a_missing_or_short_secret_key_file_is_refused(tmp_path: Path, content: str) -> None:
    key = tmp_path / "secret.key"
    if content:
        key.write_text(content)
    done = run_server(
        tmp_path,
        "--port",
        str(free_port()),
        HALLQ_BROKER_URL="mqtt://127.0.0.1:1",
        HALLQ_SECRET_KEY_FILE=str(key),
    )
    fails_in_one_line(done, "HALLQ_SECRET_KEY_FILE", code=2)


def test_the_embedded_anonymous_broker_is_refused_in_production(tmp_path: Path) -> None:
    db = tmp_path / "hallq.db"
    # No HALLQ_BROKER_URL: the default is the embedded broker; no HALLQ_ENVIRONMENT: production.
    done = run_server(
        tmp_path,
        "--db",
        f"sqlite:///{db}",
        "--port",
        str(free_port()),
        HALLQ_SECRET_KEY_FILE=secret_file(tmp_path),
    )
    fails_in_one_line(done, "embedded anonymous broker", "HALLQ_BROKER_URL")
    assert not db.exists()


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres:secret-pw@127.0.0.1:{free_port()}/hallq"
    done = run_server(
        tmp_path,
        "--db",
        url,
        "--port",
        str(free_port()),
        HALLQ_BROKER_URL="mqtt://127.0.0.1:1",
        HALLQ_SECRET_KEY_FILE=secret_file(tmp_path),
    )
    line = fails_in_one_line(done, "database", "127.0.0.1")
    assert "secret-pw" not in line  # the password is never shown


@dataclass
class Running:
    proc: subprocess.Popen[str]
    port: int
    hall: str
    key_file: Path
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def running(tmp_path: Path, broker: MosquittoBroker, hall_code: str) -> Iterator[Running]:
    db = f"sqlite:///{tmp_path / 'hallq.db'}"
    build_hall(db, code=hall_code).close()  # the small hall: staff "zhang" with PASSWORD
    port = free_port()
    env = clean_env(
        HALLQ_BROKER_URL=broker.url,
        HALLQ_HALL=hall_code,
        HALLQ_INSTANCE=hall_code,
        HALLQ_SECRET_KEY_FILE=secret_file(tmp_path),
    )
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [*HALLQ, "--db", db, "--port", str(port)], env=env, stdout=log, stderr=log, text=True
    )
    server = Running(proc, port, hall_code, Path(env["HALLQ_SECRET_KEY_FILE"]), tmp_path / "server.log")
    try:

        def answers() -> bool:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            return _answers(server.url("/api/health"))

        eventually(answers, 30, what="hallq server answering /api/health", interval=0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def open_live_stream(server: Running) -> tuple[list[str], threading.Event]:
    """A console's live stream, read in the background: the lines seen, and set once it ended."""
    login = {"hall": server.hall, "login": "zhang", "password": PASSWORD}
    token = httpx.post(server.url("/api/auth/token"), json=login, timeout=10).json()["access_token"]
    lines: list[str] = []
    ended = threading.Event()
    hello = threading.Event()

    def read() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream(
                "GET", server.url(f"/api/halls/{server.hall}/live"), headers=headers, timeout=30
            ) as r:
                for line in r.iter_lines():
                    lines.append(line)
                    if line.startswith("event: hello"):
                        hello.set()
        except httpx.HTTPError:
            pass
        finally:
            ended.set()

    threading.Thread(target=read, daemon=True).start()
    assert hello.wait(scaled(10)), lines
    return lines, ended


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_ends_the_open_live_streams_first_and_exits_cleanly(
    running: Running, stop_signal: signal.Signals
) -> None:
    lines, ended = open_live_stream(running)
    running.proc.send_signal(stop_signal)
    assert ended.wait(scaled(30))
    # The stream ended because the server closed it, not at its maximum age: it never got as far as
    # its first heartbeat (sent after 5 quiet seconds, the maximum age being 15).
    assert not any(line.startswith(": ping") for line in lines), lines
    assert running.proc.wait(scaled(30)) == 0
    assert port_is_free(running.port)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_a_token_signed_with_the_development_secret_is_refused(running: Running) -> None:
    login = {"hall": running.hall, "login": "zhang", "password": PASSWORD}
    token = httpx.post(running.url("/api/auth/token"), json=login, timeout=10).json()["access_token"]
    body = base64.urlsafe_b64decode(token.split(".")[0] + "==")

    def me(signed_with: bytes) -> int:
        sig = hmac.new(derive_key(signed_with, "token"), body, hashlib.sha256).digest()
        forged = f"{_b64(body)}.{_b64(sig)}"
        return httpx.get(
            running.url("/api/auth/me"), headers={"Authorization": f"Bearer {forged}"}
        ).status_code

    # The same claims: signed with the hall's own secret they are accepted, with the public one not.
    assert me(running.key_file.read_text().strip().encode()) == 200
    assert me(DEVELOPMENT_SECRET) == 401


def test_ticket_tokens_stay_out_of_the_access_log(running: Running) -> None:
    token = "Zq7tokenNeverLogged"
    for path in (
        f"/api/citizen/{token}",
        f"/t/{token}",
        f"/api/materials/{token}",
        f"/api/citizen/{token}/rating",
    ):
        httpx.get(running.url(path), timeout=10)
    marker = "/api/citizen/***/rating"

    def logged() -> bool:
        return marker in running.log.read_text()

    eventually(logged, scaled(10), what="the access-log line of the last request", interval=0.1)
    text = running.log.read_text()
    assert '"GET /t/*** HTTP' in text and '"GET /api/materials/*** HTTP' in text, text
    assert token not in text
