"""The window display's view model (窗口屏): one window, plain Python, clock passed in.

Its truth is the retained ``window/{no}/state`` (name, status, ticket, masked staff, staff id, pause
reason). The hall state's brief of the window fills in until that arrives, and a call to this window
flashes the ticket at once (the window state follows a moment later). Older messages never win:
window states are ordered by ``ts``, and a call newer than the last window state holds its ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from queue_server.protocol.messages import CallEvent, DeviceConfig, HallState, WindowState, WindowStatus

from . import text

FLASH_S = 6.0


@dataclass(frozen=True, slots=True)
class WindowView:
    window: str
    title: str  # 5号窗口
    name: str  # the window's own name (不动产登记), "" when it only repeats the title
    hall_name: str
    status: WindowStatus
    status_text: str  # 正在办理 / 暂停服务：午餐 / 暂停使用
    ticket: str
    call_text: str  # 请 A012 号 while the call is fresh, else ""
    staff: str  # masked: 张*
    staff_id: str  # 工号 0123, "" when unknown
    flash: bool
    time_text: str
    online: bool
    alert: str
    department: str = ""  # the window's department, short (device config), "" when not known


class WindowBoard:
    """Everything one window's screen shows. Not thread-safe: the runtime serialises access."""

    def __init__(self, window: str, *, flash_s: float = FLASH_S, tz: ZoneInfo = text.HALL_TZ) -> None:
        self.flash_s = flash_s
        self.tz = tz
        self.online = False
        self._hall_name = ""
        self._department = ""
        self._reset(window)

    def _reset(self, window: str) -> None:
        self.window = window
        self.stale = 0
        self._ws: WindowState | None = None
        self._brief_status = WindowStatus.IDLE
        self._brief_ticket = ""
        self._brief_staff = ""
        self._call: CallEvent | None = None
        self._call_at = float("-inf")

    def retarget(self, window: str) -> None:
        """The device was moved to another window (its config changed)."""
        if window != self.window:
            self._reset(window)

    def apply_window(self, ws: WindowState, now: float) -> bool:
        if ws.window != self.window:
            return False
        if self._ws is not None and ws.ts < self._ws.ts:
            self.stale += 1
            return False
        self._ws = ws
        return True

    def apply_state(self, state: HallState, now: float) -> bool:
        self._hall_name = state.hall_name or self._hall_name
        brief = state.windows.get(self.window)
        if brief is not None:
            self._brief_status = brief.status
            self._brief_ticket = brief.ticket or ""
            self._brief_staff = brief.staff or ""
        return True

    def apply_call(self, call: CallEvent, now: float) -> bool:
        if call.window != self.window:
            return False
        self._call, self._call_at = call, now
        return True

    def apply_config(self, config: DeviceConfig) -> bool:
        self._hall_name = self._hall_name or config.hall_name
        self._department = config.department
        return True

    def tick(self, now: float) -> bool:
        return False

    def renumbered(self) -> None:
        self._call = None

    def set_online(self, online: bool) -> bool:
        changed = online != self.online
        self.online = online
        return changed

    def view(self, now: float) -> WindowView:
        ws = self._ws
        call = self._call
        # The call counts until the window state has moved past it (served, paused, next ticket);
        # a window state that only confirms the call (same ticket, calling) keeps it fresh.
        call_newer = call is not None and (
            ws is None or call.ts > ws.ts or (ws.ticket == call.ticket and ws.status is WindowStatus.CALLING)
        )
        if ws is not None:
            status, ticket, staff = ws.status, ws.ticket or "", ws.staff or ""
            name, staff_id, reason = ws.name, ws.staff_id or "", ws.pause_reason or ""
        else:
            status, ticket, staff = self._brief_status, self._brief_ticket, self._brief_staff
            name, staff_id, reason = "", "", ""
        if call is not None and call_newer:
            status, ticket = WindowStatus.CALLING, call.ticket
            name = name or call.window_name
        fresh = call is not None and call_newer and now - self._call_at < self.flash_s
        title = text.window_title(self.window)
        status_text = text.WINDOW_STATUS_TEXT[status]
        if status is WindowStatus.PAUSED and reason:
            status_text = f"{status_text}：{reason}"
        show_ticket = ticket if status in (WindowStatus.CALLING, WindowStatus.SERVING) else ""
        return WindowView(
            window=self.window,
            title=title,
            name=name if name and name != title else "",
            hall_name=self._hall_name or text.DEFAULT_HALL_NAME,
            status=status,
            status_text=status_text,
            ticket=show_ticket,
            call_text=f"请 {call.ticket} 号" if call is not None and fresh and call_newer else "",
            staff=text.mask_name(staff),
            staff_id=f"工号 {staff_id}" if staff_id else "",
            flash=fresh,
            time_text=text.clock_texts(now, self.tz)[1][:5],
            online=self.online,
            alert="" if self.online else text.OFFLINE_TEXT,
            department=self._department,
        )
