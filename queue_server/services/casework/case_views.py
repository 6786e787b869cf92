"""Reading cases: a case as the console shows it, its brief, its deadline state, the promised-case lists."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from queue_server.domain.alerts import AlertKind, AlertRules, OpenCase, SupervisionSnapshot, evaluate
from queue_server.domain.cases import CaseType, deadline_for
from queue_server.domain.masking import mask_name
from queue_server.services.casework import documents
from queue_server.services.casework.cases import NO_MATTER, department_by_code, is_closed
from queue_server.services.casework.models import (
    CaseBrief,
    CasePartInfo,
    CaseView,
    DepartmentCases,
    MissingInfo,
    PromisedCase,
    PromisedCases,
)
from queue_server.services.engine.tx import Tx, pk
from queue_server.store.tables import Case, Department, Material, Matter, Staff, Ticket, Window
from queue_server.store.tables.casework import (
    PART_PENDING,
    CaseDetail,
    CaseMissingMaterial,
    CasePart,
    CaseReturnReason,
)


def due_state(tx: Tx, case: Case) -> tuple[str, str]:
    """(state, message): closed | overdue | due_soon | on_track | none, by the supervision rule."""
    if is_closed(case):
        return "closed", ""
    if case.deadline is None:
        return "none", ""
    snapshot = SupervisionSnapshot(open_cases=[OpenCase(case.case_number, case.deadline)])
    alerts = evaluate(snapshot, tx.now, tx.calendar, AlertRules(tz=tx.zone))
    if not alerts:
        return "on_track", ""
    alert = alerts[0]
    return ("overdue" if alert.kind is AlertKind.CASE_OVERDUE else "due_soon"), alert.message_zh


def brief(tx: Tx, case: Case) -> CaseBrief:
    matter = None if case.matter_id is None else tx.session.get(Matter, case.matter_id)
    ticket = None if case.ticket_id is None else tx.session.get(Ticket, case.ticket_id)
    missing = tx.session.exec(
        select(CaseMissingMaterial.name)
        .where(CaseMissingMaterial.case_id == case.id)
        .order_by(col(CaseMissingMaterial.position))
    ).all()
    case_type = CaseType(case.case_type)
    return CaseBrief(
        case_number=case.case_number,
        case_type=case_type.value,
        case_type_label=case_type.label_zh,
        accepted_on=case.accepted_on,
        deadline=case.deadline,
        closed=is_closed(case),
        matter_name=NO_MATTER if matter is None else matter.name,
        ticket=None if ticket is None else ticket.number,
        missing=list(missing),
    )


def case_view(tx: Tx, case: Case) -> CaseView:
    session = tx.session
    case_type = CaseType(case.case_type)
    detail = session.get(CaseDetail, pk(case))
    matter = None if case.matter_id is None else session.get(Matter, case.matter_id)
    department = None if case.department_id is None else session.get(Department, case.department_id)
    ticket = None if case.ticket_id is None else session.get(Ticket, case.ticket_id)
    window_id = detail.window_id if detail is not None else (ticket.window_id if ticket else None)
    staff_id = detail.staff_id if detail is not None else (ticket.staff_id if ticket else None)
    window = None if window_id is None else session.get(Window, window_id)
    staff = None if staff_id is None else session.get(Staff, staff_id)
    state, _message = due_state(tx, case)
    first = None if case.return_for_case_id is None else session.get(Case, case.return_for_case_id)
    returns = session.exec(
        select(Case.case_number).where(Case.return_for_case_id == case.id).order_by(col(Case.id))
    ).all()
    return CaseView(
        case_number=case.case_number,
        case_type=case_type.value,
        case_type_label=case_type.label_zh,
        accepted=case_type.accepted,
        accepted_on=case.accepted_on,
        deadline=case.deadline,
        due_state=state,
        closed_at=None if case.closed_at is None else case.closed_at.timestamp(),
        matter=None if matter is None else matter.code,
        matter_name=NO_MATTER if matter is None else matter.name,
        department=None if department is None else department.code,
        department_name="" if department is None else department.name,
        ticket=None if ticket is None else ticket.number,
        window=None if window is None else window.number,
        staff=None if staff is None else staff.name,
        applicant="" if detail is None else mask_name(detail.applicant_name),
        result="" if detail is None else detail.result,
        approval_authority="" if detail is None else detail.approval_authority,
        special_reason="" if detail is None else detail.special_reason,
        note="" if detail is None else detail.note,
        parts=_parts(tx, case),
        missing=_missing(tx, case),
        reasons=list(
            session.exec(
                select(CaseReturnReason.reason)
                .where(CaseReturnReason.case_id == case.id)
                .order_by(col(CaseReturnReason.position))
            ).all()
        ),
        documents=documents.document_infos(tx, pk(case)),
        return_for=None if first is None else first.case_number,
        returns=list(returns),
        has_details=detail is not None,
    )


def _parts(tx: Tx, case: Case) -> list[CasePartInfo]:
    rows = tx.session.exec(
        select(CasePart, Department)
        .join(Department, col(Department.id) == col(CasePart.department_id))
        .where(CasePart.case_id == case.id)
        .order_by(col(CasePart.id))
    ).all()
    infos = []
    for part, department in rows:
        done_by = None if part.done_by_id is None else tx.session.get(Staff, part.done_by_id)
        infos.append(
            CasePartInfo(
                department=department.code,
                department_name=department.name,
                state=part.state,
                done_at=None if part.done_at is None else part.done_at.timestamp(),
                done_by=None if done_by is None else done_by.name,
                note=part.note,
            )
        )
    return infos


def _missing(tx: Tx, case: Case) -> list[MissingInfo]:
    rows = tx.session.exec(
        select(CaseMissingMaterial, Material.code)
        .outerjoin(Material, col(Material.id) == col(CaseMissingMaterial.material_id))
        .where(CaseMissingMaterial.case_id == case.id)
        .order_by(col(CaseMissingMaterial.position))
    ).all()
    return [MissingInfo(code=code, name=m.name, requirement=m.requirement) for m, code in rows]


def earlier_cases(tx: Tx, ticket: Ticket, limit: int = 10) -> list[CaseBrief]:
    """Cases of the same citizen (same ID hash) for the same matter (any version), newest first."""
    if ticket.id_hash is None or ticket.matter_id is None:
        return []
    matter = tx.session.get(Matter, ticket.matter_id)
    if matter is None:
        return []
    same_matter = select(Matter.id).where(Matter.hall_id == tx.hall_id, Matter.code == matter.code)
    rows = tx.session.exec(
        select(Case)
        .join(Ticket, col(Ticket.id) == col(Case.ticket_id))
        .where(
            Case.hall_id == tx.hall_id,
            Ticket.id_hash == ticket.id_hash,
            Ticket.id != ticket.id,
            col(Case.matter_id).in_(same_matter),
        )
        .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        .limit(limit)
    ).all()
    return [brief(tx, case) for case in rows]


def deadline_previews(tx: Tx, matter: Matter | None) -> dict[str, date | None]:
    """The deadline each case type would get if the visit were finished now."""
    promised = 0 if matter is None or matter.promised_days is None else matter.promised_days
    return {t.value: deadline_for(t, tx.today, promised, tx.calendar) for t in CaseType}


def promised_cases(tx: Tx, department_code: str | None = None) -> PromisedCases:
    """Timed cases not yet closed, per (lead) department: overdue, due soon, and the rest."""
    timed = [t.value for t in CaseType if t.has_deadline]
    stmt = (
        select(Case)
        .where(
            Case.hall_id == tx.hall_id,
            col(Case.closed_at).is_(None),
            col(Case.deadline).is_not(None),
            col(Case.case_type).in_(timed),
        )
        .order_by(col(Case.deadline), col(Case.id))
    )
    if department_code is not None:
        stmt = stmt.where(Case.department_id == pk(department_by_code(tx, department_code)))
    groups: dict[int | None, dict[str, list[PromisedCase]]] = {}
    for case in tx.session.exec(stmt).all():
        assert case.deadline is not None
        state, message = due_state(tx, case)
        overdue = tx.calendar.working_days_between(case.deadline, tx.today) if state == "overdue" else 0
        pending = tx.session.exec(
            select(CasePart.id).where(CasePart.case_id == case.id, CasePart.state == PART_PENDING)
        ).all()
        matter = None if case.matter_id is None else tx.session.get(Matter, case.matter_id)
        item = PromisedCase(
            case_number=case.case_number,
            case_type_label=CaseType(case.case_type).label_zh,
            matter_name=NO_MATTER if matter is None else matter.name,
            accepted_on=case.accepted_on,
            deadline=case.deadline,
            state=state,
            overdue_working_days=overdue,
            message=message,
            parts_pending=len(pending),
        )
        bucket = {"overdue": "overdue", "due_soon": "due"}.get(state, "pending")
        groups.setdefault(case.department_id, {"overdue": [], "due": [], "pending": []})[bucket].append(item)
    result = []
    for department_id, lists in groups.items():
        department = None if department_id is None else tx.session.get(Department, department_id)
        result.append(
            DepartmentCases(
                department="" if department is None else department.code,
                department_name="（未指定部门）" if department is None else department.name,
                overdue=lists["overdue"],
                due=lists["due"],
                pending=lists["pending"],
            )
        )
    result.sort(key=lambda d: (-len(d.overdue), -len(d.due), d.department))
    return PromisedCases(today=tx.today, departments=result)
