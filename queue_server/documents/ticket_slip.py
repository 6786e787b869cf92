"""A reprinted ticket as a printable page (pure: a value in, a page out), for the guide desk.

The slip says what the kiosk's thermal ticket says: the hall, the number, the matter, the time of
issue and the citizen page's QR code. Sized for a receipt printer (80 mm) as the desk's default
printer; an A4 printer prints it at the top of the sheet. Nothing is fetched from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from queue_server.documents.a4 import PRINT_SCRIPT
from queue_server.documents.qr import qr_svg

_CSS = """
@page { size: 80mm auto; margin: 4mm; }
body { font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 0;
       background: #eee; color: #000; }
.slip { background: #fff; width: 72mm; margin: 6mm auto; padding: 4mm; text-align: center; }
h1 { font-size: 13pt; margin: 0 0 2mm; }
.number { font-size: 36pt; font-weight: 700; letter-spacing: .05em; margin: 2mm 0; }
.matter { font-size: 12pt; } .meta { font-size: 9pt; margin: 1mm 0; }
.qr svg { width: 34mm; height: 34mm; }
.reprint { font-size: 9pt; border-top: 1px dashed #000; margin-top: 2mm; padding-top: 1mm; }
.toolbar { text-align: center; margin: 4mm; } .toolbar button { font-size: 14pt; padding: 2mm 8mm; }
@media print { body { background: #fff; } .slip { margin: 0; } .toolbar { display: none; } }
"""


@dataclass(frozen=True, slots=True)
class SlipContent:
    hall_name: str
    number: str
    service_name: str
    matter_name: str | None
    issued_at: datetime
    zone: str
    citizen_url: str
    people_ahead: int | None


def render_slip(slip: SlipContent) -> str:
    issued = slip.issued_at.astimezone(ZoneInfo(slip.zone)).strftime("%Y-%m-%d %H:%M")
    qr = qr_svg(slip.citizen_url)
    ahead = "" if slip.people_ahead is None else f'<p class="meta">前面还有 {slip.people_ahead} 人</p>'
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>号票 {escape(slip.number)}</title><style>{_CSS}</style></head><body>"
        '<div class="toolbar"><button type="button">打印号票</button></div>'
        f'<main class="slip"><h1>{escape(slip.hall_name)}</h1>'
        f'<div class="number" id="slip-number">{escape(slip.number)}</div>'
        f'<div class="matter">{escape(slip.matter_name or slip.service_name)}</div>'
        f'<p class="meta">取号时间 {escape(issued)}</p>{ahead}'
        f'<div class="qr" data-payload="{escape(slip.citizen_url)}">{qr}</div>'
        '<p class="meta">扫码查看排队进度</p><p class="reprint">导办台补打</p>'
        f"</main><script>{PRINT_SCRIPT}</script></body></html>\n"
    )
