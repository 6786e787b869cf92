"""Opening the case (办件) a finished visit turns into: number, type, deadline, return-visit link.

Casework (``cases.py``) adds the details, documents and co-department parts; the ticket keeps its
number.
"""

from __future__ import annotations

import re

from sqlmodel import select

from queue_server.domain.cases import CaseType, deadline_for, format_case_number
from queue_server.services.casework import materials
from queue_server.services.engine.tx import Tx
from queue_server.store.counters import next_hall_seq
from queue_server.store.tables import Case, Matter, Ticket

_NOT_CODE = re.compile(r"[^A-Z0-9]")


def open_case(tx: Tx, ticket: Ticket, case_type: CaseType) -> Case:
    matter = None if ticket.matter_id is None else tx.session.get(Matter, ticket.matter_id)
    day = tx.today
    seq = next_hall_seq(tx.session, tx.hall_id, f"case:{day:%Y%m%d}")
    promised = 0 if matter is None or matter.promised_days is None else matter.promised_days
    first = None
    if ticket.return_for is not None:
        first = tx.session.exec(
            select(Case).where(Case.hall_id == tx.hall_id, Case.case_number == ticket.return_for)
        ).first()
    case = Case(
        hall_id=tx.hall_id,
        ticket_id=ticket.id,
        case_number=format_case_number(_hall_code(tx.hall.code), day, seq),
        case_type=case_type.value,
        matter_id=ticket.matter_id,
        department_id=None if matter is None else matter.department_id,
        accepted_on=day,
        deadline=deadline_for(case_type, day, promised, tx.calendar),
        return_for_case_id=None if first is None else first.id,
        created_at=tx.now,
    )
    tx.session.add(case)
    materials.attach_to_case(tx, ticket, case)  # the pages captured at the kiosk
    return case


def _hall_code(code: str) -> str:
    # Case numbers allow letters and digits only ("gy-xian" -> "GYXIAN").
    return _NOT_CODE.sub("", code.upper())[:16] or "HALL"
