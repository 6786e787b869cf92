"""Tickets and window documents as ESC/POS bytes: pure functions of plain data and a paper layout."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from devices.codes import notice_payload
from devices.escpos.builder import EscposBuilder
from devices.escpos.commands import Align
from devices.escpos.layout import ChineseMode, PaperLayout
from devices.escpos.text import display_width
from devices.printer.documents import NoticePrint, ReceiptPrint, RejectionPrint, TicketPrint
from devices.privacy import mask_name

# √ and □ are in GB2312 (A1CC, A1F5), so every Chinese font ROM has them; ✓ and ☐ are not. The
# image font (WenQuanYi Micro Hei) draws ✓ but has no ☐.
CHECKED = {ChineseMode.NATIVE: "√", ChineseMode.IMAGE: "✓"}
UNCHECKED = "□"

TICKET_QR_CAPTION = "微信扫码查看排队进度"
NOTICE_QR_CAPTION = "补齐材料后凭此码在自助机取号"
RECEIPT_QR_CAPTION = "扫码查询办理进度"
SEAL_LINES = 4


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _datetime_text(value: datetime, zone: str) -> str:
    local = value.astimezone(_zone(zone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _date_text(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _window_text(window: str) -> str:
    return f"{window}号窗口" if window.isdigit() else window


def _title(b: EscposBuilder, text: str) -> None:
    """A heading: double size when it fits the paper, bold at normal size when not."""
    scale = 2 if display_width(text) <= b.layout.columns // 2 else 1
    b.style(align=Align.CENTER, bold=True, scale=scale).text(text)
    b.style()


def _hall_heading(ticket: TicketPrint, columns: int) -> str:
    """The hall's full name when it fits at double size, else its short name when that does."""
    short = ticket.hall_short_name
    if display_width(ticket.hall_name) <= columns // 2 or not short or display_width(short) > columns // 2:
        return ticket.hall_name
    return short


def render_ticket(ticket: TicketPrint, layout: PaperLayout) -> bytes:
    """The queue ticket a kiosk prints."""
    b = EscposBuilder(layout).init()
    _title(b, _hall_heading(ticket, layout.columns))
    b.style(align=Align.CENTER).text(ticket.service_name)
    b.style(align=Align.CENTER, bold=True, scale=2).line(ticket.number)
    if ticket.priority:
        b.style(align=Align.CENTER, bold=True).line(f"【优先】{ticket.priority_label or ''}")
    if ticket.appointment:
        b.style(align=Align.CENTER, bold=True).line("【预约】")
    b.style()
    if ticket.matter_name:
        b.pair("办理事项：", ticket.matter_name)
    b.style(bold=True).line(f"前面还有 {ticket.people_ahead} 人")
    if ticket.estimated_wait_min is not None:
        b.line(f"预计等候约 {ticket.estimated_wait_min} 分钟")
    b.style().pair("取号时间：", _datetime_text(ticket.issued_at, ticket.time_zone))
    if ticket.materials:
        b.rule()
        b.style(bold=True).line("请备齐以下材料：")
        b.style()
        checked = CHECKED[layout.chinese_mode]
        for item in ticket.materials:
            mark = checked if item.checked else UNCHECKED
            extra = f"（{item.note}）" if item.note else ""
            optional = "（如有）" if not item.required else ""
            b.text(f"{item.name}{extra}{optional}", first_prefix=f"{mark} ", next_prefix="   ")
        b.line(f"{checked} 已在取号机确认  {UNCHECKED} 请核对")
    b.rule()
    if ticket.citizen_url:
        b.qr(ticket.citizen_url)
        b.style(align=Align.CENTER).text(TICKET_QR_CAPTION)
        b.style()
    for notice in ticket.notices:
        b.text(notice)
    if ticket.hall_address or ticket.hall_phone:
        b.rule()
        if ticket.hall_address:
            b.pair("地址：", ticket.hall_address)
        if ticket.hall_phone:
            b.pair("电话：", ticket.hall_phone)
    return b.cut().build()


def _seal(b: EscposBuilder, issuer: str, day: date) -> None:
    """The seal field (盖章处): room for a round seal over the issuer's name and the date."""
    b.feed(1).style(align=Align.RIGHT).text(f"{issuer}（盖章处）")
    b.feed(SEAL_LINES)
    b.line(_date_text(day))
    b.style()


def _local_date(value: datetime, zone: str) -> date:
    return value.astimezone(_zone(zone)).date()


