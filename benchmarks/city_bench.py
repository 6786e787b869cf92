"""The city scenario: a simulated peak hour of many halls on two leased server instances, with a
``kill -9`` of one instance in the middle (``hallq bench --scenario city``; docs/server.md).

Set-up, all real, on loopback: a fresh PostgreSQL database (``HALLQ_TEST_PG``, as every PostgreSQL
bench; leases need PostgreSQL, so ``--db`` does not apply), the halls loaded into it
(benchmarks/bench_hall.py under codes ``city-NN``, window 1 open and staffed), one Mosquitto, two
``hallq server`` processes ``a`` and ``b`` with ``HALLQ_LEASES=true`` (lease ttl 6 s) sharing the
halls, and per hall a kiosk, a window agent and a display (harness/city.py: one MQTT connection per
device kind serving every hall; each resends an unanswered request with the same id every second).

The traffic: citizens arrive at each hall's kiosk at Poisson times (open loop, seeded), ``visits``
per hall over the run, and queue in front of it: a kiosk issues one ticket at a time; each agent
calls, starts and finishes as fast as its server answers (asks again 1 s after an empty queue).
Full: 50 halls × 600 visits over 360 s (a peak hour at 10×); ``--quick``: 4 halls × 60 visits over
24 s. The lines left at the end get their tickets (60 s at most). Half way, instance ``a`` is killed
with SIGKILL.

Figures (latencies over the WHOLE run, the failover included; ``_excl_failover``: without the requests
in flight between the kill and the moment every moved hall answered again):

- ``city_issue_p{50,99}_ms``: ``ticket.issue`` first publish → its reply at the kiosk (resends included).
- ``city_call_to_display_p{50,99}_ms``: ``window.next`` first publish → the call's message (same hall,
  same ``seq``) arriving at the hall's display subscriber. ``city_calls_not_displayed``: calls an
  agent got whose message no display received (committed by the killed instance, the reply replayed
  by the new holder from the request log: the gap a display fills with ``calls.since``).
- ``city_failover_s``: the kill → the last of the killed instance's halls answering a request (re)sent
  after the kill (served again, from the devices' side); ``city_failover_health_s``: the kill → the
  survivor's ``/api/health/ready`` listing every hall.
- ``city_tickets_lost``: tickets a kiosk got a reply for that are not in the database;
  ``city_tickets_doubled``: extra rows for one request id, extra tickets with one number in a hall,
  and one ticket replied to two requests. ``city_requests_unanswered``: requests still without a
  reply 60 s after the traffic stopped.
"""

from __future__ import annotations

import contextlib
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.bench_hall import wait_for_opening_hours
from benchmarks.figures import Figures, ms
from harness.broker import running_mosquitto
from harness.city import KIOSK, CityTraffic, Request, held, prepare_halls, start_servers, stored_tickets
from harness.postgres import empty_database, unreachable_reason
from harness.processes import HallqServer
from queue_server.services.engine.request_log import scope_of
from queue_server.services.queue.tickets import scoped_key

BALANCE_TIMEOUT_S = 60.0
MOVE_TIMEOUT_S = 30.0
DRAIN_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Scale:
    halls: int
    visits: int  # per hall
    run_s: float  # real seconds the kiosks issue for

    @property
    def label(self) -> str:
        return f"{self.halls} halls × {self.visits} visits in {self.run_s:.0f} s"


FULL = Scale(50, 600, 360.0)  # a peak hour at 10×
QUICK = Scale(4, 60, 24.0)


def _say(line: str) -> None:
    print(f"city: {line}", file=sys.stderr, flush=True)


def arrivals(scale: Scale, seed: int = 13) -> dict[str, list[float]]:
    """Each hall's issue times (seconds from the start): Poisson arrivals, ``visits`` of them."""
    rng = random.Random(seed)
    schedule: dict[str, list[float]] = {}
    for index in range(scale.halls):
        times = sorted(rng.uniform(0, scale.run_s) for _ in range(scale.visits))
        schedule[f"city-{index:02d}"] = times
    return schedule


@dataclass
class Failover:
    killed: float
    moved: set[str]
    health_s: float | None = None

    def served_s(self, answered: list[Request]) -> float | None:
        """The kill → the last moved hall answering a request (re)sent after the kill; None while one
        has not."""
        firsts = []
        for hall in self.moved:
            after = [
                r.replied
                for r in answered
                if r.hall == hall and r.replied is not None and r.last_sent >= self.killed
            ]
            if not after:
                return None
            firsts.append(min(after))
        return max(firsts) - self.killed if firsts else None


