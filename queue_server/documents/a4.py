"""The window documents as printable A4 HTML pages (pure: a content value in, a page out).

One self-contained page per document: inline CSS with ``@page { size: A4 }``, the QR code as inline
SVG, nothing fetched from elsewhere (halls run offline). The browser's print dialog makes the paper
copy or a PDF. The text says what the thermal print says, from the same stored content.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from zoneinfo import ZoneInfo

from queue_server.documents.content import (
    AnyContent,
    NoticeContent,
    ReceiptContent,
    RejectionContent,
    local_date,
)
from queue_server.documents.qr import qr_svg
from queue_server.domain.masking import mask_name

RECEIPT_NOTE = "本凭证是申请已被受理的书面凭证，请妥善保管，领取结果时出示。"
NOTICE_QR_CAPTION = "补齐材料后凭此码在大厅自助取号机取号"

# The print button's handler as a script, not an onclick attribute: the pages' Content-Security-Policy
# (api/hardening.py) allows this one inline script by its hash, and no other.
PRINT_SCRIPT = "document.querySelector('.toolbar button').addEventListener('click',()=>window.print());"

_CSS = """
@page { size: A4; margin: 20mm 18mm; }
* { box-sizing: border-box; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", sans-serif; color: #000; background: #eee; margin: 0; font-size: 12pt;
       line-height: 1.7; }
.sheet { background: #fff; width: 210mm; min-height: 297mm; margin: 10mm auto; padding: 20mm 18mm;
         box-shadow: 0 0 4mm rgba(0,0,0,.15); }
