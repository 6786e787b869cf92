"""The window display's view model: one window's retained state in, its small screen out."""

from __future__ import annotations

from display.window_board import WindowBoard
from queue_server.protocol.messages import CallKind, DeviceConfig, WindowBrief, WindowState, WindowStatus
from tests.display.helpers import T0, call, hall_state

NOW = T0 + 100


def ws(
    status: WindowStatus, *, ticket: str | None = None, ts: float = T0 + 50, pause_reason: str | None = None
) -> WindowState:
    return WindowState(
        window="5",
        name="综合受理",
        status=status,
        ticket=ticket,
        staff="张*",
        staff_id="1005",
        pause_reason=pause_reason,
        ts=ts,
    )


def test_serving_window() -> None:
    b = WindowBoard("5")
    b.set_online(True)
    b.apply_window(ws(WindowStatus.SERVING, ticket="A012"), NOW)
    v = b.view(NOW)
    assert (v.title, v.name, v.ticket, v.status_text) == ("5号窗口", "综合受理", "A012", "正在办理")
    assert (v.staff, v.staff_id) == ("张*", "工号 1005")
    assert not v.flash and v.call_text == "" and v.alert == ""


def test_paused_with_reason_and_closed() -> None:
    b = WindowBoard("5")
    b.apply_window(ws(WindowStatus.PAUSED, pause_reason="午餐"), NOW)
    v = b.view(NOW)
    assert (v.status_text, v.ticket) == ("暂停服务：午餐", "")
    b.apply_window(ws(WindowStatus.CLOSED, ts=T0 + 60), NOW)
    assert b.view(NOW).status_text == "暂停使用"


def test_a_call_to_this_window_flashes_at_once() -> None:
    b = WindowBoard("5")
    b.apply_window(ws(WindowStatus.IDLE), NOW)
    b.apply_call(call(9, "A013", "5", ts=T0 + 90), NOW)
    v = b.view(NOW + 1)
    assert (v.ticket, v.status_text, v.call_text, v.flash) == ("A013", "正在呼叫", "请 A013 号", True)
    assert not b.view(NOW + 7).flash  # a few seconds later the flash ends; the ticket stays
    assert b.view(NOW + 7).ticket == "A013"
    # a recall flashes again
    b.apply_call(call(10, "A013", "5", kind=CallKind.RECALL, ts=T0 + 200), NOW + 100)
    assert b.view(NOW + 101).flash


def test_calls_to_other_windows_are_not_shown() -> None:
    b = WindowBoard("5")
    assert not b.apply_call(call(9, "B001", "6"), NOW)
    assert b.view(NOW).ticket == ""


def test_a_stale_window_state_is_ignored() -> None:
    b = WindowBoard("5")
    b.apply_window(ws(WindowStatus.SERVING, ticket="A012", ts=T0 + 50), NOW)
    assert not b.apply_window(ws(WindowStatus.SERVING, ticket="A011", ts=T0 + 40), NOW)
    assert b.view(NOW).ticket == "A012" and b.stale == 1


def test_the_hall_state_fills_in_until_the_window_state_arrives() -> None:
    b = WindowBoard("5")
    brief = WindowBrief(status=WindowStatus.SERVING, ticket="A007", staff="张三")
    b.apply_state(hall_state(3, windows={"5": brief}), NOW)
    v = b.view(NOW)
    assert (v.ticket, v.status_text, v.staff, v.hall_name) == ("A007", "正在办理", "张*", "测试市民大厅")


def test_moved_to_another_window_by_config() -> None:
    b = WindowBoard("5")
    b.apply_window(ws(WindowStatus.SERVING, ticket="A012"), NOW)
    b.apply_config(DeviceConfig(version=2, kind="window_display", window="6", hall_name="测试厅"))
    b.retarget("6")
    v = b.view(NOW)
    assert (v.window, v.title, v.ticket) == ("6", "6号窗口", "")