def run(quick: bool, db: str) -> Figures:
    """``db`` is ignored: the city scenario runs on PostgreSQL only (leases)."""
    scale = QUICK if quick else FULL
    reason = unreachable_reason()
    if reason is not None:
        raise RuntimeError(f"the city scenario needs PostgreSQL (HALLQ_TEST_PG): {reason}")
    schedule = arrivals(scale)
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hallq-bench-city-")))
        url = stack.enter_context(empty_database("postgresql", workdir))
        wait_for_opening_hours()
        t0 = time.monotonic()
        prepare_halls(url, list(schedule))
        _say(f"{scale.halls} halls loaded in {time.monotonic() - t0:.1f} s")
        broker = stack.enter_context(running_mosquitto(workdir / "broker"))
        servers = start_servers(url, broker.port, workdir, ["a", "b"])
        for server in servers.values():
            stack.callback(server.stop)
        _wait_balanced(servers, set(schedule))
        traffic = CityTraffic(broker.port, schedule)
        stack.callback(traffic.close)
        stack.callback(traffic.stop)  # first: no resend into a closed connection
        failover = _drive(traffic, servers, scale)
        figures = _figures(traffic, failover, scale)
        figures.update(_compare(traffic, url))
    return figures


def _wait_balanced(servers: dict[str, HallqServer], halls: set[str]) -> None:
    deadline = time.monotonic() + BALANCE_TIMEOUT_S
    while time.monotonic() < deadline:
        shares = [held(server) for server in servers.values()]
        if all(shares) and set().union(*shares) == halls:
            _say(
                "halls shared out: "
                + ", ".join(f"{n} {len(s)}" for n, s in zip(servers, shares, strict=True))
            )
            return
        time.sleep(0.2)
    raise RuntimeError(f"the halls were not shared out between the instances in {BALANCE_TIMEOUT_S} s")


def _drive(traffic: CityTraffic, servers: dict[str, HallqServer], scale: Scale) -> Failover:
    """Run the traffic; kill instance ``a`` half way; stop, and wait for every answer."""

    def progress(elapsed: float) -> None:
        _say(
            f"{elapsed:5.0f}/{scale.run_s:.0f} s: {traffic.issued()} tickets, {len(traffic.calls())} calls, "
            f"{traffic.pending()} awaiting a reply, {sum(traffic.line.values())} citizens in line, "
            f"{traffic.kiosks.unavailable + traffic.agents.unavailable} 'unavailable' so far"
        )

    victim, survivor = servers["a"], servers["b"]
    _say(f"traffic: {scale.label}")
    traffic.start(progress)
    time.sleep(scale.run_s / 2)
    failover = Failover(0.0, held(victim))
    if victim.proc is None:
        raise RuntimeError("instance a is not running")
    failover.killed = time.monotonic()
    victim.proc.kill()
    victim.proc.wait()
    _say(f"kill -9 of instance a (it held {len(failover.moved)} halls)")
    everything = set(traffic.arrivals)
    while time.monotonic() - failover.killed < MOVE_TIMEOUT_S:
        if held(survivor) >= everything:
            failover.health_s = time.monotonic() - failover.killed
            _say(f"instance b holds every hall {failover.health_s:.2f} s after the kill")
            break
        time.sleep(0.1)
    time.sleep(max(0.0, traffic.started + scale.run_s - time.monotonic()))
    traffic.stop_calling()
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while (traffic.kiosks.pending or any(traffic.line.values())) and time.monotonic() < deadline:
        time.sleep(0.1)
    traffic.stop_issuing()
    while traffic.kiosks.pending and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(min(2.0, max(0.0, deadline - time.monotonic())))  # the agents' last answers and calls
    traffic.stop()
    traffic.close()  # one snapshot: no reply may arrive between the figures and the comparison
    return failover


def _latencies(requests: list[Request], excluded: tuple[float, float] | None) -> list[float]:
    kept = []
    for r in requests:
        if r.replied is None:
            continue
        if excluded is not None and r.first_sent <= excluded[1] and r.replied >= excluded[0]:
            continue
        kept.append(r.replied - r.first_sent)
    return kept


def _display_latencies(traffic: CityTraffic, excluded: tuple[float, float] | None) -> tuple[list[float], int]:
    kept, missing = [], 0
    for call in traffic.calls():
        arrived = traffic.displays.arrived.get((call.hall, int(call.reply["result"]["call"]["seq"])))
        if arrived is None:
            missing += 1
        elif excluded is None or not (call.first_sent <= excluded[1] and arrived >= excluded[0]):
            kept.append(arrived - call.first_sent)
    return kept, missing


