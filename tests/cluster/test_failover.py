"""The city topology end to end: two ``hallq server`` processes with leases on one PostgreSQL
database and one Mosquitto, four halls at work (a kiosk issuing, the window agent calling, a display
listening, each a raw MQTT client that resends with the same request id until answered).

- ``kill -9`` of one instance: its halls are served again within 10 s (measured from the kill to the
  first answer to a request sent after it), no ticket lost or doubled (every ticket a kiosk got
  exists once, numbers gap-free), the display sees every call once and in order (a call committed by
  the dead instance but never published is the one gap a display fills with ``calls.since``).
- ``SIGSTOP`` of one instance until its halls moved, then ``SIGCONT`` (a zombie): requests that
  reached only the zombie's session while it slept are not written when it wakes (fencing: its
  epoch is stale), and nothing is doubled.

The server's subscriptions are clean sessions: a request published while no instance holds its hall
is dropped by the broker. The devices' resend with the same id is what carries it to the new holder
(``attempts`` > 1 on the requests in flight at the kill), and the request log makes the resend
idempotent.
"""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from harness.city import held, prepare_halls, start_servers
from harness.processes import HallqServer
from harness.waiting import eventually
from queue_server.services.engine.request_log import scope_of
from queue_server.services.queue.tickets import scoped_key
from queue_server.store import init_db
from queue_server.store.tables import Ticket
from tests.cluster.city import (
    Broker,
    Device,
    HallTraffic,
    calls_since,
    hall_served,
    pause,
    resume,
    retained_seq,
    stored,
)
from tests.conftest import MosquittoBroker

log = logging.getLogger(__name__)

HALLS = 4
FAILOVER_LIMIT_S = 10.0
PROBE_KIOSK = "demo-kiosk-2"


@pytest.fixture
def leased_city(
    pg_url: str, broker: MosquittoBroker, tmp_path: Path
) -> Iterator[tuple[list[str], dict[str, HallqServer]]]:
    codes = [f"c{uuid.uuid4().hex[:6]}-{i}" for i in range(HALLS)]
    prepare_halls(pg_url, codes)
    with ExitStack() as stack:
        servers = start_servers(pg_url, broker.port, tmp_path, ["a", "b"])
        for server in servers.values():
            stack.callback(server.stop)
        eventually(
            lambda: _balanced(servers, codes), 30, what="the halls shared out between a and b", interval=0.2
        )
        yield codes, servers


def _balanced(servers: dict[str, HallqServer], codes: list[str]) -> bool:
    shares = [held(server) for server in servers.values()]
    return all(len(share) == len(codes) // len(servers) for share in shares) and set().union(*shares) == set(
        codes
    )


def _traffic(codes: list[str], port: int) -> dict[str, HallTraffic]:
    traffic = {code: HallTraffic(code, port) for code in codes}
    for hall in traffic.values():
        hall.start()
    eventually(lambda: all(len(t.calls) >= 2 for t in traffic.values()), 30, what="every hall calling")
    return traffic


def _settle(traffic: dict[str, HallTraffic], since: float) -> None:
    """Let every hall serve a few more requests sent after ``since``, then stop the devices."""
    eventually(
        lambda: all(sum(a.last_sent >= since for a in t.tickets) >= 3 for t in traffic.values()),
        30,
        what="every hall issuing after the move",
    )
    for hall in traffic.values():
        hall.stop()


def _all_served_after(traffic: dict[str, HallTraffic], halls: set[str], moment: float) -> float | None:
    """When the last of ``halls`` answered a request sent after ``moment`` (None: not all yet)."""
    served = [traffic[hall].first_served_after(moment) for hall in halls]
    return max(s for s in served if s is not None) if all(served) else None


def _check_hall(url: str, port: Broker, hall: HallTraffic) -> int:
    """No ticket lost or doubled, gap-free numbers, calls once and in order; the gaps a display filled."""
    assert not hall.errors, hall.errors
    received = [a.reply["result"]["ticket_id"] for a in hall.tickets]
    tickets, call_seqs = stored(url, hall.hall)
    assert len(received) == len(set(received)), "a kiosk got the same ticket for two requests"
    assert sorted(received) == sorted(public for public, _ in tickets), "a ticket lost or doubled"
    assert sorted(seq for _, seq in tickets) == list(range(1, len(tickets) + 1)), "ticket numbers with a gap"
    shown = hall.shown
    assert all(a < b for a, b in itertools.pairwise(shown)), f"calls out of order or twice: {shown}"
    assert {a.reply["result"]["call"]["seq"] for a in hall.calls} <= set(call_seqs)
    missing = sorted(set(call_seqs) - set(shown))
    if missing:  # committed, then the process died before publishing: what calls.since is for
        assert set(missing) <= set(calls_since(port, hall.hall, missing[0] - 1))
    assert eventually(
        lambda: retained_seq(port, hall.hall) == call_seqs[-1], 10, what="retained state current"
    )
    return len(missing)