h1 { text-align: center; font-size: 22pt; letter-spacing: .3em; margin: 0 0 2mm; }
.hall { text-align: center; font-size: 13pt; margin-bottom: 6mm; }
table.fields { width: 100%; border-collapse: collapse; margin: 4mm 0; }
table.fields th { width: 30mm; text-align: left; font-weight: bold; vertical-align: top; padding: 1.5mm 2mm;
                  border: 1px solid #444; background: #f4f4f4; }
table.fields td { padding: 1.5mm 2mm; border: 1px solid #444; }
ol.items li { margin: 1mm 0; }
.lead { margin: 5mm 0 2mm; }
.basis { font-size: 11pt; }
.qr { float: right; text-align: center; width: 40mm; margin: 0 0 4mm 6mm; font-size: 9pt; }
.qr svg { width: 36mm; height: 36mm; }
.seal { margin-top: 16mm; text-align: right; }
.seal .box { display: inline-block; width: 45mm; height: 45mm; border: 1px dashed #888; border-radius: 50%;
             text-align: center; line-height: 45mm; color: #888; font-size: 10pt; }
.seal .issuer { margin-top: 3mm; }
.toolbar { text-align: center; margin: 6mm; }
.toolbar button { font-size: 14pt; padding: 2mm 8mm; }
@media print {
  body { background: #fff; }
  .sheet { margin: 0; padding: 0; box-shadow: none; width: auto; min-height: auto; }
  .toolbar { display: none; }
}
"""


def render_a4(content: AnyContent) -> str:
    """The whole HTML page of one document."""
    if isinstance(content, ReceiptContent):
        body = _receipt(content)
    elif isinstance(content, NoticeContent):
        body = _notice(content)
    else:
        body = _rejection(content)
    title = content.kind.label_zh
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} {escape(content.case_no)}</title><style>{_CSS}</style></head><body>"
        '<div class="toolbar"><button type="button">打印 / 另存为PDF</button></div>'
        f'<main class="sheet" data-kind="{escape(content.kind.value)}">'
        f"<h1>{escape(title)}</h1>"
        f'<div class="hall">{escape(content.hall_name)}</div>'
        f"{body}"
        f"{_seal(content.department, local_date(content.issued_at, content.time_zone))}"
        f"</main><script>{PRINT_SCRIPT}</script></body></html>\n"
    )


def _receipt(c: ReceiptContent) -> str:
    rows = [
        ("办件编号", c.case_no),
        ("受理时间", _datetime_text(c.issued_at, c.time_zone)),
        ("事项名称", c.matter_name),
    ]
    if c.case_type_label:
        rows.append(("办件类型", c.case_type_label))
    rows += _applicant(c.applicant_name)
    rows.append(("承办部门", c.department))
    if c.co_departments:
        rows.append(("协办部门", "、".join(c.co_departments)))
    if c.window:
        rows.append(("受理窗口", _window_text(c.window)))
    if c.promised_days is not None:
        rows.append(("承诺时限", f"{c.promised_days}个工作日"))
    if c.deadline is not None:
        rows.append(("办结期限", date_text(c.deadline)))
    html = _fields(rows)
    if c.materials_received:
        html += '<p class="lead">收取材料：</p>' + _list(c.materials_received)
    html += f"<p>{escape(RECEIPT_NOTE)}</p>"
    return html


def _notice(c: NoticeContent) -> str:
    rows = [("告知书编号", c.case_no), *_applicant(c.applicant_name)]
    rows += [("申请事项", c.matter_name), ("告知时间", _datetime_text(c.issued_at, c.time_zone))]
    if c.window:
        rows.append(("办理窗口", _window_text(c.window)))
    html = _qr(c.return_qr, NOTICE_QR_CAPTION) + _fields(rows)
    html += (
        f'<p class="lead">您申请办理的“{escape(c.matter_name)}”，尚需补正以下全部材料'
        f"（共{len(c.missing)}项）：</p>"
    )
    items = [m.name + (f"：{m.requirement}" if m.requirement else "") for m in c.missing]
    html += _list(items, css="items missing")
    if c.wrong_pages:
        html += '<p class="lead">其中以下已提交的材料页不符合要求，请重新提供：</p>'
        html += _list([p.text for p in c.wrong_pages], css="items wrong-pages")
    html += _basis(c.legal_basis)
    html += f'<p class="lead"><b>补正办理：</b></p><p>{escape(c.return_instructions)}</p>'
    return html


def _rejection(c: RejectionContent) -> str:
    rows = [("通知书编号", c.case_no), *_applicant(c.applicant_name)]
    rows += [("申请事项", c.matter_name), ("决定时间", _datetime_text(c.issued_at, c.time_zone))]
    if c.window:
        rows.append(("办理窗口", _window_text(c.window)))
    html = _fields(rows)
    html += f'<p class="lead">您申请办理的“{escape(c.matter_name)}”，经审查，决定不予受理。理由如下：</p>'
    html += _list(c.reasons, css="items reasons")
    html += _basis(c.legal_basis)
    html += f"<p>{escape(c.remedy)}</p>"
    return html


def _applicant(name: str) -> list[tuple[str, str]]:
    return [("申请人", mask_name(name))] if name.strip() else []


def _fields(rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="fields">{cells}</table>'


def _list(items: tuple[str, ...] | list[str], css: str = "items") -> str:
    return f'<ol class="{css}">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ol>"


def _basis(lines: tuple[str, ...]) -> str:
    if not lines:
        return ""
    return '<p class="lead"><b>依据：</b></p><ul class="basis">' + "".join(
        f"<li>{escape(line)}</li>" for line in lines
    ) + "</ul>"  # fmt: skip


def _qr(payload: str, caption: str) -> str:
    svg = qr_svg(payload)
    return f'<div class="qr" data-payload="{escape(payload)}">{svg}<div>{escape(caption)}</div></div>'


def _seal(issuer: str, day: date) -> str:
    return (
        '<div class="seal"><span class="box">（盖章处）</span>'
        f'<div class="issuer">{escape(issuer)}</div><div>{escape(date_text(day))}</div></div>'
    )


def _datetime_text(value: datetime, zone: str) -> str:
    local = value.astimezone(ZoneInfo(zone))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def date_text(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def _window_text(window: str) -> str:
    return f"{window}号窗口" if window.isdigit() else window
