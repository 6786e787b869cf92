"""Ratings exactly once across a server restart: the real ``hallq server`` process, Mosquitto, the agent.

The server is frozen (SIGSTOP) while the citizen rates, so the rating reaches the broker, which
acknowledges it, and then the server's socket, which nobody reads; then the server is killed and
started again. An agent that dropped the rating at the broker's PUBACK lost it there; an agent that
keeps it until the server's reply (``rating.submit``) sends it again, and the server records it once.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from devices.agent import SimulatedWindow
from devices.keypad import Key
from harness.factories import FakeClock, build_hall
from harness.processes import HallqServer, ServerConfig
from harness.waiting import eventually
from queue_server.store import make_engine
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device

from .conftest import AgentFactory

IDLE = "1号窗口 欢迎您"


@pytest.fixture
def server(broker: MosquittoBroker, hall_code: str, tmp_path: Path) -> Iterator[HallqServer]:
    """The factories' small hall in a SQLite file (agent-1 bound to window 1, zhang signed in there),
    served by a ``hallq server`` process configured as the systemd unit configures it."""
    url = f"sqlite:///{tmp_path / 'hall.db'}"
    hall = build_hall(url, code=hall_code, clock=FakeClock(datetime.now(UTC)))
    hall.open_window("1", "zhang")
    hall.close()
    process = HallqServer(ServerConfig(url, broker.address.port, hall_code, tmp_path))
    process.start()
    yield process
    process.stop()


def _issue(broker: MosquittoBroker, hall: str, count: int) -> list[tuple[str, str]]:
    kiosk = Device(broker.address, hall, "kiosk-1")
    try:
        replies = [kiosk.ask("ticket.issue", {"service": "A"}) for _ in range(count)]
    finally:
        kiosk.close()
    assert all(r["ok"] for r in replies), replies
    return [(r["result"]["number"], r["result"]["ticket_id"]) for r in replies]


def _ratings(url: str, hall: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(t.Ticket.public_id, t.Rating.score)
                .join(t.Rating, col(t.Rating.ticket_id) == col(t.Ticket.id))
                .join(t.Hall, col(t.Hall.id) == col(t.Ticket.hall_id))
                .where(t.Hall.code == hall)
            ).all()
            total = session.exec(select(func.count()).select_from(t.Rating)).one()
    finally:
        engine.dispose()
    assert total == len(rows)
    return dict(rows)


def _serve(sims: SimulatedWindow, number: str, ticket_id: str) -> None:
    sims.keypad.press(Key.NEXT)
    sims.sign.wait_for(lambda: sims.sign.text == f"请{number}号到1号窗口办理", timeout=20)
    sims.keypad.press(Key.START)
    sims.sign.wait_for(lambda: sims.sign.text == f"1号窗口 正在办理{number}号", timeout=20)
    sims.keypad.press(Key.FINISH)
    sims.pad.wait_for(lambda: sims.pad.prompted == ticket_id and sims.pad.lights_on, timeout=20)


def test_a_rating_made_while_the_server_restarts_is_recorded_once(
    broker: MosquittoBroker, hall_code: str, server: HallqServer, sims: SimulatedWindow, agents: AgentFactory
) -> None:
    url = server.config.database_url
    visits = _issue(broker, hall_code, 3)
    agent = agents()
    sims.sign.wait_for(lambda: sims.sign.text == IDLE, timeout=20)

    # Before the restart: rated and answered.
    _serve(sims, *visits[0])
    sims.pad.press(5)
    eventually(lambda: _ratings(url, hall_code).get(visits[0][1]), 20, what="the first rating")

    # The server freezes with the second visit finished; the citizen rates; the broker has the rating
    # and the frozen server's socket holds it; then the process dies and a new one starts.
    _serve(sims, *visits[1])
    assert agent.wait_sent(20)
    os.kill(server.pid, signal.SIGSTOP)
    sims.pad.press(2)
    eventually(
        lambda: [e.attempts > 0 for e in agent.outbox.entries()] == [True] or len(agent.outbox) == 0,
        20,
        what="the rating sent to the broker",
    )
    os.kill(server.pid, signal.SIGKILL)
    server.stop()
    server.start()

    # After the restart: the third visit, its rating, and the second one's, each once.
    _serve(sims, *visits[2])
    sims.pad.press(4)
    expected = {visits[0][1]: 5, visits[1][1]: 2, visits[2][1]: 4}
    eventually(lambda: _ratings(url, hall_code) == expected, 20, what="one rating per visit")
    assert agent.wait_sent(20)
    assert _ratings(url, hall_code) == expected
