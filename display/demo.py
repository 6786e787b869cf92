"""Demo data for screenshots and a display without a hall: a plausible afternoon in a city hall.

Everything is made of protocol messages, so the screens render it exactly as they render a live
hall; names are masked as the server masks them.
"""

from __future__ import annotations

from queue_server.protocol.messages import (
    CallEvent,
    CallKind,
    HallMode,
    HallState,
    ServiceInfo,
    WindowBrief,
    WindowState,
    WindowStatus,
)

HALL_NAME = "固原市政务服务中心"
NOTICE = (
    "本中心实行“六办理”制度：马上就办、特事特办、上门服务、延时服务、预约服务、双休日服务。"
    "申请材料齐全、符合法定形式的，窗口当场办理；材料不齐的，一次性告知需要补正的全部材料。"
    "请持号耐心等候，留意叫号。"
)
SERVICES = (
    ("A", "综合受理", 12, 18),
    ("B", "不动产登记", 7, 25),
    ("C", "社保医保", 4, 9),
    ("D", "公积金", 0, 0),
    ("E", "税务办理", 9, 21),
    ("F", "企业开办", 3, 12),
)
# window, name, status, ticket, staff (masked), staff id, pause reason
WINDOWS: tuple[tuple[str, str, WindowStatus, str | None, str | None, str | None, str | None], ...] = (
    ("1", "综合受理", WindowStatus.SERVING, "A009", "王*", "1001", None),
    ("2", "综合受理", WindowStatus.SERVING, "A010", "李*", "1002", None),
    ("3", "综合受理", WindowStatus.CALLING, "A011", "赵*", "1003", None),
    ("5", "综合受理", WindowStatus.CALLING, "A012", "张*", "1005", None),
    ("6", "不动产登记", WindowStatus.SERVING, "B031", "陈*", "2006", None),
    ("7", "不动产登记", WindowStatus.PAUSED, None, "刘*", "2007", "业务咨询"),
    ("8", "社保医保", WindowStatus.SERVING, "C015", "杨*", "3008", None),
    ("9", "公积金", WindowStatus.IDLE, None, "黄*", "4009", None),
    ("10", "税务办理", WindowStatus.SERVING, "E022", "周*", "5010", None),
    ("11", "企业开办", WindowStatus.SERVING, "F006", "吴*", "6011", None),
    ("12", "企业开办", WindowStatus.CLOSED, None, None, None, None),
)
NOW = 1772761265.0  # 2026-03-06 09:41:05 Asia/Shanghai, a Friday
FIRST_SEQ = 1190


def calls(now: float = NOW) -> list[CallEvent]:
    """The morning's last calls, oldest first; the newest is A012 to window 5."""
    tickets = [
        ("A008", "2"),
        ("C015", "8"),
        ("A009", "1"),
        ("B031", "6"),
        ("E022", "10"),
        ("A010", "2"),
        ("F006", "11"),
        ("A011", "3"),
        ("A011", "3"),
        ("A012", "5"),
    ]
    out = []
    for i, (ticket, window) in enumerate(tickets):
        kind = CallKind.RECALL if i == 8 else CallKind.CALL
        seq = FIRST_SEQ + i
        out.append(
            CallEvent(
                seq=seq,
                kind=kind,
                ticket=ticket,
                window=window,
                window_name=f"{window}号窗口",
                say=f"请{ticket}号到{window}号窗口办理",
                ts=now - 60 * (len(tickets) - i),
            )
        )
    return out


def hall_state(now: float = NOW, mode: HallMode = HallMode.OPEN) -> HallState:
    recent = calls(now)
    return HallState(
        seq=recent[-1].seq,
        open=mode is not HallMode.CLOSED,
        extended=mode is HallMode.EXTENDED,
        mode=mode,
        hall_name=HALL_NAME,
        recent_calls=list(reversed(recent)),
        windows={w: WindowBrief(status=st, ticket=t, staff=s) for w, _, st, t, s, _, _ in WINDOWS},
        waiting={code: n for code, _, n, _ in SERVICES},
        eta_min={code: eta for code, _, _, eta in SERVICES},
        services=[ServiceInfo(code=c, name=nm, open=True, waiting=n, eta_min=e) for c, nm, n, e in SERVICES],
        notice=NOTICE,
        ts=now,
    )


def window_states(now: float = NOW) -> list[WindowState]:
    return [
        WindowState(
            window=w,
            name=name,
            status=st,
            ticket=t,
            staff=s,
            staff_id=sid,
            pause_reason=reason,
            ts=now - 30,
        )
        for w, name, st, t, s, sid, reason in WINDOWS
    ]
