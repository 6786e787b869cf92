"""``api``: the HTTP API of a hall of its own (tests/hall_fixtures.py) behind a TestClient."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 fork for its TestClient and warns at import when it finds plain
    # httpx (what the project installs); the client works the same. Installing httpx2 ends this.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from harness.factories import PASSWORD, HallFixture
from queue_server.api import create_app


@dataclass
class Api:
    client: TestClient
    hall: HallFixture

    @property
    def base(self) -> str:
        return f"/api/halls/{self.hall.code}"

    def token(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        reply = self.client.post(
            "/api/auth/token", json={"hall": self.hall.code, "login": login, "password": password}
        )
        assert reply.status_code == 200, reply.text
        self.client.cookies.clear()  # tests say which identity they use, explicitly
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}


@pytest.fixture
def api(hall: HallFixture) -> Iterator[Api]:
    with TestClient(create_app(hall.settings, hall.services)) as client:
        yield Api(client, hall)
