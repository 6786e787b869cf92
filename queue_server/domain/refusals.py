"""Stable refusal codes a kiosk or a window receives instead of a ticket or an action.

The codes are part of the contract with devices and the HTTP API: never rename one. `RefusalCode` is a
`StrEnum`, so a member compares equal to its plain string (``RefusalCode.CUTOFF_PASSED == "cutoff_passed"``).
"""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    """Why a ticket is not issued (or an appointment not checked in)."""

    SERVICE_CLOSED = "service_closed"
    CUTOFF_PASSED = "cutoff_passed"
    DAILY_CAP_REACHED = "daily_cap_reached"
    ID_DAILY_LIMIT = "id_daily_limit"
    SLOT_FULL = "slot_full"
    CHECKIN_TOO_EARLY = "checkin_too_early"
    CHECKIN_TOO_LATE = "checkin_too_late"

    @property
    def message_zh(self) -> str:
        """The sentence a kiosk shows the citizen."""
        return _MESSAGES_ZH[self]


_MESSAGES_ZH: dict[RefusalCode, str] = {
    RefusalCode.SERVICE_CLOSED: "该业务当前不在服务时间，请在办理时间内取号。",
    RefusalCode.CUTOFF_PASSED: "该业务今日取号已截止，请下一个工作日再来办理。",
    RefusalCode.DAILY_CAP_REACHED: "该业务今日号源已取完，请下一个工作日再来办理。",
    RefusalCode.ID_DAILY_LIMIT: "您今日在该业务的取号次数已达上限。",
    RefusalCode.SLOT_FULL: "该预约时段已约满，请选择其他时段。",
    RefusalCode.CHECKIN_TOO_EARLY: "尚未到签到时间，请稍后再签到。",
    RefusalCode.CHECKIN_TOO_LATE: "已超过预约签到时间，可现场取号办理。",
}
