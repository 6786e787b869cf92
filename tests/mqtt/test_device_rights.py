"""What a device may ask over MQTT, in front of the real services: only a window agent sends window
operations (a window display bound to the same window is refused), and a kiosk issues only for the
services its hall-file entry lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlmodel import Session, func, select

from harness.factories import HallFixture
from queue_server.protocol.messages import WindowStatus
from queue_server.store import tables as t
from tests.conftest import MosquittoBroker
from tests.mqtt.conftest import Device, Served, start_bridge

DeviceMaker = Callable[[str], Device]


@pytest.fixture
def real(broker: MosquittoBroker, hall: HallFixture) -> Iterator[Served]:
    s = start_bridge(broker.address, hall.services, hall.code, attach=hall.services.add_announcer)
    yield s
    s.bridge.stop()


def add_device(
    hall: HallFixture,
    device_id: str,
    kind: str,
    *,
    window: str | None = None,
    services: list[str] | None = None,
) -> None:
    with Session(hall.engine) as session, session.begin():
        window_id = None
        if window is not None:
            window_id = session.exec(
                select(t.Window.id).where(t.Window.hall_id == hall.hall_id, t.Window.number == window)
            ).one()
        session.add(
            t.Device(
                hall_id=hall.hall_id, device_id=device_id, kind=kind, window_id=window_id, services=services
            )
        )


def tickets(hall: HallFixture) -> int:
    query = select(func.count()).select_from(t.Ticket).where(t.Ticket.hall_id == hall.hall_id)
    with Session(hall.engine) as session:
        return int(session.exec(query).one())


def test_a_window_display_may_not_operate_its_window(
    real: Served, hall: HallFixture, devices: DeviceMaker
) -> None:
    add_device(hall, "display-1", "window_display", window="1")
    hall.open_window("1", "zhang")
    display = devices("display-1")
    for op, args in (("window.pause", {"reason": "午休"}), ("window.next", {})):
        refused = display.ask(op, args)
        assert refused["ok"] is False and refused["error"]["code"] == "not_authorized", refused
    assert hall.services.window_state(hall.code, "1").status is WindowStatus.IDLE
    # The agent of the same window may.
    paused = devices("agent-1").ask("window.pause", {"reason": "午休"})
    assert paused["result"]["window"]["status"] == "paused"


def test_a_kiosk_issues_only_for_its_services(real: Served, hall: HallFixture, devices: DeviceMaker) -> None:
    add_device(hall, "kiosk-a", "kiosk", services=["A"])
    kiosk = devices("kiosk-a")
    refused = kiosk.ask("ticket.issue", {"service": "B"})
    assert refused["ok"] is False and refused["error"]["code"] == "not_authorized", refused
    by_matter = kiosk.ask("ticket.issue", {"matter": "B01"})  # a matter of service B: the same
    assert by_matter["error"]["code"] == "not_authorized"
    assert tickets(hall) == 0
    assert kiosk.ask("ticket.issue", {"service": "A"})["result"]["number"] == "A001"
    # A kiosk whose entry lists no services offers them all.
    assert devices("kiosk-1").ask("ticket.issue", {"service": "B"})["result"]["number"] == "B001"
