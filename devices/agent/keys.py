"""Caller keypad keys → window requests (pure).

The keypad's number keys may follow a key with a code (``KP2``, ``KF1``): for pause the code picks a
configured reason, for finish a case type (outcome). Pause needs a reason on the wire, so a bare pause
key sends the configured default reason. A pause or finish code with no configured meaning is refused
here, not sent: finishing a visit with a case type nobody chose would open the wrong case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.keypad import Key, KeyPress
from queue_server.protocol.messages import Op, WindowFinishArgs, WindowPauseArgs

DEFAULT_PAUSE_REASON = "临时离开"

DEFAULT_PAUSE_REASONS: dict[int, str] = {
    1: "临时离开",
    2: "业务咨询",
    3: "系统故障",
    4: "工作会议",
    5: "用餐",
}

# The seven case types (七件管理制) in the order the keypad's label strip lists them.
DEFAULT_FINISH_OUTCOMES: dict[int, str] = {
    1: "immediate",
    2: "promised",
    3: "joint",
    4: "approval",
    5: "returned",
    6: "supplement",
    7: "special",
}

_OPS: dict[Key, Op] = {
    Key.NEXT: Op.WINDOW_NEXT,
    Key.RECALL: Op.WINDOW_RECALL,
    Key.START: Op.WINDOW_START,
    Key.FINISH: Op.WINDOW_FINISH,
    Key.NO_SHOW: Op.WINDOW_NO_SHOW,
    Key.PAUSE: Op.WINDOW_PAUSE,
    Key.RESUME: Op.WINDOW_RESUME,
}

# What the keypad's one-line display calls each action (zh-CN, staff read it).
OP_LABELS: dict[str, str] = {
    Op.WINDOW_NEXT: "叫号",
    Op.WINDOW_RECALL: "重呼",
    Op.WINDOW_START: "开始办理",
    Op.WINDOW_FINISH: "办结",
    Op.WINDOW_NO_SHOW: "过号",
    Op.WINDOW_PAUSE: "暂停",
    Op.WINDOW_RESUME: "恢复",
}


@dataclass(frozen=True, slots=True)
class WindowAction:
    """One ``window.*`` request to send: the op and its (already validated) arguments."""

    op: Op
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return OP_LABELS[self.op]


class UnknownCodeError(ValueError):
    """A key code the configuration gives no meaning to; ``message`` is for the keypad display."""

    def __init__(self, key: Key, code: int) -> None:
        self.key, self.code = key, code
        what = "暂停原因" if key is Key.PAUSE else "办结类型" if key is Key.FINISH else "代码"
        self.message = f"未知{what}{code}"
        super().__init__(f"no meaning configured for {key.name} code {code}")


@dataclass(frozen=True, slots=True)
class KeyMap:
    """What the keypad's codes mean at this window (from the agent's config)."""

    pause_reason: str = DEFAULT_PAUSE_REASON
    pause_reasons: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_PAUSE_REASONS))
    finish_outcomes: Mapping[int, str] = field(default_factory=lambda: dict(DEFAULT_FINISH_OUTCOMES))

    def action(self, press: KeyPress) -> WindowAction:
        """The request a key press asks for; UnknownCodeError for a code with no configured meaning."""
        op = _OPS[press.key]
        if press.key is Key.PAUSE:
            reason = self.pause_reason if press.code is None else self.pause_reasons.get(press.code)
            if reason is None:
                raise UnknownCodeError(press.key, press.code or 0)
            return WindowAction(op, WindowPauseArgs(reason=reason).model_dump())
        if press.key is Key.FINISH:
            if press.code is None:
                return WindowAction(op)
            outcome = self.finish_outcomes.get(press.code)
            if outcome is None:
                raise UnknownCodeError(press.key, press.code)
            return WindowAction(op, WindowFinishArgs(outcome=outcome).model_dump())
        # The other keys take no code; a stray digit pressed before them changes nothing.
        return WindowAction(op)
