"""The kiosks of the issue benchmarks: C MQTT clients, driven by ONE Python thread.

Per kiosk a ``mosquitto_pub -l --nodelay -q 1`` (client id = the device id ``bench-kiosk-{i}``; it
publishes each line of its stdin at once on ``dev/{id}/req``) and a ``mosquitto_sub --nodelay -q 1``
(client id ``{id}-sub``; it prints and flushes each reply on ``dev/{id}/resp`` as one line). The driver
writes the next request line into a kiosk's pub and reads the replies with one ``select`` on the subs'
stdout pipes. Before the first request each sub has printed a marker published to its own topic, so
its subscription is in place.

Why not paho: 10 paho clients (one network thread each) plus 10 kiosk threads cost the benchmark
~0.5–0.8 ms of CPU per ticket and convoyed on the GIL; against a stub server that answers at once they
topped out near 950 tickets/s with a p99 of ~26 ms, so the load generator, not the server, set the
issue latency, and on a 2-core machine it took CPU from the server too. The C clients and the driver
cost ~0.2–0.25 ms per ticket together, spread over processes that hold no common lock.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.bench_hall import HALL
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink
from queue_server.protocol.codec import ProtocolError, decode, encode
from queue_server.protocol.messages import Request, Response
from queue_server.runtime.broker import die_with_parent

KIOSKS = 10

KIOSK_PUB = "mosquitto_pub"
KIOSK_SUB = "mosquitto_sub"
SYNC_PREFIX = b"hallq-bench-sync "  # not JSON: never mistaken for a reply


@dataclass(frozen=True)
class Reply:
    kiosk: int
    at: float  # perf_counter when the driver read it
    response: Response


class Kiosks:
    """``count`` kiosks, each a ``mosquitto_pub -l`` and a ``mosquitto_sub``, driven by the caller's thread.

    Kiosk ``i`` is the device ``bench-kiosk-{i}``: its ``mosquitto_pub`` (client id = the device id)
    publishes every line written to its stdin at once, QoS 1, on ``dev/{id}/req``; its
    ``mosquitto_sub`` (client id ``{id}-sub``) prints every QoS 1 reply on ``dev/{id}/resp`` as one line,
    flushed per message. The calling thread writes requests with ``send`` and collects replies with
    ``replies`` (one ``select`` on the subs' stdout pipes): no other Python thread, no GIL to fight.
    ``close`` ends every child; a parent-death signal ends them if this process is killed (Linux ties
    it to the thread that started them: create and drive the kiosks from one long-lived thread).
    """

    def __init__(self, port: int, workdir: Path, count: int = KIOSKS) -> None:
        for binary in (KIOSK_PUB, KIOSK_SUB):
            if shutil.which(binary) is None:
                raise RuntimeError(f"{binary} not found: the issue benchmarks need mosquitto-clients")
        self.count = count
        self.devices = [f"bench-kiosk-{i}" for i in range(count)]
        self._nonce = uuid.uuid4().hex[:12]  # request ids stay unique across fleets on one database
        self._sent = itertools.count(1)
        self._log_path = workdir / "kiosks.log"
        self._procs: list[subprocess.Popen[bytes]] = []
        self._pubs: list[subprocess.Popen[bytes]] = []
        self._subs: list[subprocess.Popen[bytes]] = []
        self._pub_fds: list[int] = []
        self._partial = [b""] * count
        # select(2) takes microseconds; epoll rounds a timeout up to the next millisecond, which would
        # send the open loop's requests up to 1 ms late.
        self._selector = selectors.SelectSelector()
        self._closed = False
        self._preexec = die_with_parent()
        common = ["-h", "127.0.0.1", "-p", str(port), "-q", "1", "--nodelay"]
        try:
            with self._log_path.open("ab") as log_file:
                for i, device in enumerate(self.devices):
                    sub = self._spawn(
                        [KIOSK_SUB, *common, "-i", f"{device}-sub", "-t", topics.dev_resp(HALL, device)],
                        log_file,
                        stdout=subprocess.PIPE,
                    )
                    self._subs.append(sub)
                    assert sub.stdout is not None
                    self._selector.register(sub.stdout.fileno(), selectors.EVENT_READ, i)
                    pub = self._spawn(
                        [KIOSK_PUB, *common, "-i", device, "-l", "-t", topics.dev_req(HALL, device)],
                        log_file,
                        stdin=subprocess.PIPE,
                    )
                    self._pubs.append(pub)
                    assert pub.stdin is not None
                    self._pub_fds.append(pub.stdin.fileno())
            self._sync(port)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Kiosks:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _spawn(self, argv: list[str], log_file: Any, **pipes: Any) -> subprocess.Popen[bytes]:
        defaults: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL}
        proc = subprocess.Popen(argv, **(defaults | pipes), stderr=log_file, preexec_fn=self._preexec)
        self._procs.append(proc)
        return proc

    def _sync(self, port: int) -> None:
        """Return once every sub's subscription is in place: each has printed a marker sent to its topic.

        The pubs need no such check: a line written before a pub is connected waits in its stdin until
        it is, and the untimed warm-up round trips of ``_issue`` and ``_issue_offered`` absorb that wait.
        """
        marker = SYNC_PREFIX + self._nonce.encode()
        link = MqttLink(f"bench-kiosk-sync-{self._nonce}", BrokerAddress("127.0.0.1", port))
        link.start()
        try:
            if not link.wait_connected(10):
                raise RuntimeError("kiosk sync: no broker")
            waiting = set(range(self.count))
            deadline = time.perf_counter() + 10
            while waiting:
                if time.perf_counter() > deadline:
                    raise RuntimeError(
                        f"mosquitto_sub never subscribed: kiosks {sorted(waiting)}; {self.log_tail()}"
                    )
                for i in waiting:  # again until it shows: a marker sent before the SUBSCRIBE is lost
                    link.publish(topics.dev_resp(HALL, self.devices[i]), marker, qos=1)
                until = time.perf_counter() + 0.05
                while waiting and (left := until - time.perf_counter()) > 0:
                    for i, _at, line in self._lines(left):
                        if line == marker:
                            waiting.discard(i)
        finally:
            link.stop()

    def send(self, kiosk: int, op: str, args: dict[str, Any]) -> str:
        """Write one request line into the kiosk's pub (which publishes it at once); its request id."""
        rid = f"{self._nonce}-{next(self._sent)}"
        line = encode(Request(id=rid, op=op, args=args)) + b"\n"
        try:
            # One write of a line shorter than PIPE_BUF: atomic, and the pub's stdio reads whole lines.
            os.write(self._pub_fds[kiosk], line)
        except BrokenPipeError:
            raise RuntimeError(f"{self.devices[kiosk]}: mosquitto_pub exited; {self.log_tail()}") from None
        return rid

    def replies(self, timeout: float) -> list[Reply]:
        """The replies that arrive within ``timeout`` s (none if it passes): decoded, stamped when read."""
        out: list[Reply] = []
        for i, at, line in self._lines(timeout):
            if line.startswith(SYNC_PREFIX):
                continue  # a sync marker repeated while the first was on its way
            try:
                out.append(Reply(i, at, decode(Response, line)))
            except ProtocolError as exc:
                raise RuntimeError(f"{self.devices[i]}: not a reply: {line[:200]!r} ({exc})") from None
        return out

    def _lines(self, timeout: float) -> list[tuple[int, float, bytes]]:
        lines: list[tuple[int, float, bytes]] = []
        for key, _events in self._selector.select(max(timeout, 0.0)):
            i: int = key.data
            at = time.perf_counter()
            data = os.read(key.fd, 65536)
            if not data:
                code = self._subs[i].wait(5)
                raise RuntimeError(f"{self.devices[i]}: mosquitto_sub exited ({code}); {self.log_tail()}")
            *complete, self._partial[i] = (self._partial[i] + data).split(b"\n")
            lines.extend((i, at, line) for line in complete)
        return lines

    def cpu_seconds(self) -> float:
        """User + system CPU the kiosk processes have used so far."""
        return sum(_cpu_seconds(proc.pid) for proc in self._procs if proc.poll() is None)

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            tail = self._log_path.read_text(errors="replace")[-500:].strip()
            return f"kiosk log: {tail}" if tail else "kiosk log empty"
        return "no kiosk log"

    def close(self) -> None:
        """End every kiosk process (idempotent): pubs at the end of their input, subs by SIGTERM."""
        if self._closed:
            return
        self._closed = True
        for pub in self._pubs:
            if pub.stdin is not None:
                with contextlib.suppress(OSError):
                    pub.stdin.close()
        for sub in self._subs:
            with contextlib.suppress(ProcessLookupError):
                sub.terminate()
        # One grace period for all (a pub with a dead broker waits for its PUBACKs forever), then kill.
        deadline = time.monotonic() + 5
        for proc in self._procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        self._selector.close()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of another process (all its threads), from /proc/PID/stat: 10 ms ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
