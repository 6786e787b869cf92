"""The issue benchmarks: 10 kiosks sending ``ticket.issue`` over MQTT, closed loop and open loop.

- closed loop (``issue_closed``): each kiosk sends, waits for its reply, sends the next, as fast as the
  server answers: the saturation throughput ``issue_per_s`` and ``issue_p50_ms``/``issue_p99_ms``
  (publish to reply). By Little's law its mean latency is 10 / throughput (20 ms at 500/s).
- open loop (``issue_offered``): the kiosks together OFFER a fixed rate on a schedule, whatever the
  replies do; latency from the moment each request was due (``issue_at_{rate}_*``).
"""

from __future__ import annotations

import time

from benchmarks.bench_hall import SERVICE
from benchmarks.figures import Figures, ms
from benchmarks.kiosk_fleet import Kiosks, Reply
from queue_server.protocol.messages import Response

REPLY_TIMEOUT_S = 10.0
ISSUE_ARGS = {"service": SERVICE}
# Rates the kiosks offer together in the open-loop runs (tickets/s); 500 is the hall's target.
OFFERED_RATES = (250, 500)


def _checked(reply: Reply, expected: str | None) -> Response:
    """The reply's response if it answers ``expected`` and was not refused."""
    response = reply.response
    if response.id != expected:
        raise RuntimeError(f"bench-kiosk-{reply.kiosk}: reply {response.id!r}, expected {expected!r}")
    if not response.ok:
        raise RuntimeError(f"ticket.issue refused: {response.error}")
    return response


def closed_loop(kiosks: Kiosks, per_kiosk: int) -> tuple[list[float], float]:
    """Every kiosk sends, waits for its reply, sends the next, ``per_kiosk`` times: (latencies, wall s)."""
    latencies: list[float] = []
    left = [per_kiosk] * kiosks.count
    waiting: dict[int, tuple[str, float]] = {}  # kiosk -> (its request id, sent at)

    def send(i: int) -> None:
        left[i] -= 1
        sent = time.perf_counter()
        waiting[i] = (kiosks.send(i, "ticket.issue", ISSUE_ARGS), sent)

    t0 = time.perf_counter()
    for i in range(kiosks.count):
        if left[i]:
            send(i)
    while waiting:
        oldest = min(sent for _rid, sent in waiting.values())
        timeout = oldest + REPLY_TIMEOUT_S - time.perf_counter()
        if timeout <= 0:
            raise TimeoutError(f"ticket.issue: no reply in {REPLY_TIMEOUT_S} s")
        for reply in kiosks.replies(timeout):
            rid, sent = waiting.pop(reply.kiosk, (None, 0.0))
            _checked(reply, rid)
            latencies.append(reply.at - sent)
            if left[reply.kiosk]:
                send(reply.kiosk)
    return latencies, time.perf_counter() - t0


def issue_closed(kiosks: Kiosks, warmup_per_kiosk: int, per_kiosk: int) -> Figures:
    """Closed loop: each kiosk sends ``ticket.issue`` as soon as its previous one is answered."""
    closed_loop(kiosks, warmup_per_kiosk)  # all kiosks warm before the clock starts
    # This process: process_time() counts all its threads, to the nanosecond.
    cpu_driver, cpu_kiosks = time.process_time(), kiosks.cpu_seconds()
    flat, wall = closed_loop(kiosks, per_kiosk)
    cpu_driver, cpu_kiosks = time.process_time() - cpu_driver, kiosks.cpu_seconds() - cpu_kiosks
    return {
        "issue_per_s": round(len(flat) / wall, 1),
        "issue_p50_ms": ms(flat, 0.5),
        "issue_p99_ms": ms(flat, 0.99),
        "issue_count": len(flat),
        "issue_clients": kiosks.count,
        # What the load generator itself costs (CPU the server could not use on a small machine).
        "issue_driver_cpu_ms_per_ticket": round(cpu_driver * 1000 / len(flat), 3),
        "issue_kiosks_cpu_ms_per_ticket": round(cpu_kiosks * 1000 / len(flat), 3),
    }


def issue_offered(kiosks: Kiosks, offered_s: float, rate: int) -> Figures:
    """The 10 kiosks together OFFER ``rate`` tickets/s (open loop), whatever the replies do.

    Each kiosk sends on its own fixed schedule (every ``KIOSKS / rate`` s, the kiosks staggered), and a
    request's latency runs from the moment it was DUE, not from when it was sent: a server that falls
    behind cannot hide it by slowing the senders down (no coordinated omission), and neither can the
    driver if it sends late. This is the figure a latency target at a given rate means; the closed
    loop of ``_issue`` cannot have a p99 below ``KIOSKS / rate`` (Little's law: at 500/s its 10 kiosks
    wait 20 ms on average).
    """
    closed_loop(kiosks, 1)  # every connection up and warm (not timed)
    total = max(1, round(offered_s * rate / kiosks.count)) * kiosks.count
    # Request j is kiosk j % count's, due at start + j / rate: each kiosk every count / rate s,
    # kiosk i offset by i / rate.
    start = time.perf_counter() + 0.1
    pending: dict[str, tuple[int, float]] = {}  # request id -> (kiosk, due), oldest first
    latencies: list[float] = []
    refused: list[str] = []
    sent = 0
    last = start
    while sent < total or pending:
        now = time.perf_counter()
        while sent < total and (due := start + sent / rate) <= now:
            kiosk = sent % kiosks.count
            pending[kiosks.send(kiosk, "ticket.issue", ISSUE_ARGS)] = (kiosk, due)
            sent += 1
        timeout = start + sent / rate - now if sent < total else REPLY_TIMEOUT_S
        if pending:
            oldest_due = next(iter(pending.values()))[1]
            if now - oldest_due > REPLY_TIMEOUT_S:
                raise TimeoutError(f"offered {rate}/s: replies missing")
            timeout = min(timeout, oldest_due + REPLY_TIMEOUT_S - now)
        for reply in kiosks.replies(timeout):
            kiosk, due = pending.pop(reply.response.id, (-1, 0.0))
            if kiosk != reply.kiosk:
                raise RuntimeError(f"bench-kiosk-{reply.kiosk}: unexpected reply {reply.response.id!r}")
            if not reply.response.ok:
                refused.append(str(reply.response.error))
            latencies.append(reply.at - due)
            last = reply.at
    if refused:
        raise RuntimeError(f"offered {rate}/s: {len(refused)} refused, e.g. {refused[0]}")
    return {
        f"issue_at_{rate}_per_s": round(len(latencies) / (last - start), 1),
        f"issue_at_{rate}_p50_ms": ms(latencies, 0.5),
        f"issue_at_{rate}_p99_ms": ms(latencies, 0.99),
    }