def _refusals(traffic: CityTraffic) -> str:
    refused = [*traffic.refused, *(r for r in traffic.kiosks.answered if not r.ok)]
    counts = Counter(f"{r.op}/{r.error}" for r in refused)
    return ", ".join(f"{code}:{n}" for code, n in counts.most_common()) or "none"


def _quantiles(figures: Figures, name: str, seconds: list[float]) -> None:
    for q in (50, 99):
        figures[f"{name}_p{q}_ms"] = ms(seconds, q / 100) if seconds else "no sample"


def _figures(traffic: CityTraffic, failover: Failover, scale: Scale) -> Figures:
    served_s = failover.served_s(traffic.kiosks.answered + traffic.agents.answered)
    window = (failover.killed, failover.killed + served_s) if served_s is not None else None
    issues = [r for r in traffic.kiosks.answered if r.ok]
    shown, missing = _display_latencies(traffic, None)
    shown_excl, _ = _display_latencies(traffic, window)
    figures: Figures = {
        "db": "postgresql",
        "city_broker": "mosquitto",
        "city_halls": scale.halls,
        "city_visits_offered": scale.halls * scale.visits,
        "city_run_s": scale.run_s,
        "city_tickets": len(issues),
        "city_visits_left_in_line": sum(traffic.line.values()),
        "city_kiosk_line_max": traffic.line_max,
        "city_calls": len(traffic.calls()),
        "city_calls_not_displayed": missing,
        "city_requests_resent": sum(
            r.attempts > 1 for r in traffic.kiosks.answered + traffic.agents.answered
        ),
        "city_unavailable_replies": traffic.kiosks.unavailable + traffic.agents.unavailable,
        "city_requests_refused": len(traffic.refused) + len(traffic.kiosks.answered) - len(issues),
        # What they were refused with: "code:requests" pairs, kiosks' and agents' together.
        "city_refusals": _refusals(traffic),
        "city_requests_unanswered": traffic.pending(),
        "city_halls_moved": len(failover.moved),
        "city_failover_s": round(served_s, 3) if served_s is not None else "not served again",
        "city_failover_health_s": (
            round(failover.health_s, 3) if failover.health_s is not None else f"over {MOVE_TIMEOUT_S} s"
        ),
    }
    _quantiles(figures, "city_issue", _latencies(issues, None))
    _quantiles(figures, "city_issue_excl_failover", _latencies(issues, window))
    _quantiles(figures, "city_call_to_display", shown)
    _quantiles(figures, "city_call_to_display_excl_failover", shown_excl)
    displayed_twice = sum(len(seqs) - len(set(seqs)) for seqs in traffic.displays.shown.values())
    figures["city_calls_displayed_twice"] = displayed_twice
    return figures


def _compare(traffic: CityTraffic, url: str) -> Figures:
    """What the kiosks were told against the database: lost and doubled tickets."""
    stored = stored_tickets(url)
    # A ticket row keeps its request id scoped to the sender and digested (services/queue/tickets.py).
    scope = scope_of(KIOSK, None)
    replied = [
        (r.hall, str(r.reply["result"]["ticket_id"]), scoped_key(scope, r.rid))
        for r in traffic.kiosks.answered
        if r.ok
    ]
    lost, doubled = lost_and_doubled(replied, stored)
    keys = {key for _, _, key in replied}
    return {
        "city_tickets_lost": lost,
        "city_tickets_doubled": doubled,
        "city_tickets_in_db": sum(len(rows) for rows in stored.values()),
        "city_tickets_in_db_unreplied": sum(
            key not in keys for rows in stored.values() for _, _, key in rows
        ),
    }


def lost_and_doubled(
    replied: Sequence[tuple[str, str, str]], stored: Mapping[str, Sequence[tuple[str, int, str | None]]]
) -> tuple[int, int]:
    """``replied``: (hall, ticket id, request key) of every ticket a kiosk was told; ``stored``: each
    hall's (ticket id, number, request key) rows. Lost: told, not stored. Doubled: every extra row
    for one request key or one number in a hall, and every extra request told the same ticket."""
    in_db = {(hall, public) for hall, rows in stored.items() for public, _, _ in rows}
    lost = sum((hall, public) not in in_db for hall, public, _ in replied)
    by_request = Counter((hall, key) for hall, rows in stored.items() for _, _, key in rows if key)
    by_number = Counter((hall, seq) for hall, rows in stored.items() for _, seq, _ in rows)
    by_ticket = Counter((hall, public) for hall, public, _ in replied)
    doubled = sum(n - 1 for counter in (by_request, by_number, by_ticket) for n in counter.values())
    return lost, doubled
