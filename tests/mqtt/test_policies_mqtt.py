"""The hall's policies on the kiosk's and the window agent's path: a real bridge over a real
Mosquitto in front of the real services (SQLite and PostgreSQL). The elderly age and the priority
classes granted at ``ticket.issue``, lunch-time duty at ``window.next``, and 充分授权 at a keypad's
``window.finish`` (the agent finishes for the person signed in at its window)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime

import pytest

from harness.factories import SHANGHAI, HallFixture
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Served, start_bridge

WEEK = {str(d): [["09:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
DELEGATIONS = [{"role": "staff", "case_types": ["immediate", "supplement"], "decisions": ["immediate"]}]


@pytest.fixture
def policed(make_hall: Callable[..., HallFixture]) -> HallFixture:
    return make_hall(
        schedule=WEEK,
        priority_age=65,
        priority_classes=["elderly", "military"],
        lunch_windows=["4"],
        lunch_services=["A"],
        delegations=DELEGATIONS,
    )


@pytest.fixture
def real(broker: MosquittoBroker, policed: HallFixture) -> Iterator[Served]:
    s = start_bridge(broker.address, policed.services, policed.code, attach=policed.services.add_announcer)
    yield s
    s.bridge.stop()


@pytest.fixture
def device(broker: MosquittoBroker, policed: HallFixture) -> Iterator[Callable[[str], Device]]:
    made: list[Device] = []

    def make(device_id: str) -> Device:
        made.append(Device(broker.address, policed.code, device_id))
        return made[-1]

    yield make
    for d in made:
        d.close()


def test_the_kiosk_gets_the_halls_age_and_classes(real: Served, device: Callable[[str], Device]) -> None:
    kiosk = device("kiosk-1")
    aged_62 = {"service": "A", "birth_date": date(1962, 6, 1).isoformat()}
    assert kiosk.ask("ticket.issue", aged_62)["result"]["priority"] is None  # the hall's age: 65
    aged_70 = {"service": "A", "birth_date": date(1954, 6, 1).isoformat()}
    assert kiosk.ask("ticket.issue", aged_70)["result"]["priority"] == "elderly"
    refused = kiosk.ask("ticket.issue", {"service": "A", "priority": "pregnant"})
    assert (refused["ok"], refused["error"]["code"]) == (False, "bad_request")
    assert refused["error"]["message"] == "本厅未设孕妇优先。"
    assert (
        kiosk.ask("ticket.issue", {"service": "A", "priority": "military"})["result"]["priority"]
        == "military"
    )


def test_the_agent_calls_in_the_lunch_break_only_at_a_duty_window(
    real: Served, policed: HallFixture, device: Callable[[str], Device]
) -> None:
    kiosk, agent = device("kiosk-1"), device("agent-1")  # agent-1: window 1, not on lunch duty
    kiosk.ask("ticket.issue", {"service": "A"})
    policed.open_window("1", "zhang")
    policed.clock.set(datetime(2025, 3, 12, 12, 15, tzinfo=SHANGHAI))
    resting = agent.ask("window.next")
    assert (resting["ok"], resting["error"]["code"]) == (False, "service_closed")
    assert resting["error"]["message"] == "午间休息时间，本窗口不在午间值班，不能叫号。"
    policed.clock.set(datetime(2025, 3, 12, 13, 30, tzinfo=SHANGHAI))
    assert agent.ask("window.next")["result"]["call"]["ticket"] == "A001"


def test_the_keypad_finishes_only_what_the_person_may_decide(
    real: Served, policed: HallFixture, device: Callable[[str], Device]
) -> None:
    kiosk, agent = device("kiosk-1"), device("agent-1")
    kiosk.ask("ticket.issue", {"service": "A"})
    policed.open_window("1", "zhang")
    agent.ask("window.next")
    agent.ask("window.start")
    refused = agent.ask("window.finish", {"outcome": "promised"})
    assert (refused["ok"], refused["error"]["code"]) == (False, "not_eligible")
    assert "未获授权独立办结承诺件" in refused["error"]["message"]
    finished = agent.ask("window.finish", {"outcome": "immediate"})
    assert finished["ok"] is True, finished
