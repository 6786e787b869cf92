"""``hallq up`` as a user runs it: a real process, real broker, real HTTP; SIGTERM stops it all."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from harness.waiting import eventually, scaled
from queue_server.runtime.broker import free_port, port_is_free

# hallq up starts a broker of its own (mosquitto when installed): no fixture here says so.
pytestmark = pytest.mark.broker

START_TIMEOUT = 60.0


@dataclass
class Up:
    proc: subprocess.Popen[str]
    lines: list[str]
    http_port: int
    mqtt_port: int
    reader: threading.Thread

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.close()

    def close(self) -> int:
        try:
            self.proc.wait(scaled(30))
        except subprocess.TimeoutExpired:
            self.proc.kill()
        code = self.proc.wait()
        self.reader.join(scaled(10))
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code


def start_up(data_dir: Path, *extra: str, env_extra: dict[str, str] | None = None) -> Up:
    http_port, mqtt_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
    env.pop("DISPLAY", None)
    env |= env_extra or {}
    # A session of its own, as a terminal gives it: Ctrl-C can go to its whole process group.
    proc = subprocess.Popen(
        [sys.executable, "-m", "queue_server.cli", "up", "--data-dir", str(data_dir),
         "--port", str(http_port), "--mqtt-port", str(mqtt_port), "--no-screens", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "ready" in line and line.startswith("hallq up:"):
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    up = Up(proc, lines, http_port, mqtt_port, reader)
    if not ready.wait(scaled(START_TIMEOUT)):
        proc.kill()
        up.close()
        pytest.fail("hallq up did not get ready:\n" + "\n".join(lines))
    return up


@pytest.fixture
def hall_up(tmp_path: Path) -> Iterator[Up]:
    up = start_up(tmp_path / "var")
    yield up
    if up.proc.poll() is None:
        up.proc.kill()
    up.close()


def mqtt_request(port: int, device_id: str, op: str, args: dict[str, object]) -> dict[str, object]:
    replies: queue.Queue[dict[str, object]] = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=device_id)
    client.on_message = lambda _c, _u, msg: replies.put(json.loads(msg.payload))
    client.on_subscribe = lambda *_a: subscribed.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.subscribe(f"hallq/v1/demo/dev/{device_id}/resp", qos=1)
        assert subscribed.wait(scaled(10))
        rid = uuid.uuid4().hex
        body = json.dumps({"id": rid, "op": op, "args": args})
        client.publish(f"hallq/v1/demo/dev/{device_id}/req", body, qos=1)
        reply = replies.get(timeout=scaled(10))
        assert reply["id"] == rid
        return reply
    finally:
        client.disconnect()
        client.loop_stop()


def online_devices(port: int, wanted: set[str]) -> set[str]:
    """The devices whose retained status says online, once every one of ``wanted`` is."""
    online: set[str] = set()
    changed = threading.Lock()

    def on_status(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        device = msg.topic.split("/")[4]
        with changed:
            if msg.payload and json.loads(msg.payload)["state"] == "online":
                online.add(device)
            else:
                online.discard(device)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:6]}")
    client.on_message = on_status
    client.connect("127.0.0.1", port)
    client.subscribe("hallq/v1/demo/dev/+/status", qos=1)
    client.loop_start()
    try:

        def now_online() -> set[str]:
            with changed:
                return set(online)

        eventually(lambda: wanted <= now_online(), 30, what=f"{sorted(wanted)} online", interval=0.05)
        return now_online()
    finally:
        client.disconnect()
        client.loop_stop()


def agent_processes(data_dir: Path) -> list[str]:
    """Command lines of processes still running for this data directory (none after a stop)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(data_dir) in cmdline and " agent " in cmdline:
            found.append(cmdline)
    return found


