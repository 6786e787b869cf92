"""Materials benchmark: a 300 KB page from the kiosk's document camera uploaded over HTTP on loopback.

Set-up, all real: a fresh database (SQLite file or a new PostgreSQL database), the bench hall
(benchmarks/bench_hall.py), a private Mosquitto and a ``hallq server`` PROCESS as deployed
(benchmarks/deployed.py). Tickets for a matter with materials (``scjg-001``) are issued in this
process on the same database; each page is a valid JPEG padded to 300 KB with comment segments (the
size the issue names), sent as the kiosk sends it (``POST /api/materials/{token}``, one keep-alive
connection, its own ``Idempotency-Key``), one after another. A ticket takes at most 60 pages, so the
pages spread over several tickets.

Figures: ``material_upload_p50_ms`` / ``_p99_ms`` (target p99 ≤ 200), ``material_upload_count``,
``material_upload_bytes``. Rerun alone: ``hallq bench --json --only materials [--quick] [--db …]``.
"""

from __future__ import annotations

import contextlib
import http.client
import struct
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks.bench_hall import HALL, prepare, settings, wait_for_opening_hours
from benchmarks.deployed import hallq_server
from benchmarks.figures import Figures, ms
from devices.camera import process, sample_page
from harness.broker import running_mosquitto
from harness.postgres import empty_database
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services import Services
from queue_server.store import make_engine

PAGE_BYTES = 300 * 1024
MATTER = "scjg-001"  # 个体工商户设立登记: service B, materials in the demo hall file
PAGES_PER_MATERIAL = 20  # the server's limit per material
QUICK_SAMPLES, FULL_SAMPLES = 40, 400
WARMUP = 5


def padded_jpeg(size: int = PAGE_BYTES) -> bytes:
    """A real page (de-skewed, encoded) grown to ``size`` bytes with JPEG comment segments (FF FE)."""
    page = process(sample_page(1), 600_000).jpeg
    body = bytearray(page[:2])  # SOI
    room = size - len(page)
    while room > 4:
        chunk = min(room - 4, 65_533)
        body += b"\xff\xfe" + struct.pack(">H", chunk + 2) + b"\x20" * chunk
        room -= chunk + 4
    body += page[2:]
    return bytes(body)


def run(quick: bool, db: str) -> Figures:
    samples = QUICK_SAMPLES if quick else FULL_SAMPLES
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hallq-bench-mat-")))
        url = stack.enter_context(empty_database(db, workdir))
        wait_for_opening_hours()
        prepare(url, 0)
        targets = _targets(url, samples + WARMUP)
        page = padded_jpeg()
        with (
            running_mosquitto(workdir / "broker") as broker,
            hallq_server(url, broker.port, HALL, workdir) as server,
        ):
            times = _upload_all(server.http_port, targets, page)
    measured = times[WARMUP:]
    return {
        "material_upload_p50_ms": ms(measured, 0.5),
        "material_upload_p99_ms": ms(measured, 0.99),
        "material_upload_count": len(measured),
        "material_upload_bytes": len(page),
    }


def _targets(url: str, count: int) -> list[tuple[str, str, int]]:
    """(token, material, page) for ``count`` uploads, spread over as many tickets as they need."""
    engine = make_engine(url)
    services = Services(engine, settings(url, HALL))
    targets: list[tuple[str, str, int]] = []
    try:
        while len(targets) < count:
            args = TicketIssueArgs(service="B", matter=MATTER)
            ticket = services.issue_ticket(HALL, args, request_id=uuid.uuid4().hex, device_id=None)
            token = ticket.citizen_url.rsplit("/t/", 1)[1]
            codes = [m.code for m in ticket.materials]
            per_ticket = min(60, len(codes) * PAGES_PER_MATERIAL)
            for i in range(per_ticket):
                targets.append((token, codes[i % len(codes)], 1 + i // len(codes)))
        services.runner.wait_idle(10)
    finally:
        engine.dispose()
    return targets[:count]


def _upload_all(port: int, targets: list[tuple[str, str, int]], page: bytes) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    times = []
    try:
        for token, material, number in targets:
            path = f"/api/materials/{token}?material={material}&page={number}"
            headers = {"Content-Type": "image/jpeg", "Idempotency-Key": uuid.uuid4().hex}
            t0 = time.perf_counter()
            connection.request("POST", path, body=page, headers=headers)
            reply = connection.getresponse()
            reply.read()
            times.append(time.perf_counter() - t0)
            if reply.status != 200:
                raise RuntimeError(f"upload refused: HTTP {reply.status}")
    finally:
        connection.close()
    return times
