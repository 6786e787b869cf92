"""The words the screens show (zh-CN), as pure functions: status names, clock, masking, sentences."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from queue_server.protocol.defaults import DEFAULT_HALL_NAME as DEFAULT_HALL_NAME
from queue_server.protocol.defaults import HALL_TZ as HALL_TZ
from queue_server.protocol.messages import HallMode, HallState, WindowStatus

WEEKDAYS = "一二三四五六日"

MODE_TEXT: dict[HallMode, str] = {
    HallMode.OPEN: "办理中",
    HallMode.EXTENDED: "延时服务",
    HallMode.CLOSED: "已下班",
    HallMode.WEEKEND: "双休日服务",
    HallMode.LUNCH_BREAK: "午休",
}

WINDOW_STATUS_TEXT: dict[WindowStatus, str] = {
    WindowStatus.IDLE: "等候叫号",
    WindowStatus.CALLING: "正在呼叫",
    WindowStatus.SERVING: "正在办理",
    WindowStatus.PAUSED: "暂停服务",
    WindowStatus.CLOSED: "暂停使用",
}

OFFLINE_TEXT = "网络连接中断，正在重新连接…"


def hall_mode(state: HallState) -> HallMode:
    """The hall's mode; older servers that only send the booleans still get the right words."""
    if state.mode is not HallMode.OPEN:
        return state.mode
    if not state.open:
        return HallMode.CLOSED
    return HallMode.EXTENDED if state.extended else HallMode.OPEN


def status_text(mode: HallMode) -> str:
    return MODE_TEXT[mode]


def window_title(window: str) -> str:
    """``5`` → ``5号窗口``."""
    return f"{window}号窗口"


def call_sentence(ticket: str, window: str) -> str:
    """What the hall screen shows for a call, matching what the voice says."""
    return f"请 {ticket} 号 到 {window} 号窗口"


def mask_name(name: str | None) -> str:
    """The server masks staff names (张*); a name that arrives unmasked is masked here, never shown.

    Masking twice is harmless: anything already containing ``*`` is kept as it is.
    """
    if not name:
        return ""
    if "*" in name or len(name) < 2:
        return name if "*" in name else "*"
    return name[0] + "*" * (len(name) - 1)


def eta_text(waiting: int, eta_min: int | None, open_: bool = True) -> str:
    if not open_:
        return "暂停取号"
    if waiting == 0:
        return "无需等候"
    if eta_min is None:
        return "—"
    return f"约 {eta_min} 分钟"


def clock_texts(now: float, tz: ZoneInfo = HALL_TZ) -> tuple[str, str]:
    """(date, time) for an epoch time in the hall's zone: ("2026年3月6日 星期五", "09:41:05")."""
    local = datetime.fromtimestamp(now, UTC).astimezone(tz)
    date = f"{local.year}年{local.month}月{local.day}日 星期{WEEKDAYS[local.weekday()]}"
    return date, local.strftime("%H:%M:%S")


def natural_key(window: str) -> tuple[int, int, str]:
    """Windows sort 1, 2, …, 10, then named ones (A1, VIP)."""
    return (0, int(window), "") if window.isdigit() else (1, 0, window)
