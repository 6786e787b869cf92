"""The real queue server (services + MQTT bridge on a SQLite file) for kiosk end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func
from sqlmodel import Session, select

from harness.factories import HallFixture, build_hall
from queue_server.protocol.client import BrokerAddress
from queue_server.protocol.messages import TicketIssueArgs, TicketResult
from queue_server.services.ports import HallServices, IssueDone
from queue_server.store import tables as t
from tests.mqtt.conftest import Served, start_bridge


class IssueHook:
    """The real services, with a hook run after a ticket is issued and before the bridge replies."""

    def __init__(self, real: Any, after_issue: Callable[[TicketResult], None]) -> None:
        self._real = real
        self._after_issue = after_issue

    def issue_ticket(
        self, hall: str, args: TicketIssueArgs, *, request_id: str, device_id: str | None
    ) -> TicketResult:
        ticket: TicketResult = self._real.issue_ticket(hall, args, request_id=request_id, device_id=device_id)
        self._after_issue(ticket)
        return ticket

    def issue_ticket_async(
        self, hall: str, args: TicketIssueArgs, done: IssueDone, *, request_id: str, device_id: str | None
    ) -> None:
        def hooked(ticket: TicketResult | None, exc: BaseException | None) -> None:
            if ticket is not None:
                self._after_issue(ticket)
            done(ticket, exc)

        self._real.issue_ticket_async(hall, args, hooked, request_id=request_id, device_id=device_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def ticket_count(hall: HallFixture) -> int:
    with Session(hall.engine) as session:
        return int(session.exec(select(func.count()).select_from(t.Ticket)).one())


@contextmanager
def real_server(
    address: BrokerAddress,
    hall_code: str,
    db_dir: Path,
    after_issue: Callable[[TicketResult], None] | None = None,
    hall_fields: dict[str, Any] | None = None,
) -> Iterator[tuple[HallFixture, Served]]:
    """``hall_fields``: Hall columns of the small hall to set (address, phone …)."""
    hall = build_hall(f"sqlite:///{db_dir / 'hall.db'}", code=hall_code, **(hall_fields or {}))
    services: Any = hall.services if after_issue is None else IssueHook(hall.services, after_issue)
    served = start_bridge(
        address, cast(HallServices, services), hall_code, attach=hall.services.add_announcer
    )
    try:
        yield hall, served
    finally:
        served.bridge.stop()
        hall.close()
