"""The citizen page's details of a visit: whether it can still be cancelled, the materials to bring
(ticked where the kiosk's checklist was), the one-time notice (一次性告知书) if the window gave one, and
the appointment the citizen came for."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from queue_server.domain.cases import DocumentKind
from queue_server.protocol.messages import MaterialLine, TicketState
from queue_server.services.casework.documents import citizen_url
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.views.models import CitizenAppointment
from queue_server.store.tables import Appointment, Case, Material, Matter, Ticket
from queue_server.store.tables.casework import CaseDocument

_CANCELLABLE = (TicketState.WAITING.value, TicketState.HELD.value)


def details(
    tx: Tx, token: str, tickets: list[Ticket], matter: Matter | None, case: Case | None
) -> dict[str, Any]:
    """The extra fields of ``CitizenView`` (as keyword arguments)."""
    first, current = tickets[0], tickets[-1]
    return {
        "can_cancel": current.state in _CANCELLABLE,
        "materials": [] if matter is None else material_lines(tx, matter, first.materials),
        "notice_url": None if case is None else _notice_url(tx, case, token),
        "appointment": _appointment(tx, first),
    }


def material_lines(tx: Tx, matter: Matter, checked: list[str]) -> list[MaterialLine]:
    """The matter's materials in order, ticked where ``checked`` (the kiosk's checklist) has them."""
    rows = tx.session.exec(
        select(Material)
        .where(Material.matter_id == matter.id)
        .order_by(col(Material.position), col(Material.id))
    ).all()
    return [
        MaterialLine(code=m.code, name=m.name, required=m.required, checked=m.code in checked, note=m.note)
        for m in rows
    ]


def _notice_url(tx: Tx, case: Case, token: str) -> str | None:
    document = tx.session.exec(
        select(CaseDocument)
        .where(CaseDocument.case_id == case.id, CaseDocument.kind == DocumentKind.ONE_TIME_NOTICE.value)
        .order_by(col(CaseDocument.id).desc())
    ).first()
    return None if document is None else citizen_url(token, pk(document))


def _appointment(tx: Tx, ticket: Ticket) -> CitizenAppointment | None:
    if ticket.appointment_id is None:
        return None
    row = tx.session.get(Appointment, ticket.appointment_id)
    if row is None:
        return None
    return CitizenAppointment(
        code=row.code, slot_start=row.slot_start.timestamp(), slot_end=row.slot_end.timestamp()
    )