def test_up_serves_http_and_mqtt_and_stops_cleanly(hall_up: Up, tmp_path: Path) -> None:
    text = "\n".join(hall_up.lines)
    assert f"http://127.0.0.1:{hall_up.http_port}/docs" in text
    assert f"mqtt://127.0.0.1:{hall_up.mqtt_port}" in text
    assert "demo-kiosk-1" in text
    assert "demo-win-1-agent" in text
    assert (tmp_path / "var" / "hallq.db").exists()

    with urllib.request.urlopen(f"http://127.0.0.1:{hall_up.http_port}/openapi.json", timeout=10) as resp:
        assert resp.status == 200
        assert "paths" in json.load(resp)
    catalog = mqtt_request(hall_up.mqtt_port, "demo-kiosk-1", "catalog.get", {})
    assert catalog["ok"] is True
    # What a load balancer asks: ready, the demo hall served here (the broker link up), no leases.
    ready = httpx.get(f"http://127.0.0.1:{hall_up.http_port}/api/health/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json() | {"instance": ""} == {
        "ready": True, "instance": "", "leases": False, "halls": ["demo"], "members": None
    }  # fmt: skip
    bad = mqtt_request(hall_up.mqtt_port, "demo-kiosk-1", "ticket.fly", {})
    assert bad["ok"] is False

    assert hall_up.stop() == 0
    stopped = [line for line in hall_up.lines if line.startswith("hallq up: stopping")]
    # Reverse order of start: HTTP first, the database last.
    assert stopped == [
        "hallq up: stopping HTTP server",
        "hallq up: stopping appointment reminders",
        "hallq up: stopping supervision",
        "hallq up: stopping MQTT bridge",
        "hallq up: stopping broker",
        "hallq up: stopping database",
    ]
    assert port_is_free(hall_up.mqtt_port)
    assert port_is_free(hall_up.http_port)
    assert any("staff accounts created now" in line for line in hall_up.lines)

    # Started again on the same data, now with simulated devices: the hall is already there, no
    # password is made or shown anew, and every window agent of the hall file comes online.
    again = start_up(tmp_path / "var", "--simulate-devices")
    try:
        assert not any("staff accounts created now" in line for line in again.lines)
        assert any("demo-passwords.txt" in line for line in again.lines)
        assert mqtt_request(again.mqtt_port, "demo-kiosk-2", "catalog.get", {})["ok"] is True
        agents = {
            "demo-win-1-agent",
            "demo-win-4-agent",
            "demo-win-5-agent",
            "demo-win-11-agent",
            "demo-win-18-agent",
        }
        assert online_devices(again.mqtt_port, agents) == agents
    finally:
        assert again.stop() == 0
    assert "hallq up: stopping device simulators" in again.lines
    assert agent_processes(tmp_path / "var") == []


