"""The error codes of replies (MQTT and HTTP alike) and what a citizen reads for each
(docs/design/PROTOCOL.md, "Errors"). Part of the contract; ``messages`` re-exports both names.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable error codes of replies. New codes may be added; existing ones never change meaning."""

    SERVICE_CLOSED = "service_closed"
    CUTOFF_PASSED = "cutoff_passed"
    DAILY_CAP_REACHED = "daily_cap_reached"
    ID_DAILY_LIMIT = "id_daily_limit"
    UNKNOWN_SERVICE = "unknown_service"
    QUEUE_EMPTY = "queue_empty"
    BAD_REQUEST = "bad_request"
    NOT_AUTHORIZED = "not_authorized"
    INTERNAL = "internal"
    # Additions beyond the first list of docs/design/PROTOCOL.md, documented there too.
    NOT_FOUND = "not_found"
    INVALID_STATE = "invalid_state"
    TOO_EARLY = "too_early"
    TOO_LATE = "too_late"
    NOT_ELIGIBLE = "not_eligible"
    CONFLICT = "conflict"
    TOO_MANY_REQUESTS = "too_many_requests"
    UNAVAILABLE = "unavailable"


# A citizen reads these on a kiosk: plain, polite, actionable.
ERROR_MESSAGES_ZH: dict[ErrorCode, str] = {
    ErrorCode.SERVICE_CLOSED: "该业务当前不在办理时间，请留意开放时间。",
    ErrorCode.CUTOFF_PASSED: "今日该业务已停止取号，请明天再来。",
    ErrorCode.DAILY_CAP_REACHED: "今日该业务号源已取完，请明天再来或预约办理。",
    ErrorCode.ID_DAILY_LIMIT: "您今日在该业务的取号次数已达上限。",
    ErrorCode.UNKNOWN_SERVICE: "未找到该业务，请重新选择。",
    ErrorCode.QUEUE_EMPTY: "当前没有等候的号码。",
    ErrorCode.BAD_REQUEST: "请求有误，请重试或咨询导办台。",
    ErrorCode.NOT_AUTHORIZED: "无权进行此操作。",
    ErrorCode.INTERNAL: "系统繁忙，请稍后重试或咨询导办台。",
    ErrorCode.NOT_FOUND: "未找到相关记录。",
    ErrorCode.INVALID_STATE: "当前状态下不能进行此操作。",
    ErrorCode.TOO_EARLY: "尚未到预约签到时间，请稍后再签到。",
    ErrorCode.TOO_LATE: "已超过预约签到时间，您可以取普通号办理。",
    ErrorCode.NOT_ELIGIBLE: "不符合办理条件。",
    ErrorCode.CONFLICT: "操作冲突，请刷新后重试。",
    ErrorCode.TOO_MANY_REQUESTS: "请求过于频繁，请稍后再试。",
    ErrorCode.UNAVAILABLE: "系统暂时无法访问数据，请稍后重试或咨询导办台。",
}