# Two server processes start in ~10 s on an idle machine, ~40 s under a load average of 10: the
# default 120 s would end the test on a busy machine, which measures the machine, not the code.
@pytest.mark.timeout(300)
def test_kill_9_moves_the_halls_within_10_s_and_loses_nothing(
    leased_city: tuple[list[str], dict[str, HallqServer]], pg_url: str, broker: MosquittoBroker
) -> None:
    codes, servers = leased_city
    victim, survivor = servers["a"], servers["b"]
    moved = held(victim)
    # A balancer asks each instance whether it serves a hall: yes on its holder only.
    asked = sorted(moved)[0]
    assert [hall_served(server, asked) for server in (victim, survivor)] == [200, 503]
    traffic = _traffic(codes, broker.port)
    try:
        assert victim.proc is not None
        killed = time.monotonic()
        victim.proc.kill()
        victim.proc.wait()
        eventually(lambda: held(survivor) == set(codes), 15, what="b holds every hall", interval=0.1)
        taken_s = time.monotonic() - killed
        served = eventually(
            lambda: _all_served_after(traffic, moved, killed), 20, what="the moved halls answering again"
        )
        assert served is not None
        failover_s = served - killed
        _settle(traffic, killed + failover_s)
    finally:
        for hall in traffic.values():
            hall.stop()
            hall.close()
    resent = sum(a.attempts > 1 for h in moved for a in traffic[h].tickets + traffic[h].calls)
    gaps = sum(_check_hall(pg_url, broker.port, traffic[code]) for code in codes)
    log.warning(
        "failover: leases taken %.2f s, halls answering %.2f s after kill -9; %d resent, %d display gaps",
        taken_s,
        failover_s,
        resent,
        gaps,
    )
    print(f"\nfailover_s={failover_s:.2f} leases_taken_s={taken_s:.2f} resent={resent} display_gaps={gaps}")
    assert failover_s <= FAILOVER_LIMIT_S
    assert resent >= 1  # the requests in flight at the kill reached the new holder by being resent


@pytest.mark.timeout(300)
def test_a_paused_instance_cannot_write_after_its_halls_moved(
    leased_city: tuple[list[str], dict[str, HallqServer]], pg_url: str, broker: MosquittoBroker
) -> None:
    codes, servers = leased_city
    zombie, survivor = servers["a"], servers["b"]
    its = held(zombie)
    traffic = _traffic(codes, broker.port)
    probes: list[str] = []
    try:
        pause(zombie)
        paused = time.monotonic()
        try:
            # Sent while the zombie still holds these halls in the broker's eyes and nobody else does:
            # only its session gets them, and it reads them when it wakes, with a stale epoch.
            for code in sorted(its):
                probe = Device(broker.port, code, PROBE_KIOSK)
                rid = f"probe-{uuid.uuid4().hex[:10]}"
                probe.publish("ticket.issue", {"service": "A"}, rid)
                probes.append(rid)
                probe.close()
            eventually(lambda: held(survivor) == set(codes), 15, what="b holds every hall", interval=0.1)
            assert time.monotonic() - paused < 20  # before the broker drops the zombie's session
        finally:
            resume(zombie)
        resumed = time.monotonic()
        eventually(
            lambda: "lease lost" in _log(zombie) or "not renewed" in _log(zombie), 10, what="zombie lets go"
        )
        eventually(lambda: _balanced(servers, codes), 30, what="the halls shared out again", interval=0.2)
        _settle(traffic, resumed)
    finally:
        for hall in traffic.values():
            hall.stop()
            hall.close()
    scope = scope_of(PROBE_KIOSK, None)
    stored_ids = [scoped_key(scope, rid) for rid in probes]
    engine = init_db(pg_url)
    try:
        with Session(engine) as session:
            written = session.execute(
                # Stored scoped to the sender and digested, as every ticket's request id is.
                select(func.count()).where(col(Ticket.request_id).in_(stored_ids))
            ).scalar_one()
    finally:
        engine.dispose()
    assert written == 0, "the zombie wrote a ticket after its halls moved"
    for code in codes:
        _check_hall(pg_url, broker.port, traffic[code])
    # Which of the two stopped the zombie first is a race: its fence (a write found its epoch stale)
    # or its keeper's round (the lease gone: unsubscribed before the write). Either way: not written.
    refused = _log(zombie).count("is stale")
    print(f"\nzombie: {len(probes)} probes sent while paused, {refused} writes refused by the fence")


def _log(server: HallqServer) -> str:
    return server.log_path.read_text(errors="replace")