def render_acceptance_receipt(receipt: ReceiptPrint, layout: PaperLayout) -> bytes:
    """受理凭证."""
    b = EscposBuilder(layout).init()
    _title(b, "受理凭证")
    b.style(align=Align.CENTER).text(receipt.hall_name)
    b.style().rule()
    b.pair("办件编号：", receipt.case_no)
    b.pair("受理时间：", _datetime_text(receipt.accepted_at, receipt.time_zone))
    b.pair("事项名称：", receipt.matter_name)
    if receipt.case_type:
        b.pair("办件类型：", receipt.case_type)
    if receipt.applicant_name.strip():
        b.pair("申 请 人：", mask_name(receipt.applicant_name))
    if receipt.applicant_id_masked:
        b.pair("证件号码：", receipt.applicant_id_masked)
    b.pair("承办部门：", receipt.department)
    if receipt.co_departments:
        b.pair("协办部门：", "、".join(receipt.co_departments))
    if receipt.window:
        b.pair("受理窗口：", _window_text(receipt.window))
    if receipt.promised_days is not None:
        b.pair("承诺时限：", f"{receipt.promised_days}个工作日")
    if receipt.deadline is not None:
        b.style(bold=True).pair("办结期限：", _date_text(receipt.deadline))
        b.style()
    if receipt.materials_received:
        b.line("收取材料：")
        for i, name in enumerate(receipt.materials_received, 1):
            b.text(name, first_prefix=f"{i}. ", next_prefix="   ")
    if receipt.contact_phone:
        b.pair("咨询电话：", receipt.contact_phone)
    b.rule()
    b.text("本凭证是申请已被受理的书面凭证，请妥善保管，领取结果时出示。")
    if receipt.query_url:
        b.qr(receipt.query_url)
        b.style(align=Align.CENTER).text(RECEIPT_QR_CAPTION)
        b.style()
    _seal(b, receipt.department, _local_date(receipt.accepted_at, receipt.time_zone))
    return b.cut().build()


def render_missing_materials_notice(notice: NoticePrint, layout: PaperLayout) -> bytes:
    """一次性告知书: all missing materials, the legal basis, how to come back, and the return QR."""
    b = EscposBuilder(layout).init()
    _title(b, "一次性告知书")
    b.style(align=Align.CENTER).text(notice.hall_name)
    b.style().rule()
    b.pair("告知书编号：", notice.case_no)
    if notice.applicant_name.strip():
        b.pair("申 请 人：", mask_name(notice.applicant_name))
    b.pair("申请事项：", notice.matter_name)
    b.pair("告知时间：", _datetime_text(notice.issued_at, notice.time_zone))
    b.rule()
    b.text(f"您申请办理的“{notice.matter_name}”，尚需补正以下全部材料（共{len(notice.missing)}项）：")
    for i, item in enumerate(notice.missing, 1):
        extra = f"：{item.requirement}" if item.requirement else ""
        b.text(f"{item.name}{extra}", first_prefix=f"{i}. ", next_prefix="   ")
    if notice.legal_basis:
        b.style(bold=True).line("依据：")
        b.style()
        for basis in notice.legal_basis:
            b.text(basis, first_prefix="· ", next_prefix="  ")
    b.style(bold=True).line("补正办理：")
    b.style().text(notice.return_instructions)
    if notice.window:
        b.pair("办理窗口：", _window_text(notice.window))
    if notice.contact_phone:
        b.pair("咨询电话：", notice.contact_phone)
    b.qr(notice.return_qr or notice_payload(notice.case_no))
    b.style(align=Align.CENTER).text(NOTICE_QR_CAPTION)
    b.style()
    _seal(b, notice.department, _local_date(notice.issued_at, notice.time_zone))
    return b.cut().build()


def render_rejection_notice(rejection: RejectionPrint, layout: PaperLayout) -> bytes:
    """不予受理通知书: reasons, legal basis, date and the citizen's remedies."""
    b = EscposBuilder(layout).init()
    _title(b, "不予受理通知书")
    b.style(align=Align.CENTER).text(rejection.hall_name)
    b.style().rule()
    b.pair("通知书编号：", rejection.case_no)
    if rejection.applicant_name.strip():
        b.pair("申 请 人：", mask_name(rejection.applicant_name))
    b.pair("申请事项：", rejection.matter_name)
    b.pair("决定时间：", _datetime_text(rejection.rejected_at, rejection.time_zone))
    b.rule()
    b.text(f"您申请办理的“{rejection.matter_name}”，经审查，决定不予受理。理由如下：")
    for i, reason in enumerate(rejection.reasons, 1):
        b.text(reason, first_prefix=f"{i}. ", next_prefix="   ")
    if rejection.legal_basis:
        b.style(bold=True).line("依据：")
        b.style()
        for basis in rejection.legal_basis:
            b.text(basis, first_prefix="· ", next_prefix="  ")
    if rejection.window:
        b.pair("办理窗口：", _window_text(rejection.window))
    b.text(rejection.remedy)
    _seal(b, rejection.department, _local_date(rejection.rejected_at, rejection.time_zone))
    return b.cut().build()
