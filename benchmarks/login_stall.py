"""Does a burst of wrong passwords slow the hall? An HTTP ticket issue, alone and while ten clients
keep sending wrong sign-ins (issue 11, item 4: 13 ms became 458 ms when scrypt ran on the writer).

    .venv/bin/python -m benchmarks.login_stall [--quick]

Prints one JSON object: ``ticket_ms_alone`` and ``ticket_ms_during_wrong_logins`` (medians of HTTP
``POST /api/halls/{hall}/tickets`` on SQLite, uvicorn on loopback), ``wrong_logins`` (how many were
answered meanwhile). Each wrong sign-in names a login of its own (an unknown login hashes a dummy, as
a wrong password does) and the per-address limit is lifted, so every one costs a full scrypt check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from benchmarks.figures import Figures
from harness.factories import PASSWORD, build_hall, make_settings
from queue_server.api import create_app
from queue_server.services import Services

PARALLEL = 10


def measure(samples: int) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        hall = build_hall(f"sqlite:///{Path(tmp) / 'bench.db'}", code="bench")
        settings = make_settings(hall="bench", login_failures_per_address=10**9)
        services = Services(hall.engine, settings, hall.clock)
        config = uvicorn.Config(create_app(settings, services), host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            return _run(f"http://127.0.0.1:{port}", samples)
        finally:
            server.should_exit = True
            thread.join(10)
            services.runner.wait_idle(10)
            hall.close()


def _run(base: str, samples: int) -> Figures:
    with httpx.Client(base_url=base, timeout=30) as client:
        signed = client.post(
            "/api/auth/token", json={"hall": "bench", "login": "manager", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {signed.raise_for_status().json()['access_token']}"}

        def issue_ms() -> float:
            t0 = time.perf_counter()
            client.post("/api/halls/bench/tickets", json={"service": "A"}, headers=auth).raise_for_status()
            return (time.perf_counter() - t0) * 1000

        issue_ms()  # warm
        alone = [issue_ms() for _ in range(samples)]
        stop = threading.Event()
        answered = [0] * PARALLEL

        def wrong(n: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as own:
                while not stop.is_set():
                    body = {"hall": "bench", "login": f"guess-{n}-{answered[n]}", "password": "wrong"}
                    own.post("/api/auth/token", json=body)
                    answered[n] += 1

        threads = [threading.Thread(target=wrong, args=(n,)) for n in range(PARALLEL)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # the burst under way
        during = [issue_ms() for _ in range(samples)]
        stop.set()
        for t in threads:
            t.join(30)
    return {
        "ticket_ms_alone": round(statistics.median(alone), 1),
        "ticket_ms_during_wrong_logins": round(statistics.median(during), 1),
        "wrong_logins": sum(answered),
        "parallel_wrong_logins": PARALLEL,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(measure(10 if args.quick else 40), indent=2))


if __name__ == "__main__":
    main()
