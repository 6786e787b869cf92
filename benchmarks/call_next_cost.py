"""The cost of ``call_next`` in process, with many tickets waiting (``call_next_ms_{1,10,100}k``).

The use case alone (no announcers), through ``Services`` on the bench database with the server
stopped: that many tickets waiting for the window's service (bulk-inserted rows copied from a real
ticket), the median of several calls. ``call_next_announced_ms_*``: the same with an announcer
attached, which adds the hall-state rebuild the services do after every change.
``call_next_growth_{first}k_to_{last}k`` is the ratio of the largest to the smallest.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, select

from benchmarks.bench_hall import HALL_CALL_NEXT, SERVICE, STAFF, WINDOW, settings
from benchmarks.figures import Figures
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services import Services
from queue_server.services.ports import Actor, Role
from queue_server.store import make_engine
from queue_server.store.tables import Ticket

BULK_ROWS = 5_000  # rows per INSERT statement


class _NullAnnouncer:
    def call_made(self, hall: str, call: Any) -> None: ...

    def window_changed(self, hall: str, window: Any) -> None: ...

    def hall_changed(self, hall: str, state: Any) -> None: ...


def call_next_cost(url: str, waiting_counts: tuple[int, ...], samples: int) -> Figures:
    engine = make_engine(url)
    figures: Figures = {}
    try:
        hall_settings = settings(url, HALL_CALL_NEXT)
        plain = Services(engine, hall_settings)
        announced = Services(engine, hall_settings, announcers=[_NullAnnouncer()])
        actor = Actor(Role.STAFF, STAFF, WINDOW)
        template = plain.issue_ticket(
            HALL_CALL_NEXT, TicketIssueArgs(service=SERVICE), request_id=uuid.uuid4().hex, device_id=None
        )
        waiting = 1
        for target in waiting_counts:
            _bulk_waiting(engine, template.ticket_id, waiting, target)
            waiting = target
            for name, services in (("call_next_ms", plain), ("call_next_announced_ms", announced)):
                figures[f"{name}_{target // 1000}k"] = _time_call_next(services, actor, samples)
        first, last = waiting_counts[0], waiting_counts[-1]
        figures[f"call_next_growth_{first // 1000}k_to_{last // 1000}k"] = round(
            float(figures[f"call_next_ms_{last // 1000}k"])
            / float(figures[f"call_next_ms_{first // 1000}k"]),
            2,
        )
    finally:
        engine.dispose()
    return figures


def _time_call_next(services: Services, actor: Actor, samples: int) -> float:
    times = []
    for _ in range(samples + 2):
        t0 = time.perf_counter()
        services.call_next(HALL_CALL_NEXT, WINDOW, actor=actor, request_id=uuid.uuid4().hex)
        times.append(time.perf_counter() - t0)
        services.start(HALL_CALL_NEXT, WINDOW, actor=actor, request_id=uuid.uuid4().hex)
        services.finish(HALL_CALL_NEXT, WINDOW, None, actor=actor, request_id=uuid.uuid4().hex)
    return round(statistics.median(times[2:]) * 1000, 3)


def _bulk_waiting(engine: Engine, token: str, have: int, want: int) -> None:
    """Copy a real waiting ticket until ``want`` wait: rows as the issue use case writes them."""
    with Session(engine) as session, session.begin():
        model = session.exec(select(Ticket).where(Ticket.public_id == token)).one()
        row = model.model_dump()
        row.pop("id")
        base = model.queued_at
        rows: list[dict[str, Any]] = []
        for i in range(have, want):
            seq = 100_000 + i
            rows.append(
                row
                | {
                    "number": f"{SERVICE}{seq}",
                    "seq": seq,
                    "citizen_token": f"bench-{i}-{uuid.uuid4().hex[:8]}",
                    "public_id": uuid.uuid4().hex[:16],
                    "request_id": None,
                    # Older than the template, spread over the morning: realistic order keys.
                    "issued_at": base - timedelta(milliseconds=(want - i)),
                    "queued_at": base - timedelta(milliseconds=(want - i)),
                }
            )
            if len(rows) == BULK_ROWS:
                session.execute(insert(Ticket), rows)
                rows.clear()
        if rows:
            session.execute(insert(Ticket), rows)
