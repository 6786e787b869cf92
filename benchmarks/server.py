"""Server benchmarks: ticket.issue over MQTT, call-to-display latency, the broker floor, call-next cost.

Set-up, all real: a private Mosquitto with ``set_tcp_nodelay`` on a free loopback port; a fresh
database (a SQLite file, or a new PostgreSQL database dropped afterwards); the bench hall
(benchmarks/bench_hall.py: the demo hall, open all day) loaded as ``bench`` and ``bench-cn``; window 1
of ``bench`` open, having served 200 tickets (20 in ``--quick``) so that the wait estimates read a
handling history.

The server is a ``hallq server`` PROCESS, HTTP and MQTT bridge in one, started as systemd starts it
(benchmarks/deployed.py): its CPU and RSS are its own. The 10 kiosks are mosquitto_pub/sub processes
driven by one thread (benchmarks/kiosk_fleet.py); the window agent and the hall display are paho
clients in this process. Figures (modules named where they are measured):

- ``server_mode``: what served the figures below.
- ``bridge_only_issue_per_s``, ``bridge_only_issue_p99_ms``: the closed loop against the MQTT bridge
  over a stub that answers at once (bridge_stub.py): the ceiling for the real figures.
- ``issue_per_s``, ``issue_p50_ms``, ``issue_p99_ms``, ``issue_count``, ``issue_clients``: 10 kiosks,
  closed loop (issue_load.py). ``issue_driver_cpu_ms_per_ticket`` / ``issue_kiosks_cpu_ms_per_ticket``:
  CPU per ticket of this process and of the 20 kiosk processes (10 ms ticks: coarse in ``--quick``).
- ``issue_at_{250,500}_per_s`` / ``_p50_ms`` / ``_p99_ms``: the kiosks OFFERING that rate (open loop);
  ``issue_at_{rate}_server_cpu_ms_per_ticket`` and, on PostgreSQL, ``issue_at_{rate}_db_cpu_ms_per_ticket``
  (the bench database's backends): CPU per offered ticket, steadier than latency on a busy machine.
- ``server_rss_mb``: VmRSS of the server process right after the issue benchmarks.
- ``issue_transactions``, ``issue_writes_per_transaction``: how the server's group commit grouped the
  issue benchmarks' writes (warm-up included), from the line the server logs when it stops; a string
  saying so when it logs none.
- ``call_to_display_p50_ms`` / ``_p99_ms``, ``call_count``: ``window.next`` from the window agent to
  the call at a display (call_display.py), on a second server process (the first one's stop gave the
  group-commit figures).
- ``broker_rtt_p50_ms``: the floor (mqtt_device.py); ``call_vs_broker_ratio`` = call p50 / this.
- ``call_next_ms_{1,10,100}k``, ``call_next_announced_ms_*``, ``call_next_growth_*``: the use case
  in process with the servers stopped (call_next_cost.py). ``--quick`` skips 100k and says so
  (``call_next_100k_skipped``); it never reports a figure it did not measure.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_hall import HALL, prepare, wait_for_opening_hours
from benchmarks.bridge_stub import bridge_stub
from benchmarks.call_display import call_to_display
from benchmarks.call_next_cost import call_next_cost
from benchmarks.deployed import SERVER_MODE, ServerProcess, database_cpu_s, hallq_server
from benchmarks.figures import Figures
from benchmarks.issue_load import OFFERED_RATES, issue_closed, issue_offered
from benchmarks.kiosk_fleet import Kiosks
from benchmarks.mqtt_device import broker_rtt
from harness.broker import running_mosquitto
from harness.postgres import empty_database


@dataclass(frozen=True)
class Sizes:
    warmup_per_kiosk: int
    issues_per_kiosk: int
    calls: int
    rtt_samples: int
    call_next_samples: int
    waiting: tuple[int, ...]
    offered_s: float  # how long each offered rate runs
    served: int  # tickets window 1 has served before the benchmarks (the hall's handling history)


QUICK = Sizes(5, 30, 20, 100, 5, (1_000, 10_000), 1.0, 20)
FULL = Sizes(50, 400, 200, 500, 21, (1_000, 10_000, 100_000), 8.0, 200)


def run(quick: bool, db: str) -> Figures:
    sizes = QUICK if quick else FULL
    figures: Figures = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hallq-bench-")))
        url = stack.enter_context(empty_database(db, workdir))
        wait_for_opening_hours()
        prepare(url, sizes.served)
        with running_mosquitto(workdir / "broker") as broker:
            # One fleet for both servers: the kiosks only know the broker. Closed before it stops.
            with Kiosks(broker.port, workdir) as kiosks:
                with bridge_stub(broker.port, workdir):
                    floor = issue_closed(kiosks, sizes.warmup_per_kiosk, sizes.issues_per_kiosk)
                figures["bridge_only_issue_per_s"] = floor["issue_per_s"]
                figures["bridge_only_issue_p99_ms"] = floor["issue_p99_ms"]
                figures["server_mode"] = SERVER_MODE
                figures["broker_rtt_p50_ms"] = broker_rtt(broker.port, sizes.rtt_samples)
                with hallq_server(url, broker.port, HALL, workdir) as server:
                    figures.update(issue_closed(kiosks, sizes.warmup_per_kiosk, sizes.issues_per_kiosk))
                    for rate in OFFERED_RATES:
                        figures.update(_offered_with_cpu(kiosks, sizes.offered_s, rate, server, url))
                    figures["server_rss_mb"] = round(server.rss_mb(), 1)
                figures.update(_group_commit(server))
            with hallq_server(url, broker.port, HALL, workdir):
                figures.update(call_to_display(broker.port, sizes.calls))
            figures["call_vs_broker_ratio"] = round(
                float(figures["call_to_display_p50_ms"]) / max(float(figures["broker_rtt_p50_ms"]), 1e-6), 1
            )
        # The servers and the broker are stopped: the call-next cost is measured in process, alone.
        figures.update(call_next_cost(url, sizes.waiting, sizes.call_next_samples))
    if quick:
        figures["call_next_100k_skipped"] = "quick mode"
    return figures


def _offered_with_cpu(
    kiosks: Kiosks, offered_s: float, rate: int, server: ServerProcess, url: str
) -> Figures:
    """``issue_offered``, with the CPU per ticket of the server process and of the database's backends
    (PostgreSQL on this machine): figures that hold still on a busy machine when latencies do not."""
    server_cpu, db_cpu = server.cpu_s(), database_cpu_s(url)
    figures = issue_offered(kiosks, offered_s, rate)
    tickets = max(1, round(offered_s * rate))
    figures[f"issue_at_{rate}_server_cpu_ms_per_ticket"] = round(
        (server.cpu_s() - server_cpu) * 1000 / tickets, 3
    )
    db_after = database_cpu_s(url)
    if db_cpu is not None and db_after is not None:
        figures[f"issue_at_{rate}_db_cpu_ms_per_ticket"] = round((db_after - db_cpu) * 1000 / tickets, 3)
    return figures


def _group_commit(server: ServerProcess) -> Figures:
    """Group commit at work: ticket.issue writes per committed transaction (warm-up included)."""
    commits = server.group_commit()
    if commits is None:
        missing = "not reported: the server logs no 'group commit:' line when it stops"
        return {"issue_transactions": missing, "issue_writes_per_transaction": missing}
    transactions = sum(count for _size, count in commits)
    writes = sum(size * count for size, count in commits)
    return {
        "issue_transactions": transactions,
        "issue_writes_per_transaction": round(writes / max(transactions, 1), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.server", description="the server benchmarks alone"
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.quick, args.db), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
