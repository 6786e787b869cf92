"""Cases (办件) at the window: finishing a visit as one of the seven case types with its details,
joint-case parts, closing, the promised-case lists, and a case as the console shows it.

``finish`` wraps the core's ``windows.finish`` (which numbers the case) in the same transaction and
records what the case type needs: the result issued (即办件), co-department parts (联办件), the
approving authority (报批件), the reasons (退回件), the missing materials chosen from the matter's list
(补办件), the special reason (特办件); then issues the documents. Anything invalid rolls it all back.
"""

from __future__ import annotations

from sqlmodel import col, select

from queue_server.domain.cases import CaseType, outcome_from_code
from queue_server.errors import BadRequestError, InvalidStateError, NotAuthorizedError, NotFoundError
from queue_server.protocol.messages import WindowOpResult
from queue_server.services.casework import documents, materials
from queue_server.services.casework.models import (
    CaseRequest,
)
from queue_server.services.engine.access import SUPERVISORS
from queue_server.services.engine.lookup import staff_by_login
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.ports import Actor, Role
from queue_server.services.queue import windows
from queue_server.store.tables import Case, Department, Material, Matter, Staff, Ticket, Window
from queue_server.store.tables.casework import (
    PART_DONE,
    PART_PENDING,
    CaseDetail,
    CaseMissingMaterial,
    CasePart,
    CaseReturnReason,
)

NO_MATTER = "（未指定事项）"

# The case types finished at the window itself: nothing is left to do once the visit ends.
_DONE_AT_WINDOW = frozenset({CaseType.IMMEDIATE, CaseType.RETURNED, CaseType.SUPPLEMENT})


def parse_case_type(code: str) -> CaseType:
    try:
        return outcome_from_code(code)
    except ValueError as exc:
        raise BadRequestError("未知的办件类型。", field="case_type", reason=str(exc)) from None


def finish(tx: Tx, window_no: str, request: CaseRequest, actor: Actor) -> tuple[WindowOpResult, Case]:
    """Finish the window's visit as a case with its details and documents, in one transaction."""
    case_type = parse_case_type(request.case_type)
    op = windows.finish(tx, window_no, case_type.value, actor)
    assert op.ticket is not None and op.ticket.case_number is not None  # finish with an outcome opens one
    case = case_by_number(tx, op.ticket.case_number)
    ticket = None if case.ticket_id is None else tx.session.get(Ticket, case.ticket_id)
    window = tx.session.exec(
        select(Window).where(Window.hall_id == tx.hall_id, Window.number == window_no)
    ).one()
    apply_details(tx, case, request, ticket=ticket, window=window, staff_id=window.staff_id)
    return op, case


def add_details(tx: Tx, case_number: str, request: CaseRequest, actor: Actor) -> Case:
    """Record the details of a case finished without them (from a window keypad): once."""
    case = case_by_number(tx, case_number, lock=True)
    if tx.session.get(CaseDetail, pk(case)) is not None:
        raise InvalidStateError("该办件已登记办理信息。", case=case_number)
    if parse_case_type(request.case_type).value != case.case_type:
        raise BadRequestError("办件类型与办结时不一致。", field="case_type", expected=case.case_type)
    ticket = None if case.ticket_id is None else tx.session.get(Ticket, case.ticket_id)
    staff = _acting_staff(tx, actor)
    if actor.role not in SUPERVISORS and (ticket is None or ticket.staff_id != staff.id):
        raise NotAuthorizedError("只有受理该办件的工作人员或值班长可以补登。", case=case_number)
    window = None if ticket is None or ticket.window_id is None else tx.session.get(Window, ticket.window_id)
    apply_details(tx, case, request, ticket=ticket, window=window, staff_id=staff.id)
    return case


