"""The demo hall loaded from its hall file (the administrators' pages edit a hall that a hall file
made), its services on a fake clock, and its HTTP API behind a TestClient."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
from sqlalchemy import Engine

from harness.factories import PASSWORD, FakeClock, RecordingAnnouncer, make_settings
from queue_server.api import create_app
from queue_server.halls import DEMO_HALL_PATH, read_hall_file
from queue_server.halls.loader import load_hall
from queue_server.halls.passwords import DEMO_PASSWORD_ENV
from queue_server.protocol.messages import TicketIssueArgs, TicketResult
from queue_server.services import Services
from queue_server.store import init_db

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

HALL = "demo"


@dataclass
class DemoApi:
    client: TestClient
    services: Services
    engine: Engine
    clock: FakeClock
    announcer: RecordingAnnouncer
    _ids: count[int]

    base = f"/api/halls/{HALL}/admin"

    def token(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        reply = self.client.post("/api/auth/token", json={"hall": HALL, "login": login, "password": password})
        assert reply.status_code == 200, reply.text
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    def issue(self, service: str, device: str = "demo-kiosk-1") -> TicketResult:
        args = TicketIssueArgs(service=service)
        return self.services.issue_ticket(HALL, args, request_id=f"t-{next(self._ids)}", device_id=device)

    def section(self, name: str, headers: dict[str, str]) -> Any:
        """The section's view: ``data``, ``etag``, ``warnings``."""
        reply = self.client.get(f"{self.base}/sections/{name}", headers=headers)
        assert reply.status_code == 200, reply.text
        return reply.json()


@pytest.fixture
def demo_api(db_url: str) -> Iterator[DemoApi]:
    engine = init_db(db_url)
    load_hall(engine, read_hall_file(DEMO_HALL_PATH), environ={DEMO_PASSWORD_ENV: PASSWORD})
    clock = FakeClock()  # a Wednesday, 10:00 in the hall: open
    announcer = RecordingAnnouncer()  # what displays are told
    services = Services(engine, make_settings(hall=HALL), clock, announcers=[announcer])
    try:
        with TestClient(create_app(services.settings, services)) as client:
            yield DemoApi(client, services, engine, clock, announcer, count())
    finally:
        services.runner.wait_idle(10)
        engine.dispose()
