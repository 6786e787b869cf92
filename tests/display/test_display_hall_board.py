"""The hall display's view model: state in, what the screen shows out (no window, clock passed in)."""

from __future__ import annotations

import pytest

from display.hall_board import HallBoard
from display.text import OFFLINE_TEXT, clock_texts, mask_name
from queue_server.protocol.messages import (
    CallKind,
    HallMode,
    ServiceInfo,
    WindowBrief,
    WindowState,
    WindowStatus,
)
from tests.display.helpers import T0, call, hall_state

NOW = T0 + 100


def board() -> HallBoard:
    b = HallBoard(highlight_s=8.0, default_notice="欢迎")
    b.set_online(True)
    return b


def test_retained_state_paints_everything_at_once() -> None:
    b = board()
    recent = [call(1, "A001", "1"), call(2, "B002", "6"), call(3, "A003", "2", kind=CallKind.RECALL)]
    state = hall_state(
        3,
        recent=recent,
        windows={
            "1": WindowBrief(status=WindowStatus.SERVING, ticket="A001", staff="王*"),
            "2": WindowBrief(status=WindowStatus.CALLING, ticket="A003", staff="李*"),
            "10": WindowBrief(status=WindowStatus.PAUSED, staff="赵*"),
            "4": WindowBrief(status=WindowStatus.CLOSED),
        },
        services=[
            ServiceInfo(code="A", name="综合受理", open=True, waiting=12, eta_min=18),
            ServiceInfo(code="B", name="不动产登记", open=True, waiting=0, eta_min=0),
            ServiceInfo(code="C", name="社保医保", open=False, waiting=2, eta_min=5),
        ],
        notice="请保管好随身物品",
    )
    assert b.apply_state(state, NOW)
    v = b.view(NOW)
    assert v.hall_name == "测试市民大厅"
    assert v.status_text == "办理中"
    assert [line.ticket for line in v.recent] == ["A003", "B002", "A001"]  # newest first
    assert v.recent[0].recall and v.recent[0].window_title == "2号窗口"
    # every open window in number order (10 after 2), the closed one left out
    assert [(t.window, t.ticket, t.status_text, t.staff) for t in v.windows] == [
        ("1", "A001", "正在办理", "王*"),
        ("2", "A003", "正在呼叫", "李*"),
        ("10", "", "暂停服务", "赵*"),
    ]
    assert [(s.name, s.waiting, s.eta_text) for s in v.services] == [
        ("综合受理", 12, "约 18 分钟"),
        ("不动产登记", 0, "无需等候"),
        ("社保医保", 2, "暂停取号"),
    ]
    assert v.notice == "请保管好随身物品"
    # the latest call is shown at once, but not flashed as news
    assert v.spotlight is not None
    assert v.spotlight.sentence == "请 A003 号 到 2 号窗口"
    assert not v.spotlight.flash
    assert v.online and v.alert == ""


@pytest.mark.parametrize(
    ("mode", "text"),
    [
        (HallMode.OPEN, "办理中"),
        (HallMode.EXTENDED, "延时服务"),
        (HallMode.CLOSED, "已下班"),
        (HallMode.WEEKEND, "双休日服务"),
        (HallMode.LUNCH_BREAK, "午休"),
    ],
)
def test_hall_status_text(mode: HallMode, text: str) -> None:
    b = board()
    b.apply_state(hall_state(1, mode=mode), NOW)
    assert b.view(NOW).status_text == text


def test_status_from_the_booleans_of_an_older_server() -> None:
    b = board()
    b.apply_state(hall_state(1).model_copy(update={"open": False}), NOW)
    assert b.view(NOW).status_text == "已下班"
    b.apply_state(hall_state(2).model_copy(update={"extended": True}), NOW)
    assert b.view(NOW).status_text == "延时服务"


def test_clock_and_date_in_the_hall_time_zone() -> None:
    v = board().view(T0)  # 2026-03-06 01:41:05 UTC
    assert (v.date_text, v.time_text) == ("2026年3月6日 星期五", "09:41:05")
    assert clock_texts(T0 + 15 * 3600)[0] == "2026年3月7日 星期六"


def test_a_call_is_highlighted_for_a_few_seconds() -> None:
    b = board()
    b.apply_state(hall_state(0), NOW)
    b.apply_call(call(1, "A012", "5"), NOW)
    v = b.view(NOW + 1)
    assert v.spotlight is not None
    assert v.spotlight.sentence == "请 A012 号 到 5 号窗口"
    assert v.spotlight.flash
    assert [line.ticket for line in v.recent] == ["A012"]
    assert v.windows[0].ticket == "A012" and v.windows[0].status is WindowStatus.CALLING
    later = b.view(NOW + 9)
    assert later.spotlight is not None and not later.spotlight.flash
    assert later.spotlight.sentence == "请 A012 号 到 5 号窗口"  # stays, no longer flashing


def test_a_burst_is_shown_one_after_another_none_skipped() -> None:
    b = board()
    b.apply_state(hall_state(0), NOW)
    for seq, ticket in ((1, "A001"), (2, "A002"), (3, "A003")):
        b.apply_call(call(seq, ticket, str(seq)), NOW)
    # all three are in the list at once …
    assert [line.ticket for line in b.view(NOW).recent] == ["A003", "A002", "A001"]
    # … and the spotlight takes them in order, each for its full time
    shown: list[str] = []
    t = NOW
    while t < NOW + 40:
        b.tick(t)
        spot = b.view(t).spotlight
        assert spot is not None
        if not shown or shown[-1] != spot.call.ticket:
            shown.append(spot.call.ticket)
        t += 0.5
    assert shown == ["A001", "A002", "A003"]
    assert b.pending_spotlight == []


