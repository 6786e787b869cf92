"""The HTTP app of a test hall: ``make_app`` (the core's ``create_app``, which includes the window's
routes, with a given ``Desk``) and ``serve`` (uvicorn on a free loopback port, in a test thread)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI

from harness.factories import HallFixture
from queue_server.api import create_app
from queue_server.services.ports import Announcer
from tests.conftest import free_port


def make_app(hall: HallFixture, announcers: tuple[Announcer, ...] = ()) -> FastAPI:
    return create_app(hall.settings, hall.services, announcers)


@dataclass
class RunningServer:
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.app.state.services.hub.close()  # open event streams would hold the shutdown up
        self.server.should_exit = True
        self.thread.join(10)
        assert not self.thread.is_alive(), "uvicorn did not stop"


def serve(app: FastAPI, port: int | None = None) -> RunningServer:
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return RunningServer(app, server, thread, port)
