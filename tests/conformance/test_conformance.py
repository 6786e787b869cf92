"""Conformance of the server to PROTOCOL.md, seen only through plain MQTT tools.

The server runs as its own process (``hallq server``) on a real database and a real Mosquitto; this
test talks to it with the ``mosquitto_rr``, ``mosquitto_pub`` and ``mosquitto_sub`` binaries (as a
third-party device author would) and builds every topic and payload by hand from PROTOCOL.md, never
through project helpers. Only the hall data is seeded with the test factories.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.factories import build_hall
from harness.processes import secret_key_file
from harness.waiting import eventually, scaled
from tests.conftest import MosquittoBroker, free_port

WAIT_S = 10  # seconds to wait for an answer, before the suite's time scale
TIMEOUT_S = math.ceil(scaled(WAIT_S))  # the same, scaled: for the tools' -W and subprocess timeouts

if not all(shutil.which(tool) for tool in ("mosquitto_rr", "mosquitto_sub", "mosquitto_pub", "stdbuf")):
    pytest.skip("mosquitto-clients are not installed", allow_module_level=True)


@dataclass
class Server:
    hall: str
    port: int
    proc: subprocess.Popen[bytes]

    def topic(self, rest: str) -> str:
        return f"hallq/v1/{self.hall}/{rest}"


@pytest.fixture(scope="module")
def server(broker: MosquittoBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    hall = f"c{uuid.uuid4().hex[:8]}"
    db = tmp_path_factory.mktemp("conformance") / "hallq.db"
    seeded = build_hall(f"sqlite:///{db}", code=hall)  # windows 1-4, agent-1 bound to window 1
    seeded.open_window("1", "zhang")
    seeded.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALLQ_")}
    env |= {"HALLQ_BROKER_URL": broker.url, "HALLQ_HALL": hall, "HALLQ_INSTANCE": "conformance"}
    env["HALLQ_SECRET_KEY_FILE"] = str(secret_key_file(db.parent))  # hallq server needs one
    log = (db.parent / "server.log").open("wb")
    argv = [sys.executable, "-m", "queue_server.cli", "server", "--db", f"sqlite:///{db}"]
    proc = subprocess.Popen(
        [*argv, "--port", str(free_port())], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(hall, broker.port, proc)
    try:
        # Ready when the server's retained birth says online (PROTOCOL.md: server/{instance}/status).
        birth = sub(server, "hallq/v1/server/conformance/status", count=1, wait=30)
        assert json.loads(birth[0][1])["state"] == "online"
        yield server
    finally:
        proc.terminate()
        proc.wait(scaled(20))
        log.close()


def rr(server: Server, device: str, request: dict[str, Any], *, v311: bool = True) -> dict[str, Any]:
    """One request and its reply with ``mosquitto_rr`` (subscribes to resp, publishes to req, waits)."""
    payload = json.dumps(request, ensure_ascii=False)
    # -m, not -s: mosquitto_rr 2.0.11 sends an empty payload when reading stdin.
    argv = ["mosquitto_rr", "-h", "127.0.0.1", "-p", str(server.port), "-i", device, "-q", "1", "--nodelay",
            "-t", server.topic(f"dev/{device}/req"), "-e", server.topic(f"dev/{device}/resp"),
            "-m", payload, "-W", str(TIMEOUT_S)]  # fmt: skip
    if v311:
        argv += ["-V", "mqttv311"]
    done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S + 5, check=False)
    assert done.returncode == 0, done.stderr.decode()
    reply: dict[str, Any] = json.loads(done.stdout)
    return reply


def ask(
    server: Server, device: str, op: str, args: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    rid = kw.pop("rid", None) or uuid.uuid4().hex
    reply = rr(server, device, {"id": rid, "op": op, "args": args or {}, "ts": time.time()}, **kw)
    assert reply["id"] == rid
    return reply


def sub(server: Server, topic: str, *, count: int, wait: int = WAIT_S) -> list[tuple[str, str]]:
    """``count`` messages on ``topic`` (retained ones included) with ``mosquitto_sub -v``, within
    ``wait`` seconds (scaled)."""
    wait = math.ceil(scaled(wait))
    done = subprocess.run(
        ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(server.port), "-t", topic, "-v", "-q", "1",
         "-C", str(count), "-W", str(wait)],
        capture_output=True, timeout=wait + 5, check=False, text=True,
    )  # fmt: skip
    assert done.returncode == 0, f"{topic}: {done.stderr}"
    return [tuple(line.split(" ", 1)) for line in done.stdout.splitlines()]  # type: ignore[misc]  # 2-tuples


class Listener:
    """A ``mosquitto_sub -d`` running in the background; started once its SUBACK is printed."""

    def __init__(self, server: Server, topic: str) -> None:
        self.proc = subprocess.Popen(
            # Line-buffered: the debug line announcing the SUBACK must reach us before any message does.
            ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(server.port), "-t", topic,
             "-v", "-d", "-q", "1"],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.messages: list[tuple[str, str]] = []
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._subscribed.wait(TIMEOUT_S):
            self.close()
            pytest.fail(f"mosquitto_sub did not subscribe to {topic}")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("Client ") and "SUBACK" in line:
                self._subscribed.set()
            elif line.startswith("hallq/"):
                with self._lock:
                    topic, payload = line.rstrip("\n").split(" ", 1)
                    self.messages.append((topic, payload))

    def received(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self.messages)

    def wait_for(self, n: int) -> list[tuple[str, str]]:
        """Every message so far, once there are ``n``."""

        def all_if_enough() -> list[tuple[str, str]]:
            got = self.received()
            return got if len(got) >= n else []

        return eventually(all_if_enough, WAIT_S, what=f"{n} messages")

    def wait_until(self, matches: Callable[[str], bool]) -> str:
        """The first payload (retained or new) that ``matches``."""
        found = eventually(
            lambda: [p for _, p in self.received() if matches(p)], WAIT_S, what="a matching message"
        )
        return found[0]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(scaled(5))
        # The reader ends at EOF once the process is gone; closing the pipe under it would raise.
        self._reader.join(scaled(5))
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def test_issue_a_ticket_over_mqtt_311_and_5(server: Server) -> None:
    first = ask(server, "kiosk-1", "ticket.issue", {"service": "B"})
    assert first["ok"] is True
    assert first["result"]["number"].startswith("B")
    assert first["result"]["citizen_url"].startswith("http")
    second = ask(server, "kiosk-1", "ticket.issue", {"service": "B"}, v311=False)  # MQTT 5 works too
    assert second["result"]["people_ahead"] == first["result"]["people_ahead"] + 1

    status = ask(server, "kiosk-1", "ticket.status", {"ticket_id": second["result"]["ticket_id"]})
    assert status["result"]["state"] == "waiting"


def test_same_id_resent_gets_the_same_reply(server: Server) -> None:
    rid = f"kiosk-1-3-{uuid.uuid4().hex[:6]}"
    first = ask(server, "kiosk-1", "ticket.issue", {"service": "C"}, rid=rid)
    again = ask(server, "kiosk-1", "ticket.issue", {"service": "C"}, rid=rid)
    assert again == first
    following = ask(server, "kiosk-1", "ticket.issue", {"service": "C"})
    assert following["result"]["people_ahead"] == first["result"]["people_ahead"] + 1


def test_retained_state_after_issue(server: Server) -> None:
    screen = Listener(server, server.topic("state"))
    try:
        issued = ask(server, "kiosk-1", "ticket.issue", {"service": "A"})["result"]
        # The snapshot follows every change; it may come a moment after the reply.
        state = json.loads(screen.wait_until(lambda p: json.loads(p)["waiting"].get("A", 0) >= 1))
    finally:
        screen.close()
    assert {"seq", "open", "extended", "recent_calls", "windows", "waiting", "eta_min"} <= state.keys()
    assert state["waiting"]["A"] >= issued["people_ahead"] + 1
    # A screen that connects now gets the retained snapshot at once.
    [(topic, payload)] = sub(server, server.topic("state"), count=1)
    assert topic == server.topic("state")
    assert json.loads(payload)["waiting"]["A"] >= 1
    windows = sub(server, server.topic("window/+/state"), count=4)
    assert {json.loads(p)["window"] for _, p in windows} == {"1", "2", "3", "4"}


def test_calls_with_seq_reach_a_display_and_replay(server: Server) -> None:
    display = Listener(server, server.topic("calls"))
    try:
        ask(server, "kiosk-1", "ticket.issue", {"service": "A"})
        called = ask(server, "agent-1", "window.next")
        assert called["ok"] is True, called
        recalled = ask(server, "agent-1", "window.recall")
        events = [json.loads(p) for _, p in display.wait_for(2)]
    finally:
        display.close()
    assert [e["kind"] for e in events] == ["call", "recall"]
    assert events[1]["seq"] == events[0]["seq"] + 1
    assert events[0] == called["result"]["call"]
    assert events[1] == recalled["result"]["call"]
    assert events[0]["window"] == "1"
    assert events[0]["say"] == f"请{events[0]['ticket']}号到{events[0]['window_name']}办理"

    # A display that missed them asks for everything after the seq it last saw.
    replay = ask(server, "kiosk-1", "calls.since", {"seq": events[0]["seq"] - 1})
    assert replay["result"]["calls"][:2] == events

    for op in ("window.start", "window.finish"):
        assert ask(server, "agent-1", op)["ok"] is True
    # The window's retained state follows.
    [(_, payload)] = sub(server, server.topic("window/1/state"), count=1)
    assert json.loads(payload)["status"] == "idle"


def test_window_op_from_another_device_is_refused(server: Server) -> None:
    reply = ask(server, "kiosk-1", "window.next")
    assert reply["ok"] is False
    assert reply["error"]["code"] == "not_authorized"
    assert reply["error"]["message"]


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "bad-1", "op": "ticket.fly", "args": {}},
        {"id": "bad-2", "op": "ticket.issue", "args": {"service": 12}},
        {"id": "bad-3", "op": "ticket.issue", "args": {"service": "A", "colour": "blue"}},
        {"id": "bad-4", "op": "calls.since", "args": {}},
    ],
)
def test_bad_payload_gets_a_bad_request_reply(server: Server, payload: dict[str, Any]) -> None:
    reply = rr(server, "kiosk-1", payload)
    assert reply["id"] == payload["id"]
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"


def test_garbage_without_id_is_dropped_and_the_server_keeps_serving(server: Server) -> None:
    for garbage in (b"\x00\xff not json", b"[1,2]", b'{"op": "ticket.issue"}'):
        subprocess.run(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.port), "-q", "1", "-i", "kiosk-2",
             "-t", server.topic("dev/kiosk-2/req"), "-s"],
            input=garbage, check=True, timeout=TIMEOUT_S,
        )  # fmt: skip
    assert ask(server, "kiosk-2", "catalog.get")["ok"] is True
    assert server.proc.poll() is None


def test_a_device_status_with_paper_out_raises_a_retained_alert(server: Server) -> None:
    watcher = Listener(server, server.topic("alerts"))
    try:
        status = {
            "state": "online",
            "boot": 1,
            "kind": "kiosk",
            "ts": time.time(),
            "health": {"printer": "paper_out"},
        }
        subprocess.run(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(server.port), "-q", "1", "-r", "-i", "kiosk-7",
             "-t", server.topic("dev/kiosk-7/status"), "-m", json.dumps(status)],
            check=True, timeout=TIMEOUT_S,
        )  # fmt: skip

        def paper_out(payload: str) -> bool:
            return any(a["key"] == "printer_paper_out:kiosk-7" for a in json.loads(payload)["alerts"])

        found = json.loads(watcher.wait_until(paper_out))
    finally:
        watcher.close()
    [alert] = [a for a in found["alerts"] if a["device"] == "kiosk-7"]
    assert (alert["kind"], alert["severity"], alert["title"]) == (
        "printer_paper_out",
        "critical",
        "打印机缺纸",
    )
    assert alert["acknowledged_at"] is None and isinstance(alert["raised_at"], float)
    # A manager's program connecting now reads the retained list at once.
    [(_, retained)] = sub(server, server.topic("alerts"), count=1)
    assert paper_out(retained)