def test_the_spotlight_follows_the_voice() -> None:
    b = board()
    b.apply_state(hall_state(0), NOW)
    b.apply_call(call(1, "A001"), NOW)
    b.apply_call(call(2, "A002"), NOW)
    assert b.speaking(1, NOW)
    # a long announcement holds the spotlight past its usual time
    b.tick(NOW + 20)
    spot = b.view(NOW + 20).spotlight
    assert spot is not None and spot.call.seq == 1 and spot.flash
    b.spoken(1, NOW + 20)
    assert b.speaking(2, NOW + 20.1)  # the voice moves on: so does the screen
    spot = b.view(NOW + 20.2).spotlight
    assert spot is not None and spot.call.seq == 2


def test_a_recall_is_shown_again() -> None:
    b = board()
    b.apply_state(hall_state(0), NOW)
    b.apply_call(call(1, "A012", "5"), NOW)
    b.apply_call(call(2, "A012", "5", kind=CallKind.RECALL), NOW + 1)
    b.tick(NOW + 9)  # the first call's time is up: the recall takes the spotlight
    v = b.view(NOW + 9)
    assert v.spotlight is not None and v.spotlight.call.recall and v.spotlight.flash
    assert [(line.ticket, line.recall) for line in v.recent] == [("A012", True), ("A012", False)]


def test_a_stale_state_is_ignored() -> None:
    b = board()
    b.apply_state(hall_state(5, recent=[call(5, "A005")], notice="新通知"), NOW)
    old = hall_state(4, recent=[call(4, "A004")], notice="旧通知")
    assert not b.apply_state(old, NOW)
    v = b.view(NOW)
    assert v.notice == "新通知"
    assert [line.seq for line in v.recent] == [5]
    assert b.stale_states == 1


def test_a_state_older_than_a_call_does_not_take_the_window_back() -> None:
    b = board()
    b.apply_state(hall_state(1, windows={"5": WindowBrief(status=WindowStatus.SERVING, ticket="A001")}), NOW)
    b.apply_call(call(2, "A002", "5"), NOW)
    # the state published just before the call arrives late: newer than the last state, older than the call
    late = hall_state(1, windows={"5": WindowBrief(status=WindowStatus.SERVING, ticket="A001")}, ts=T0 + 1.5)
    assert b.apply_state(late, NOW)
    tile = b.view(NOW).windows[0]
    assert (tile.ticket, tile.status) == ("A002", WindowStatus.CALLING)
    # a window state older than the call does not either; a newer one does
    ws = WindowState(window="5", name="综合受理", status=WindowStatus.SERVING, ticket="A001", ts=T0 + 1)
    assert not b.apply_window(ws, NOW)
    newer = ws.model_copy(update={"ticket": "A002", "ts": T0 + 3})
    assert b.apply_window(newer, NOW)
    tile = b.view(NOW).windows[0]
    assert (tile.ticket, tile.status, tile.name) == ("A002", WindowStatus.SERVING, "综合受理")


def test_replayed_calls_keep_the_list_in_seq_order() -> None:
    b = board()
    b.apply_state(hall_state(5, recent=[call(4), call(5)]), NOW)
    b.apply_state(hall_state(9, recent=[call(8), call(9)]), NOW)  # 6 and 7 missed, being replayed
    b.apply_call(call(6), NOW)
    b.apply_call(call(7), NOW)
    assert [line.seq for line in b.view(NOW).recent] == [9, 8, 7, 6, 5, 4]


def test_paused_window_shows_its_reason() -> None:
    b = board()
    b.apply_state(hall_state(1, windows={"7": WindowBrief(status=WindowStatus.PAUSED, staff="刘*")}), NOW)
    ws = WindowState(
        window="7", name="不动产登记", status=WindowStatus.PAUSED, pause_reason="业务咨询", ts=T0 + 2
    )
    b.apply_window(ws, NOW)
    tile = b.view(NOW).windows[0]
    assert (tile.title, tile.name, tile.status_text) == ("7号窗口", "不动产登记", "暂停服务：业务咨询")


def test_names_are_only_ever_shown_masked() -> None:
    b = board()
    b.apply_state(hall_state(1, windows={"1": WindowBrief(status=WindowStatus.SERVING, staff="王小明")}), NOW)
    assert b.view(NOW).windows[0].staff == "王**"
    assert mask_name("张*") == "张*"
    assert mask_name("欧阳*") == "欧阳*"
    assert mask_name("") == ""


def test_offline_shows_an_alert() -> None:
    b = board()
    b.set_online(False)
    v = b.view(NOW)
    assert not v.online and v.alert == OFFLINE_TEXT
    assert v.spotlight is None and v.hall_name == "政务服务中心"  # nothing known yet: a neutral screen


def test_a_new_seq_series_after_a_server_reset_replaces_the_old_one() -> None:
    b = board()
    b.apply_state(hall_state(100, recent=[call(99), call(100)]), NOW)
    b.renumbered()  # the sequencer saw the server start numbering again
    b.apply_call(call(1, "A001", ts=T0 + 500), NOW)
    assert b.apply_state(hall_state(1, recent=[call(1, "A001", ts=T0 + 500)], ts=T0 + 501), NOW)
    assert [line.seq for line in b.view(NOW).recent] == [1]
    assert not b.apply_state(hall_state(100, recent=[call(100)]), NOW)  # the old series' retained state
