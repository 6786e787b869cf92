"""The window agent against the real queue server: services on SQLite, the MQTT bridge, Mosquitto.

A kiosk-like device takes tickets with a raw ``ticket.issue``; the staff member works the window
with the keypad on a pty; the citizen rates on the pad; the rating ends up in the database, tied to
the visit. Then the same through a broker outage and an agent restart: one call, one rating.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from devices.agent import SimulatedWindow, WindowAgent
from devices.keypad import Key
from harness.factories import HallFixture, build_hall
from harness.waiting import eventually
from queue_server.protocol.client import BrokerAddress
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Served, start_bridge

from .conftest import AGENT_ID, AgentFactory

IDLE = "1号窗口 欢迎您"


@pytest.fixture
def hall(shared_sqlite_url: str, hall_code: str) -> Iterator[HallFixture]:
    """The factories' small hall, on SQLite alone (this is about the agent, not the database);
    agent-1 is bound to window 1 there (services A and C)."""
    fixture = build_hall(shared_sqlite_url, code=hall_code, migrate=False)
    yield fixture
    fixture.close()


def serve(address: BrokerAddress, hall: HallFixture) -> Served:
    return start_bridge(address, hall.services, hall.code, attach=hall.services.add_announcer)


def issue(address: BrokerAddress, hall: HallFixture, count: int = 1) -> list[tuple[str, str]]:
    """Tickets for service A taken at a kiosk, the way a kiosk asks: (number, ticket id)."""
    kiosk = Device(address, hall.code, "kiosk-1")
    try:
        tickets = []
        for _ in range(count):
            reply = kiosk.ask("ticket.issue", {"service": "A"})
            assert reply["ok"] is True, reply
            tickets.append((reply["result"]["number"], reply["result"]["ticket_id"]))
        return tickets
    finally:
        kiosk.close()


def rating_of(hall: HallFixture, ticket_id: str) -> t.Rating | None:
    with Session(hall.engine) as session:
        return session.exec(
            select(t.Rating)
            .join(t.Ticket, col(t.Rating.ticket_id) == col(t.Ticket.id))
            .where(t.Ticket.public_id == ticket_id)
        ).first()


def count(hall: HallFixture, table: type[t.Call] | type[t.Rating], **where: str) -> int:
    with Session(hall.engine) as session:
        stmt = select(func.count()).select_from(table).where(table.hall_id == hall.hall_id)
        for column, value in where.items():
            stmt = stmt.where(getattr(table, column) == value)
        return int(session.exec(stmt).one())


def work_a_visit(sims: SimulatedWindow, number: str, ticket_id: str) -> None:
    """Keypad: next, start, finish; wait until the pad asks for this visit's rating."""
    sims.keypad.press(Key.NEXT)
    sims.sign.wait_for(lambda: sims.sign.text == f"请{number}号到1号窗口办理")
    sims.keypad.press(Key.START)
    sims.sign.wait_for(lambda: sims.sign.text == f"1号窗口 正在办理{number}号")
    sims.keypad.press(Key.FINISH)
    sims.pad.wait_for(lambda: sims.pad.prompted == ticket_id and sims.pad.lights_on)
    sims.sign.wait_for(lambda: sims.sign.text == IDLE)