def test_a_taken_http_port_fails_with_advice_and_leaves_nothing_running(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        mqtt_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
        done = subprocess.run(
            [sys.executable, "-m", "queue_server.cli", "up", "--data-dir", str(tmp_path / "var"),
             "--port", str(port), "--mqtt-port", str(mqtt_port), "--no-screens"],
            capture_output=True, text=True, env=env, timeout=scaled(60), check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert "--port" in done.stderr
    assert "stopping" not in done.stdout  # refused before anything started
    assert not (tmp_path / "var" / "hallq.db").exists()
    assert port_is_free(mqtt_port)


def test_killed_up_takes_its_broker_and_agents_along(tmp_path: Path) -> None:
    up = start_up(tmp_path / "var", "--simulate-devices")
    up.proc.kill()  # SIGKILL: no clean stop runs
    up.close()
    eventually(lambda: port_is_free(up.mqtt_port), 15, what="the broker gone with hallq up", interval=0.1)
    eventually(
        lambda: not agent_processes(tmp_path / "var"), 15, what="the agents gone with hallq up", interval=0.1
    )


def test_a_try_out_hall_signs_in_issues_tickets_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    password = "try-it-out-123"
    up = start_up(
        tmp_path / "var", "--simulate-devices", "--always-open", env_extra={"HALLQ_DEMO_PASSWORD": password}
    )
    try:
        text = "\n".join(up.lines)
        base = f"http://127.0.0.1:{up.http_port}"
        assert f"counter console    {base}/console\n" in text + "\n"  # served, not "not built yet"
        assert "page not built yet" not in text.split("citizen page")[0]
        assert "created now with the password in $HALLQ_DEMO_PASSWORD" in text
        assert not (tmp_path / "var" / "demo-passwords.txt").exists()  # nothing generated to keep
        assert "    wangfang " in text  # the people who can sign in are listed
        login = {"hall": "demo", "login": "wangfang", "password": password}
        signed_in = httpx.post(f"{base}/api/auth/token", json=login, timeout=10)
        assert signed_in.json()["staff"]["login"] == "wangfang", signed_in.text
        # Whatever the hour: --always-open lifted the demo hall's opening hours.
        ticket = mqtt_request(up.mqtt_port, "demo-kiosk-1", "ticket.issue", {"service": "A"})
        assert ticket["ok"] is True, ticket
        agents = {"demo-win-1-agent", "demo-win-4-agent", "demo-win-5-agent"}
        assert agents <= online_devices(up.mqtt_port, agents)
    except BaseException:
        up.proc.kill()
        up.close()
        raise
    os.killpg(up.proc.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole foreground group
    assert up.close() == 0
    assert "hallq up: stopped" in up.lines
    # Every agent stopped when asked: none had to be killed after the grace period.
    assert not any("did not stop" in line for line in up.lines), up.lines
    assert port_is_free(up.mqtt_port)
    assert port_is_free(up.http_port)
    assert agent_processes(tmp_path / "var") == []


def test_the_http_server_ends_open_live_streams_when_it_stops(tmp_path: Path) -> None:
    from harness.factories import PASSWORD, build_hall
    from queue_server.api import create_app
    from queue_server.runtime.up import HttpServer

    hall = build_hall(f"sqlite:///{tmp_path / 'hallq.db'}", code="live")
    port = free_port()
    http = HttpServer.start(create_app(hall.settings, hall.services), "127.0.0.1", port)
    try:
        base = f"http://127.0.0.1:{port}"
        login = {"hall": "live", "login": "zhang", "password": PASSWORD}
        token = httpx.post(f"{base}/api/auth/token", json=login, timeout=10).json()["access_token"]
        lines: list[str] = []
        hello, ended = threading.Event(), threading.Event()

        def read() -> None:
            headers = {"Authorization": f"Bearer {token}"}
            try:
                with httpx.stream("GET", f"{base}/api/halls/live/live", headers=headers, timeout=30) as r:
                    for line in r.iter_lines():
                        lines.append(line)
                        hello.set()
            except httpx.HTTPError:
                pass
            finally:
                ended.set()

        threading.Thread(target=read, daemon=True).start()
        assert hello.wait(scaled(10))
        http.stop()
        assert ended.wait(scaled(30))
        # Closed by the server as it stopped, not at its maximum age (its first heartbeat comes
        # after 5 quiet seconds, the maximum age is 15).
        assert not any(line.startswith(": ping") for line in lines), lines
        assert not http.alive
    finally:
        http.stop()
        hall.close()


def test_up_runs_as_development_even_in_a_production_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An operator's shell may carry a hall's server.env; the demo still needs no secret file, and its
    # built-in secret never becomes a production setting.
    import argparse

    from queue_server.runtime.up import up_settings
    from queue_server.settings import DEVELOPMENT_SECRET, Environment

    monkeypatch.setenv("HALLQ_ENVIRONMENT", "production")
    monkeypatch.delenv("HALLQ_SECRET_KEY_FILE", raising=False)
    args = argparse.Namespace(port=free_port(), mqtt_port=None)
    settings = up_settings(args, tmp_path)
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.secret_key() == DEVELOPMENT_SECRET
