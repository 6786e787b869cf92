"""The public catalog pages (政务公开): the list of published matters, one page per matter with its eight
disclosures and materials, and the hall notice with a QR code to the list. No sign-in, no script but
the print button's; printable on A4.

The content is the kiosks' own: the ``CatalogResult`` of ``catalog.get`` (``services/views/catalog.py``),
so a page and a kiosk show the same text. The disclosure labels are the kiosk's
(``DISCLOSURE_LABELS`` of the protocol, as the kiosk names them).
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from queue_server.documents.a4 import PRINT_SCRIPT
from queue_server.documents.qr import qr_svg
from queue_server.halls.catalogue import CaseType
from queue_server.protocol.messages import DISCLOSURE_LABELS, MatterInfo
from queue_server.services.catalog_admin.facade import PublicCatalog
from queue_server.services.catalog_admin.reads import CASE_TYPES_ZH

_CSS = "/static/window/public_catalog.css"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{_CSS}"></head><body>'
        '<div class="toolbar"><button type="button">打印</button></div>'
        f'<main class="sheet">{body}</main><script>{PRINT_SCRIPT}</script></body></html>\n'
    )


def _hall_lines(public: PublicCatalog) -> str:
    parts = [
        p
        for p in (public.address and f"地址：{public.address}", public.phone and f"电话：{public.phone}")
        if p
    ]
    contact = f'<p class="contact">{escape("　".join(parts))}</p>' if parts else ""
    return f'<p class="hall">{escape(public.hall_name)}</p>{contact}'


def matter_url(hall: str, code: str) -> str:
    return f"/catalog/m/{quote(code, safe='')}?hall={quote(hall, safe='')}"


def list_page(public: PublicCatalog) -> str:
    """Every published matter, grouped by service, each linking to its page."""
    names = {s.code: s.name for s in public.catalog.services}
    groups: dict[str, list[MatterInfo]] = {}
    for matter in public.catalog.matters:
        groups.setdefault(matter.service, []).append(matter)
    sections = []
    for service, matters in sorted(groups.items()):
        rows = "".join(
            f'<tr><td class="code">{escape(m.code)}</td>'
            f'<td><a href="{escape(matter_url(public.hall, m.code))}">{escape(m.name)}</a></td>'
            f"<td>{escape(m.department)}</td><td>{escape(_case_type(m.case_type))}</td>"
            f"<td>{escape(m.disclosures.time_limit)}</td></tr>"
            for m in matters
        )
        sections.append(
            f"<h2>{escape(service)} {escape(names.get(service, ''))}</h2>"
            '<table class="list"><thead><tr><th>编码</th><th>事项名称</th><th>实施部门</th><th>办件类型</th>'
            f"<th>承诺时限</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    empty = "" if sections else '<p class="empty">暂无公开事项。</p>'
    body = f"<h1>政务服务事项目录</h1>{_hall_lines(public)}{''.join(sections)}{empty}"
    return _page(f"政务服务事项目录 — {public.hall_name}", body)


def matter_page(public: PublicCatalog, code: str) -> str | None:
    """One published matter with its eight disclosures; None when no published matter has ``code``."""
    matter = next((m for m in public.catalog.matters if m.code == code), None)
    if matter is None:
        return None
    d = matter.disclosures
    rows = []
    for i, (key, label) in enumerate(DISCLOSURE_LABELS, start=1):
        value = (
            _materials(matter)
            if key == "materials"
            else f'<div class="text">{escape(str(getattr(d, key)))}</div>'
        )
        rows.append(f'<tr data-disclosure="{key}"><th>{i}. {escape(label)}</th><td>{value}</td></tr>')
    facts = (
        f'<p class="facts">事项编码：{escape(matter.code)}　实施部门：{escape(matter.department)}'
        f"　办件类型：{escape(_case_type(matter.case_type))}</p>"
    )
    home = escape(f"/catalog?hall={quote(public.hall, safe='')}")
    back = f'<p class="back"><a href="{home}">← 返回事项目录</a></p>'
    body = (
        f"{back}<h1>{escape(matter.name)}</h1>{_hall_lines(public)}{facts}"
        f'<table class="disclosures">{"".join(rows)}</table>'
    )
    return _page(f"{matter.name} — {public.hall_name}", body)


def _materials(matter: MatterInfo) -> str:
    lines = matter.disclosures.materials
    if not lines:
        return '<div class="text">无需提交材料。</div>'
    rows = "".join(
        f'<tr data-material="{escape(m.code)}"><td>{i}</td><td>{escape(m.name)}</td>'
        f"<td>{'必需' if m.required else '视情形'}</td><td>{escape(m.note)}</td></tr>"
        for i, m in enumerate(lines, start=1)
    )
    return (
        '<table class="materials"><thead><tr><th>序号</th><th>材料名称</th><th>是否必需</th>'
        f"<th>要求</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def notice_page(public: PublicCatalog, notice: str, list_url: str) -> str:
    """The hall notice for the wall (A4): the notice text and a QR code to the public catalog."""
    svg = qr_svg(list_url)
    text = f'<div class="text notice">{escape(notice)}</div>' if notice else ""
    body = (
        f"<h1>办事公告</h1>{_hall_lines(public)}{text}"
        f'<div class="qr" data-payload="{escape(list_url)}">{svg}'
        "<div>扫码查看政务服务事项目录：办理条件、申请材料、流程、时限与收费（政务公开）</div>"
        f'<div class="url">{escape(list_url)}</div></div>'
    )
    return _page(f"办事公告 — {public.hall_name}", body)


def _case_type(value: str) -> str:
    try:
        return CASE_TYPES_ZH[CaseType(value)]
    except ValueError:
        return value
