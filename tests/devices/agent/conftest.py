"""Fixtures for the window agent: simulated devices on ptys, the stand-in server, agents to start."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.agent import AgentConfig, SimulatedWindow, WindowAgent
from devices.agent.config import AgentOptions
from harness.waiting import eventually, scaled
from queue_server.protocol import topics
from queue_server.protocol.client import BrokerAddress, MqttLink, Received
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import DeviceStatus
from tests.conftest import MosquittoBroker

from .responder import WAIT, WindowResponder

AGENT_ID = "agent-1"

AgentFactory = Callable[..., WindowAgent]
ResponderFactory = Callable[..., WindowResponder]


def agent_config(
    address: BrokerAddress,
    hall: str,
    data_dir: Path,
    sims: SimulatedWindow,
    *,
    device_id: str = AGENT_ID,
    window: str = "1",
    **options: Any,
) -> AgentConfig:
    base = AgentConfig.model_validate(
        {
            "device": {"hall": hall, "id": device_id, "window": window},
            "broker": {"host": address.host, "port": address.port},
        }
    )
    # Tests resend sooner than a hall would, and press keys faster than a person can: no debounce
    # windows, so no test depends on how long it waits between presses. The logic is the same.
    options = {
        "request_timeout_s": 2.0,
        "keypad_debounce_s": 0.0,
        "pad_debounce_s": 0.0,
        "pad_prompt_guard_s": 0.0,
        **options,
    }
    agent = AgentOptions(data_dir=data_dir, **options)
    return sims.bind(base.model_copy(update={"agent": agent}))


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[SimulatedWindow]:
    with SimulatedWindow(tmp_path / "dev") as window:
        yield window


@pytest.fixture
def responders(broker: MosquittoBroker, hall_code: str) -> Iterator[ResponderFactory]:
    made: list[WindowResponder] = []

    def make(address: BrokerAddress | None = None, **kwargs: Any) -> WindowResponder:
        r = WindowResponder(address or broker.address, hall_code, **kwargs).start()
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


@pytest.fixture
def agents(
    broker: MosquittoBroker, hall_code: str, tmp_path: Path, sims: SimulatedWindow
) -> Iterator[AgentFactory]:
    """Start an agent bound to ``sims``; every agent is stopped at the end (stopping twice is fine)."""
    started: list[WindowAgent] = []

    def make(
        address: BrokerAddress | None = None,
        *,
        clock: Callable[[], float] = time.time,
        data_dir: Path | None = None,
        **options: Any,
    ) -> WindowAgent:
        config = agent_config(
            address or broker.address, hall_code, data_dir or tmp_path / "agent", sims, **options
        )
        agent = WindowAgent(config, clock=clock)
        agent.start()
        started.append(agent)
        return agent

    yield make
    for agent in reversed(started):
        agent.stop()


class StatusWatch:
    """Records the agent's status messages, as the server's bridge sees them."""

    def __init__(self, address: BrokerAddress, hall: str, device_id: str = AGENT_ID) -> None:
        self.link = MqttLink(f"watch-{hall}", address)
        self.seen: list[DeviceStatus] = []
        self._lock = threading.Lock()
        self.link.subscribe(topics.dev_status(hall, device_id), self._on)
        self.link.start()
        assert self.link.wait_connected(scaled(WAIT))
        assert self.link.wait_subscribed(scaled(WAIT))

    def _on(self, msg: Received) -> None:
        with self._lock:
            self.seen.append(decode(DeviceStatus, msg.payload))

    def mark(self) -> int:
        """A place in the stream: ``wait(..., after=mark)`` looks only at statuses published since."""
        with self._lock:
            return len(self.seen)

    def wait(
        self, probe: Callable[[DeviceStatus], bool], *, after: int = 0, timeout: float = WAIT
    ) -> DeviceStatus:
        """The newest status ``probe`` accepts, waiting for one to arrive."""

        def accepted() -> list[DeviceStatus]:
            with self._lock:
                return [s for s in self.seen[after:] if probe(s)]

        try:
            return eventually(accepted, timeout, what="such a status")[-1]
        except AssertionError:
            with self._lock:
                raise AssertionError(f"no such status among {self.seen[after:]}") from None

    def close(self) -> None:
        self.link.stop()


@pytest.fixture
def status_watch(broker: MosquittoBroker, hall_code: str) -> Iterator[StatusWatch]:
    watch = StatusWatch(broker.address, hall_code)
    yield watch
    watch.close()
