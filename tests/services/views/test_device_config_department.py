"""A window device's config names the window's department as a narrow screen shows it: the hall file's
``department.short_name``, else the department's name; hall devices get none."""

from __future__ import annotations

from sqlmodel import Session, select

from display.window_board import WindowBoard
from harness.factories import HallFixture
from queue_server.store import tables as t


def test_window_devices_get_the_departments_short_name(hall: HallFixture) -> None:
    configs = hall.services.device_configs(hall.code)
    assert configs["agent-1"].department == "民政局"  # window 1's department, no short name: its name
    assert configs["kiosk-1"].department == ""  # a hall device
    with Session(hall.engine) as session, session.begin():
        civil = session.exec(
            select(t.Department).where(t.Department.hall_id == hall.hall_id, t.Department.code == "civil")
        ).one()
        civil.short_name = "民政"
        session.add(civil)
    after = hall.services.device_configs(hall.code)
    assert after["agent-1"].department == "民政"
    assert after["agent-1"].version > configs["agent-1"].version  # a new content, a new version


def test_the_window_display_shows_the_department_from_its_config(hall: HallFixture) -> None:
    config = hall.services.device_configs(hall.code)["agent-1"]
    board = WindowBoard("1")
    board.apply_config(config)
    view = board.view(0.0)
    assert (view.hall_name, view.department) == ("测试市民大厅", "民政局")