def apply_details(
    tx: Tx,
    case: Case,
    request: CaseRequest,
    *,
    ticket: Ticket | None,
    window: Window | None,
    staff_id: int | None,
) -> CaseDetail:
    """Validate and store what the case type needs, then issue its documents."""
    case_type = CaseType(case.case_type)
    _refuse_irrelevant(case_type, request)
    matter = None if case.matter_id is None else tx.session.get(Matter, case.matter_id)
    detail = CaseDetail(
        case_id=pk(case),
        hall_id=tx.hall_id,
        window_id=None if window is None else window.id,
        staff_id=staff_id,
        applicant_name=request.applicant_name.strip(),
        approval_authority=request.approval_authority.strip(),
        note=request.note.strip(),
    )
    if case_type is CaseType.IMMEDIATE:
        detail.result = request.result.strip() or ("" if matter is None else matter.result)
    elif case_type is CaseType.JOINT:
        _joint_parts(tx, case, matter, request)
    elif case_type is CaseType.RETURNED:
        _return_reasons(tx, case, request.reasons)
    elif case_type is CaseType.SUPPLEMENT:
        # A material with a page the window marked wrong is missing too: the notice names the page.
        wrong = [p.material for p in materials.wrong_pages(tx, ticket)]
        _missing_materials(tx, case, matter, [*request.missing_materials, *wrong])
    elif case_type is CaseType.SPECIAL:
        reason = request.special_reason.strip() or ((ticket.special_reason or "") if ticket else "")
        detail.special_reason = reason
    if case_type in _DONE_AT_WINDOW and case.closed_at is None:
        case.closed_at = tx.now
        detail.closed_by_id = staff_id
    tx.session.add(detail)
    tx.session.flush()
    issued = documents.issue_for_case(tx, case, detail, ticket)
    tx.event(
        "case_details",
        ticket=ticket,
        window=window,
        staff_id=staff_id,
        case_number=case.case_number,
        case_type=case_type.value,
        documents=[d.kind for d in issued],
        missing=request.missing_materials,
        co_departments=request.co_departments,
        reasons=len(request.reasons),
    )
    return detail


def _refuse_irrelevant(case_type: CaseType, request: CaseRequest) -> None:
    lists = {
        "co_departments": (request.co_departments, CaseType.JOINT),
        "reasons": (request.reasons, CaseType.RETURNED),
        "missing_materials": (request.missing_materials, CaseType.SUPPLEMENT),
    }
    for name, (values, owner) in lists.items():
        if values and case_type is not owner:
            raise BadRequestError(f"{case_type.label_zh}不填写该项。", field=name)


def _joint_parts(tx: Tx, case: Case, matter: Matter | None, request: CaseRequest) -> None:
    # The window may name the co-departments; else the catalogue's (hall file matter.co_departments).
    named = request.co_departments or ([] if matter is None else matter.co_departments)
    codes = list(dict.fromkeys(code.strip() for code in named if code.strip()))
    if not codes:
        raise BadRequestError("联办件须至少选择一个协办部门。", field="co_departments")
    lead: Department | None
    if request.lead_department:
        lead = department_by_code(tx, request.lead_department)
    else:
        lead = None if case.department_id is None else tx.session.get(Department, case.department_id)
    if lead is None:
        raise BadRequestError("联办件须指定牵头（受理）部门。", field="lead_department")
    co = [department_by_code(tx, code) for code in codes]
    if any(d.id == lead.id for d in co):
        raise BadRequestError("协办部门不能是牵头部门。", field="co_departments")
    case.department_id = lead.id
    case.co_departments = [pk(d) for d in co]
    for department in co:
        tx.session.add(
            CasePart(case_id=pk(case), department_id=pk(department), state=PART_PENDING, created_at=tx.now)
        )


def _return_reasons(tx: Tx, case: Case, reasons: list[str]) -> None:
    cleaned = [r.strip() for r in reasons if r.strip()]
    if not cleaned:
        raise BadRequestError("退回件须填写退回（不予受理）理由。", field="reasons")
    for position, reason in enumerate(cleaned):
        if len(reason) > 500:
            raise BadRequestError("理由过长。", field="reasons")
        tx.session.add(CaseReturnReason(case_id=pk(case), position=position, reason=reason))


def _missing_materials(tx: Tx, case: Case, matter: Matter | None, codes: list[str]) -> None:
    if matter is None:
        raise BadRequestError("该号票未关联办理事项，无法从材料清单选择缺件。", field="missing_materials")
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        raise BadRequestError("补办件须从材料清单中选择缺少的材料。", field="missing_materials")
    listed = {
        m.code: m
        for m in tx.session.exec(
            select(Material).where(Material.matter_id == matter.id).order_by(col(Material.position))
        )
    }
    unknown = [code for code in wanted if code not in listed]
    if unknown:
        raise BadRequestError("所选材料不在该事项的材料清单中。", field="missing_materials", unknown=unknown)
    # Listed in the catalogue's order, whatever order they were ticked in.
    order = {code: i for i, code in enumerate(listed)}
    for position, code in enumerate(sorted(wanted, key=order.__getitem__)):
        material = listed[code]
        tx.session.add(
            CaseMissingMaterial(
                case_id=pk(case),
                position=position,
                material_id=material.id,
                name=material.name,
                requirement=material.note,
            )
        )


