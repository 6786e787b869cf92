"""The MQTT bridge alone, in a process of its own, over services that answer ``ticket.issue`` at once.

``python -m benchmarks.bridge_stub --broker-port N`` prints ``ready`` once the bridge is subscribed and
stops when its stdin closes. The issue benchmark run against it gives ``bridge_only_issue_per_s`` and
``bridge_only_issue_p99_ms``: what the kiosks, the broker and the server's MQTT bridge cost together,
the ceiling for the real figures.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.bench_hall import HALL
from queue_server.heap import settle_heap
from queue_server.mqtt.door import WORKERS, open_door
from queue_server.protocol.client import BrokerAddress
from queue_server.protocol.messages import HallState, TicketIssueArgs, TicketResult, WindowState


class StubServices:
    """Answers ``ticket.issue`` at once with a fixed ticket; has nothing else to say."""

    def __init__(self) -> None:
        self._ticket = TicketResult(
            ticket_id="stub", number="A001", service="A", service_name="综合受理", hall_name="stub",
            issued_at=0.0, people_ahead=0, eta_min=None, citizen_url="http://127.0.0.1/t/stub",
        )  # fmt: skip

    def issue_ticket(
        self, hall: str, args: TicketIssueArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        return self._ticket

    def issue_ticket_async(
        self, hall: str, args: TicketIssueArgs, done: Any, *, request_id: str, device_id: str | None
    ) -> None:
        done(self._ticket, None)

    def hall_state(self, hall: str) -> HallState:
        return HallState(seq=0, open=True, extended=False)

    def window_states(self, hall: str) -> list[WindowState]:
        return []

    def add_announcer(self, announcer: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)


def serve(broker_port: int) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services: Any = StubServices()
    door = open_door(
        BrokerAddress("127.0.0.1", broker_port), services, [HALL], instance="bench-stub", workers=WORKERS
    )
    settle_heap()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.stdin.close())
    with contextlib.suppress(ValueError, OSError):
        for _line in sys.stdin:  # until the parent closes it
            pass
    door.stop()
    return 0


@contextlib.contextmanager
def bridge_stub(broker_port: int, workdir: Path) -> Iterator[None]:
    """The stub bridge process for the block."""
    log_path = workdir / "bridge-stub.log"
    argv = [sys.executable, "-m", "benchmarks.bridge_stub", "--broker-port", str(broker_port)]
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, text=True
        )
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"bridge stub did not start: {log_path.read_text()[-2000:]}")
        yield
    finally:
        if proc.stdin is not None:
            proc.stdin.close()  # the stub stops when its stdin closes
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bridge_stub")
    parser.add_argument("--broker-port", type=int, required=True)
    return serve(parser.parse_args(argv).broker_port)


if __name__ == "__main__":
    raise SystemExit(main())
