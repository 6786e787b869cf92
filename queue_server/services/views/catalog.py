"""The public catalogue: services and the published matters with their eight disclosures."""

from __future__ import annotations

import hashlib
import json

from sqlmodel import col, select

from queue_server.protocol.messages import CatalogResult, Disclosures, MaterialLine, MatterInfo
from queue_server.services.engine.tx import Tx
from queue_server.services.queue import reads
from queue_server.services.views.snapshots import service_infos
from queue_server.store.tables import Department, Material, Matter, Service


def catalog(tx: Tx, etag: str | None) -> CatalogResult:
    """Everything a kiosk shows; ``not_modified`` (and no lists) when the caller's etag is current.

    The etag covers the stable content (services, matters, materials), not the live counts.
    """
    matters = _matter_infos(tx)
    services = tx.session.exec(
        select(Service.code, Service.name, Service.description).where(
            Service.hall_id == tx.hall_id, col(Service.active)
        )
    ).all()
    digest = hashlib.sha256(
        json.dumps(
            {
                "hall": tx.hall.name,
                "services": sorted([code, name, description] for code, name, description in services),
                "matters": [m.model_dump(mode="json") for m in matters],
            },
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()[:20]
    if etag == digest:
        return CatalogResult(etag=digest, not_modified=True, hall_name=tx.hall.name)
    waiting = reads.waiting_counts(tx.conn, tx.hall_id, tx.today)
    serving = reads.serving_windows(tx.conn, tx.hall_id)
    descriptions = {code: description for code, _, description in services}
    infos = [
        info.model_copy(update={"description": descriptions.get(info.code, "")})
        for info in service_infos(tx, waiting, serving)
    ]
    return CatalogResult(etag=digest, hall_name=tx.hall.name, services=infos, matters=matters)


def _matter_infos(tx: Tx) -> list[MatterInfo]:
    rows = tx.session.exec(
        select(Matter, Service.code, Department.name)
        .join(Service, col(Service.id) == col(Matter.service_id))
        .outerjoin(Department, col(Department.id) == col(Matter.department_id))
        .where(Matter.hall_id == tx.hall_id, col(Matter.published))
        .order_by(col(Matter.code), col(Matter.version).desc())
    ).all()
    newest: dict[str, tuple[Matter, str, str | None]] = {}
    for matter, service_code, department in rows:
        newest.setdefault(matter.code, (matter, service_code, department))
    ids = [m.id for m, _, _ in newest.values()]
    materials: dict[int, list[MaterialLine]] = {}
    for material in tx.session.exec(
        select(Material)
        .where(col(Material.matter_id).in_(ids))
        .order_by(col(Material.position), col(Material.id))
    ):
        materials.setdefault(material.matter_id, []).append(
            MaterialLine(
                code=material.code, name=material.name, required=material.required, note=material.note
            )
        )
    return [
        MatterInfo(
            code=matter.code,
            name=matter.name,
            service=service_code,
            department=department or "",
            case_type=matter.case_type,
            promised_days=matter.promised_days,
            pinyin_initials=matter.pinyin_initials,
            disclosures=Disclosures(
                content=matter.content,
                legal_basis=matter.legal_basis,
                conditions=matter.conditions,
                materials=materials.get(matter.id or 0, []),
                procedure=matter.procedure,
                time_limit=matter.time_limit or _promised(matter.promised_days),
                fees=matter.fees,
                result=matter.result,
            ),
        )
        for matter, service_code, department in newest.values()
    ]


def _promised(days: int | None) -> str:
    return "" if days is None else ("即时办结" if days == 0 else f"{days}个工作日")
