"""What the window's LED sign and the keypad's one-line display show (pure).

The sign shows the retained ``window/{no}/state``: calling A012, serving A012, paused with the
reason, closed, or idle. The keypad tells the staff member what happened to the key they pressed.
"""

from __future__ import annotations

from devices.sign import SignDisplay, SignStatus
from queue_server.protocol.messages import Response, WindowState, WindowStatus

SIGN_STATUS: dict[WindowStatus, SignStatus] = {
    WindowStatus.IDLE: SignStatus.IDLE,
    WindowStatus.CALLING: SignStatus.CALLING,
    WindowStatus.SERVING: SignStatus.SERVING,
    WindowStatus.PAUSED: SignStatus.PAUSED,
    WindowStatus.CLOSED: SignStatus.CLOSED,
}

_SEPARATOR = "\x1f"  # the sign frame's field separator cannot appear inside a field


def _showable(text: str | None, encoding: str) -> str | None:
    """``text`` without the characters the sign's font cannot show (a rare 生僻字 in a reason)."""
    if not text:
        return None
    kept = []
    for ch in text:
        if ch == _SEPARATOR or not ch.isprintable():
            continue
        try:
            ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        kept.append(ch)
    return "".join(kept) or None


def sign_display(state: WindowState, encoding: str = "gb2312") -> SignDisplay:
    """The sign's picture of a window state; text the sign's font lacks is left out, never an error."""
    status = SIGN_STATUS[state.status]
    ticket = state.ticket if status in (SignStatus.CALLING, SignStatus.SERVING) else None
    reason = state.pause_reason if status is SignStatus.PAUSED else None
    window = _showable(state.window, encoding) or state.window
    return SignDisplay(
        window=window,
        status=status,
        ticket=_showable(ticket, encoding),
        reason=_showable(reason, encoding),
    )


def state_line(state: WindowState) -> str:
    """The keypad's line for a window state."""
    match state.status:
        case WindowStatus.CALLING:
            return f"呼叫中 {state.ticket or ''}".rstrip()
        case WindowStatus.SERVING:
            return f"办理中 {state.ticket or ''}".rstrip()
        case WindowStatus.PAUSED:
            return f"暂停 {state.pause_reason or ''}".rstrip()
        case WindowStatus.CLOSED:
            return "窗口已关闭"
    return "空闲 请按叫号"


def pending_line(label: str, *, online: bool) -> str:
    """Shown at once when a key is pressed; offline the press waits in the outbox."""
    return f"{label}…" if online else f"离线已存 {label}"


def failure_line(label: str, response: Response) -> str:
    """The keypad's line for a refused key: the server's message, meant for people, as far as it fits."""
    message = response.error.message if response.error is not None else "操作失败"
    return f"{label}失败 {message}"


def done_line(label: str) -> str:
    return f"{label}完成"


def waiting_line(label: str) -> str:
    """The server has not answered yet; the press is kept and sent again."""
    return f"{label} 等待服务器"


def expired_line(label: str) -> str:
    return f"{label}已过期 未发送"
