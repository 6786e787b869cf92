"""``web``: the small hall (SQLite) with its Desk and the HTTP app served by a real uvicorn on a free
loopback port; ``login(name)`` gives an httpx client signed in with the browser's cookie."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harness.factories import PASSWORD
from tests.services.helpers import DeskHall, make_desk_hall
from tests.web.server import RunningServer, make_app, serve


@dataclass
class Web:
    dh: DeskHall
    app: FastAPI
    server: RunningServer
    login: Callable[[str], httpx.Client]
    anonymous: Callable[[], httpx.Client]

    @property
    def code(self) -> str:
        return self.dh.code


@pytest.fixture
def web(tmp_path: Path, hall_code: str) -> Iterator[Web]:
    dh = make_desk_hall(f"sqlite:///{tmp_path / 'hallq.db'}", hall_code, migrate=True)
    app = make_app(dh.hall)
    server = serve(app)
    clients: list[httpx.Client] = []

    def anonymous() -> httpx.Client:
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        return client

    def login(name: str) -> httpx.Client:
        client = anonymous()
        response = client.post(
            "/api/auth/token", json={"hall": hall_code, "login": name, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return client

    yield Web(dh, app, server, login, anonymous)
    for client in clients:
        client.close()
    server.stop()
    dh.hall.close()