def department_by_code(tx: Tx, code: str) -> Department:
    department = tx.session.exec(
        select(Department).where(Department.hall_id == tx.hall_id, Department.code == code)
    ).first()
    if department is None:
        raise BadRequestError(f"未找到部门 {code}。", field="department", department=code)
    return department


# --- after the window: parts, closing -----------------------------------------------------------


def complete_part(tx: Tx, case_number: str, department_code: str, note: str, actor: Actor) -> Case:
    """A co-department reports its part of a joint case done."""
    case = case_by_number(tx, case_number, lock=True)
    department = department_by_code(tx, department_code)
    part = tx.session.exec(
        select(CasePart).where(CasePart.case_id == case.id, CasePart.department_id == department.id)
    ).first()
    if part is None:
        raise NotFoundError("该部门不是此联办件的协办部门。", what="case_part", department=department_code)
    if part.state == PART_DONE:
        raise InvalidStateError("该协办部门已办结。", department=department_code)
    staff = _acting_staff(tx, actor)
    _require_department(tx, actor, staff, pk(department))
    part.state = PART_DONE
    part.done_at = tx.now
    part.done_by_id = staff.id
    part.note = note.strip()
    tx.event("case_part_done", staff_id=staff.id, case_number=case.case_number, department=department_code)
    return case


def close_case(tx: Tx, case_number: str, result: str, actor: Actor) -> Case:
    """办结: the lead department finishes a timed case; a joint case only once every part is done."""
    case = case_by_number(tx, case_number, lock=True)
    if is_closed(case):
        raise InvalidStateError("该办件已办结。", case=case_number)
    staff = _acting_staff(tx, actor)
    detail = tx.session.get(CaseDetail, pk(case))
    handled_it = detail is not None and detail.staff_id == staff.id
    if not handled_it and case.department_id is not None:
        _require_department(tx, actor, staff, case.department_id)
    pending = tx.session.exec(
        select(CasePart).where(CasePart.case_id == case.id, CasePart.state == PART_PENDING)
    ).all()
    if pending:
        raise InvalidStateError("协办部门尚未全部办结。", case=case_number, pending=len(pending))
    if detail is None:
        detail = CaseDetail(case_id=pk(case), hall_id=tx.hall_id)
        tx.session.add(detail)
    if result.strip():
        detail.result = result.strip()
    detail.closed_by_id = staff.id
    case.closed_at = tx.now
    overdue = case.deadline is not None and tx.today > case.deadline
    tx.event("case_closed", staff_id=staff.id, case_number=case.case_number, overdue=overdue)
    return case


def _acting_staff(tx: Tx, actor: Actor) -> Staff:
    if actor.role is Role.DEVICE:
        raise NotAuthorizedError()
    return staff_by_login(tx, actor.id)


def _require_department(tx: Tx, actor: Actor, staff: Staff, department_id: int) -> None:
    """Supervisors act for any department; staff for the department of the window they are at."""
    if actor.role in SUPERVISORS:
        return
    at = tx.session.exec(
        select(Window.department_id).where(Window.hall_id == tx.hall_id, Window.staff_id == staff.id)
    ).all()
    if department_id not in at:
        raise NotAuthorizedError("只有该部门窗口的工作人员或值班长可以办理。")


# --- reading ------------------------------------------------------------------------------------


def case_by_number(tx: Tx, number: str, *, lock: bool = False) -> Case:
    stmt = select(Case).where(Case.hall_id == tx.hall_id, Case.case_number == number)
    if lock:
        stmt = stmt.with_for_update()
    case = tx.session.exec(stmt).first()
    if case is None:
        raise NotFoundError("未找到该办件。", what="case", case=number)
    return case


def is_closed(case: Case) -> bool:
    return case.closed_at is not None or CaseType(case.case_type) in _DONE_AT_WINDOW
