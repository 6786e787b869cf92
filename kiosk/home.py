"""Pure builders for what the home and matter screens show (no I/O, the time is passed in)."""

from __future__ import annotations

from datetime import datetime

from queue_server.protocol.messages import (
    DISCLOSURE_LABELS,
    CatalogResult,
    DeviceConfig,
    HallState,
    MaterialLine,
    MatterInfo,
    ServiceInfo,
)

from .clock import describe_opening
from .screens import CheckLine, MatterHit, Section, ServiceTile


def services_of(state: HallState | None, catalog: CatalogResult | None) -> list[ServiceInfo]:
    """The live service list (retained hall state) when there is one, else the cached catalog's."""
    if state is not None and state.services:
        return list(state.services)
    return list(catalog.services) if catalog is not None else []


def service_tiles(
    state: HallState | None,
    catalog: CatalogResult | None,
    config: DeviceConfig | None,
    now: datetime,
) -> tuple[ServiceTile, ...]:
    """One big button per service this kiosk offers, with its queue or why it is closed."""
    shown = set(config.services) if config is not None and config.services else None
    # The retained hall state carries no descriptions: the catalog's (catalog.get) are the subtitles.
    subtitles = {s.code: s.description for s in catalog.services} if catalog is not None else {}
    tiles: list[ServiceTile] = []
    for info in services_of(state, catalog):
        if shown is not None and info.code not in shown:
            continue
        waiting = state.waiting.get(info.code, info.waiting) if state is not None else info.waiting
        eta = state.eta_min.get(info.code, info.eta_min) if state is not None else info.eta_min
        text = _status(info, waiting, eta, now)
        subtitle = info.description or subtitles.get(info.code, "")
        tiles.append(ServiceTile(info.code, info.name, info.open, waiting, eta, text, subtitle))
    return tuple(tiles)


def _status(info: ServiceInfo, waiting: int, eta: int | None, now: datetime) -> str:
    if info.open:
        text = f"等候 {waiting} 人"
        return f"{text} · 约 {eta} 分钟" if eta is not None else text
    reason = info.reason or "暂停取号"
    if info.next_open is not None:
        return f"{reason} · {describe_opening(info.next_open, now)} 开始取号"
    return reason


def matter_hits(matters: list[MatterInfo], catalog: CatalogResult | None) -> tuple[MatterHit, ...]:
    names = {s.code: s.name for s in catalog.services} if catalog is not None else {}
    return tuple(MatterHit(m.code, m.name, names.get(m.service, m.service)) for m in matters)


def disclosure_sections(matter: MatterInfo) -> tuple[Section, ...]:
    d = matter.disclosures
    texts = {
        "content": d.content,
        "legal_basis": d.legal_basis,
        "conditions": d.conditions,
        "materials": materials_text(d.materials),
        "procedure": d.procedure,
        "time_limit": d.time_limit,
        "fees": d.fees,
        "result": d.result,
    }
    return tuple(Section(label, texts[key] or "无") for key, label in DISCLOSURE_LABELS)


def materials_text(lines: list[MaterialLine]) -> str:
    if not lines:
        return "无需提交材料"
    out = []
    for n, line in enumerate(lines, 1):
        kind = "必需" if line.required else "视情况提供"
        note = f"；{line.note}" if line.note else ""
        out.append(f"{n}. {line.name}（{kind}{note}）")
    return "\n".join(out)


def check_lines(matter: MatterInfo, checked: frozenset[str]) -> tuple[CheckLine, ...]:
    return tuple(
        CheckLine(m.code, m.name, m.required, m.code in checked, m.note) for m in matter.disclosures.materials
    )


def missing_required(matter: MatterInfo, checked: frozenset[str]) -> tuple[MaterialLine, ...]:
    """Every required material not ticked: the one-time notice lists ALL of them, at once."""
    return tuple(m for m in matter.disclosures.materials if m.required and m.code not in checked)