def test_keypad_to_rating_against_the_real_server(
    broker: MosquittoBroker, hall: HallFixture, sims: SimulatedWindow, agents: AgentFactory
) -> None:
    # Opened before the bridge starts: its first retained window state is then already "idle" (the
    # factories' clock stands still, so a state published during the bridge's start-up republish
    # could not be ordered against it by time).
    hall.open_window("1", "zhang")
    served = serve(broker.address, hall)
    try:
        ((number, ticket_id),) = issue(broker.address, hall)
        assert number == "A001"
        agent = agents()
        sims.sign.wait_for(lambda: sims.sign.text == IDLE)

        # A cable pulled and put back before the day starts: the keys still work.
        sims.keypad.unplug()
        eventually(
            lambda: agent.keypad is not None and not agent.keypad.connected, what="the keypad unplugged"
        )
        sims.keypad.plug()
        # A press before the port is open again is lost, as with a real cable (opening flushes input).
        eventually(
            lambda: agent.keypad is not None and agent.keypad.connected, what="the keypad plugged in again"
        )
        work_a_visit(sims, number, ticket_id)

        sims.pad.press(5)
        rating = eventually(lambda: rating_of(hall, ticket_id), what="the rating in the database")
        assert rating is not None
        assert (rating.score, rating.bad, rating.device_id) == (5, False, AGENT_ID)
        assert rating.event_id is not None and rating.event_id.startswith(f"{AGENT_ID}-{agent.boot}-")
        assert agent.wait_sent()
        assert count(hall, t.Call, public_id=ticket_id) == 1
        with Session(hall.engine) as session:
            ticket = session.exec(select(t.Ticket).where(t.Ticket.public_id == ticket_id)).one()
            assert ticket.state == "done"
    finally:
        served.bridge.stop()


def test_an_outage_and_a_restart_make_one_call_and_one_rating(
    fresh_broker: MosquittoBroker,
    hall: HallFixture,
    sims: SimulatedWindow,
    agents: AgentFactory,
    tmp_path: Path,
) -> None:
    address = fresh_broker.address
    hall.open_window("1", "zhang")
    served = serve(address, hall)
    try:
        (first, first_id), (second, second_id), (third, third_id) = issue(address, hall, 3)
        agent = agents(address)
        sims.sign.wait_for(lambda: sims.sign.text == IDLE)
        work_a_visit(sims, first, first_id)
        assert agent.wait_sent()  # the finish's reply is in, not only the state that prompted the pad

        # The broker goes down; the citizen rates and the staff member calls the next one.
        fresh_broker.stop()
        eventually(lambda: not agent.device.link.connected, what="the agent off the broker")
        sims.pad.press(5)
        eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
        sims.keypad.press(Key.NEXT)
        eventually(lambda: len(agent.outbox) == 2, what="2 requests kept in the outbox")
        fresh_broker.start()

        sims.sign.wait_for(lambda: sims.sign.text == f"请{second}号到1号窗口办理", timeout=20)
        eventually(lambda: rating_of(hall, first_id) is not None, 10, what="the rating in the database")
        assert agent.wait_sent()
        assert count(hall, t.Rating) == 1
        assert count(hall, t.Call, public_id=second_id) == 1

        # Serve the second one; then the broker goes down again and the agent's machine restarts
        # with a "next" still on disk.
        sims.keypad.press(Key.START)
        sims.keypad.press(Key.FINISH)
        sims.pad.wait_for(lambda: sims.pad.prompted == second_id and sims.pad.lights_on)
        assert agent.wait_sent()  # the finish's reply is in: the outbox holds nothing of the past
        fresh_broker.stop()
        eventually(lambda: not agent.device.link.connected, what="the agent off the broker")
        sims.keypad.press(Key.NEXT)
        eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
        (pending,) = agent.outbox.entries()
        agent.stop()
        fresh_broker.start()
        again: WindowAgent = agents(address)

        sims.sign.wait_for(lambda: sims.sign.text == f"请{third}号到1号窗口办理", timeout=20)
        assert again.wait_sent()
        assert count(hall, t.Call, public_id=third_id) == 1
        with Session(hall.engine) as session:
            logged = session.exec(select(t.RequestLog).where(t.RequestLog.request_id == pending.id)).all()
        assert [entry.op for entry in logged] == ["window.next"]
        # The prompt left open for the second visit came back with the restart: one rating for it.
        sims.pad.wait_for(lambda: sims.pad.prompted == second_id and sims.pad.lights_on)
        sims.pad.press(4)
        eventually(lambda: rating_of(hall, second_id) is not None, what="the rating in the database")
        assert count(hall, t.Rating) == 2
    finally:
        served.bridge.stop()
