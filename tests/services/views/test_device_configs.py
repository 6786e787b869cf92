"""Each device's retained config, built from the database, with a version that grows on every change
(a display drops a config whose version is lower than the one it holds) and only then."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlmodel import Session, func, select

from harness.factories import HallFixture, make_settings
from queue_server.domain.priority import PriorityClass
from queue_server.protocol.messages import DeviceKind
from queue_server.services import Services
from queue_server.services.views.device_config import EVENT_KIND
from queue_server.store import tables as t
from queue_server.store.tables.casework import WindowPrinter


def _edit(hall: HallFixture, change: Callable[[Session], None]) -> None:
    with Session(hall.engine) as session, session.begin():
        change(session)


def _window_id(session: Session, hall: HallFixture, number: str) -> int:
    window_id = session.exec(
        select(t.Window.id).where(t.Window.hall_id == hall.hall_id, t.Window.number == number)
    ).one()
    assert window_id is not None
    return window_id


def _device(session: Session, hall: HallFixture, device_id: str) -> t.Device:
    return session.exec(
        select(t.Device).where(t.Device.hall_id == hall.hall_id, t.Device.device_id == device_id)
    ).one()


def _bind(hall: HallFixture, device_id: str, window: str) -> None:
    def change(session: Session) -> None:
        device = _device(session, hall, device_id)
        device.window_id = _window_id(session, hall, window)
        session.add(device)

    _edit(hall, change)


def _config_events(hall: HallFixture) -> int:
    with Session(hall.engine) as session:
        return session.exec(
            select(func.count())
            .select_from(t.Event)
            .where(t.Event.hall_id == hall.hall_id, t.Event.kind == EVENT_KIND)
        ).one()


def test_configs_come_from_the_device_rows_the_hall_and_the_settings(
    make_hall: Callable[..., HallFixture],
) -> None:
    hall = make_hall(priority_age=65)
    configs = hall.services.device_configs(hall.code)
    assert set(configs) == {"agent-1", "kiosk-1"}
    agent, kiosk = configs["agent-1"], configs["kiosk-1"]
    assert (agent.kind, agent.window, kiosk.kind, kiosk.window) == ("window_agent", "1", "kiosk", None)
    assert agent.hall_name == kiosk.hall_name == "测试市民大厅"
    assert kiosk.services == ["A", "B", "C"]  # every active service, in the hall's order
    assert agent.services == ["A", "C"]  # the window's: primary first
    base = hall.settings.public_base_url.rstrip("/")
    assert kiosk.citizen_base_url == f"{base}/t/"
    assert kiosk.language == "zh-CN"
    # What the kiosk (elderly priority) and the displays (voice) read from ``extra``.
    every_class = sorted(c.value for c in PriorityClass)  # no [policies]: the hall grants every class
    assert kiosk.extra == {
        "elderly_age": 65,
        "priority_classes": every_class,
        "voice_repeat": 2,
        "voice_repeat_gap_s": 1.0,
    }
    assert agent.version > 0 and kiosk.version > 0


def test_the_version_stays_while_nothing_changes_also_after_a_restart(hall: HallFixture) -> None:
    first = hall.services.device_configs(hall.code)
    events = _config_events(hall)
    assert events == 2  # one recorded version per device
    assert hall.services.device_configs(hall.code) == first
    restarted = Services(hall.engine, hall.settings, hall.clock)
    assert restarted.device_configs(hall.code) == first
    assert _config_events(hall) == events  # asking again records nothing


def test_every_change_gives_a_higher_version_even_back_to_an_earlier_content(hall: HallFixture) -> None:
    v1 = hall.services.device_configs(hall.code)
    _bind(hall, "agent-1", "2")
    v2 = hall.services.device_configs(hall.code)
    assert (v2["agent-1"].window, v2["agent-1"].services) == ("2", ["B"])
    assert v2["agent-1"].version > v1["agent-1"].version
    assert v2["kiosk-1"] == v1["kiosk-1"]  # untouched devices keep theirs
    _bind(hall, "agent-1", "1")
    v3 = hall.services.device_configs(hall.code)
    assert v3["agent-1"].model_copy(update={"version": 0}) == v1["agent-1"].model_copy(update={"version": 0})
    assert v3["agent-1"].version > v2["agent-1"].version  # never back to v1: a display would drop it


def test_hall_service_and_printer_changes_reach_the_configs(hall: HallFixture) -> None:
    before = hall.services.device_configs(hall.code)

    def change(session: Session) -> None:
        row = session.exec(select(t.Hall).where(t.Hall.id == hall.hall_id)).one()
        row.name = "新市民大厅"
        service = session.exec(
            select(t.Service).where(t.Service.hall_id == hall.hall_id, t.Service.code == "B")
        ).one()
        service.active = False
        session.add_all([row, service])
        session.add(
            WindowPrinter(
                window_id=_window_id(session, hall, "1"),
                hall_id=hall.hall_id,
                config={"transport": "tcp", "width_mm": 58},
                updated_at=datetime.now(UTC),
            )
        )

    _edit(hall, change)
    after = hall.services.device_configs(hall.code)
    assert after["kiosk-1"].hall_name == "新市民大厅"
    assert after["kiosk-1"].services == ["A", "C"]
    assert after["agent-1"].printer_width_mm == 58
    assert before["agent-1"].printer_width_mm == 80
    assert all(after[d].version > before[d].version for d in before)


def test_only_devices_of_the_hall_and_of_known_kinds_get_a_config(hall: HallFixture) -> None:
    def change(session: Session) -> None:
        session.delete(_device(session, hall, "kiosk-1"))
        session.add(t.Device(hall_id=hall.hall_id, device_id="gadget-1", kind="unknown"))
        session.add(t.Device(hall_id=hall.hall_id, device_id="screen-1", kind=DeviceKind.HALL_DISPLAY.value))

    _edit(hall, change)
    configs = hall.services.device_configs(hall.code)
    assert set(configs) == {"agent-1", "screen-1"}
    assert configs["screen-1"].services == ["A", "B", "C"]


def test_a_new_public_address_is_a_new_config(hall: HallFixture) -> None:
    before = hall.services.device_configs(hall.code)["kiosk-1"]
    moved = make_settings(hall=hall.code, public_base_url="https://hall.example.gov.cn/")
    after = Services(hall.engine, moved, hall.clock).device_configs(hall.code)["kiosk-1"]
    assert after.citizen_base_url == "https://hall.example.gov.cn/t/"
    assert after.version > before.version


def _set_device(hall: HallFixture, device_id: str, **values: object) -> None:
    def change(session: Session) -> None:
        device = _device(session, hall, device_id)
        for key, value in values.items():
            setattr(device, key, value)
        session.add(device)

    _edit(hall, change)


def test_a_kiosk_offers_its_own_active_services_in_the_halls_order_on_its_own_paper(
    hall: HallFixture,
) -> None:
    v1 = hall.services.device_configs(hall.code)
    assert (v1["kiosk-1"].services, v1["kiosk-1"].printer_width_mm) == (["A", "B", "C"], 80)

    _set_device(hall, "kiosk-1", services=["C", "A"], printer_width_mm=58)
    v2 = hall.services.device_configs(hall.code)
    assert (v2["kiosk-1"].services, v2["kiosk-1"].printer_width_mm) == (["A", "C"], 58)
    assert v2["kiosk-1"].version > v1["kiosk-1"].version  # the content hash saw the change
    assert v2["agent-1"] == v1["agent-1"]

    def retire_a(session: Session) -> None:
        service = session.exec(
            select(t.Service).where(t.Service.hall_id == hall.hall_id, t.Service.code == "A")
        ).one()
        service.active = False
        session.add(service)

    _edit(hall, retire_a)
    v3 = hall.services.device_configs(hall.code)
    assert v3["kiosk-1"].services == ["C"]  # only active ones
    assert v3["kiosk-1"].version > v2["kiosk-1"].version

    # Only retired ones listed: the kiosk keeps its list and offers nothing (an empty one means all).
    _set_device(hall, "kiosk-1", services=["A"])
    assert hall.services.device_configs(hall.code)["kiosk-1"].services == ["A"]

    _set_device(hall, "kiosk-1", services=None)
    v4 = hall.services.device_configs(hall.code)
    assert (v4["kiosk-1"].services, v4["kiosk-1"].printer_width_mm) == (["B", "C"], 58)
    assert v4["kiosk-1"].version > v3["kiosk-1"].version
    assert hall.services.device_configs(hall.code) == v4  # and it stays while nothing changes


def test_a_window_agents_own_width_comes_before_its_window_printers(hall: HallFixture) -> None:
    def printer_58(session: Session) -> None:
        session.add(
            WindowPrinter(
                window_id=_window_id(session, hall, "1"),
                hall_id=hall.hall_id,
                config={"transport": "tcp", "width_mm": 58},
                updated_at=datetime.now(UTC),
            )
        )

    _edit(hall, printer_58)
    from_printer = hall.services.device_configs(hall.code)["agent-1"]
    assert from_printer.printer_width_mm == 58
    _set_device(hall, "agent-1", printer_width_mm=80)
    own = hall.services.device_configs(hall.code)["agent-1"]
    assert own.printer_width_mm == 80
    assert own.version > from_printer.version
    _set_device(hall, "agent-1", printer_width_mm=None)
    back = hall.services.device_configs(hall.code)["agent-1"]
    assert back.printer_width_mm == 58
    assert back.version > own.version  # never back to an older version: the device would drop it
