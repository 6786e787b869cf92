"""A joint case (联办件) of a catalogued joint matter names the matter's co-departments (hall file
``matter.co_departments``): in the case record, on the window's thermal receipt and on the A4 page."""

from __future__ import annotations

from sqlmodel import Session, select

from queue_server.services.casework.models import CaseRequest
from queue_server.store import tables as t
from tests.devices.escpos_decoder import texts
from tests.services.helpers import DeskHall, page_text, printer


def _co_departments(dh: DeskHall, matter: str, codes: list[str]) -> None:
    with Session(dh.hall.engine) as session, session.begin():
        row = session.exec(
            select(t.Matter).where(t.Matter.hall_id == dh.hall.hall_id, t.Matter.code == matter)
        ).one()
        row.co_departments = codes
        session.add(row)


def test_a_joint_case_takes_the_matters_co_departments(dh: DeskHall) -> None:
    _co_departments(dh, "B01", ["civil"])
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    case = dh.finish("2", "zhang", CaseRequest(case_type="joint")).case  # the window names none
    assert case.department == "market"
    assert [(p.department, p.state) for p in case.parts] == [("civil", "pending")]


def test_the_window_may_still_name_the_co_departments(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    _co_departments(dh, "B01", ["civil"])
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    case = dh.finish("2", "zhang", CaseRequest(case_type="joint", co_departments=["civil"])).case
    assert [p.department for p in case.parts] == ["civil"]


def test_the_receipt_names_the_co_departments_on_paper_and_a4(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    _co_departments(dh, "B01", ["civil"])
    with printer() as sim:
        dh.attach_printer("2", sim)
        dh.issue("B", matter="B01")
        dh.serve("2", "zhang")
        case = dh.finish("2", "zhang", CaseRequest(case_type="joint", applicant_name="韩梅梅")).case
        out = sim.core.wait_output(lambda data: b"\x1dV" in data)
    lines = texts(out)
    assert "承办部门：市场监管局" in lines and "协办部门：民政局" in lines
    page = page_text(dh.services.document_page(dh.code, case.documents[0].id))
    assert "协办部门" in page and "民政局" in page


def test_a_promised_case_names_no_co_department(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    _co_departments(dh, "B01", ["civil"])
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    case = dh.finish("2", "zhang", CaseRequest(case_type="promised")).case
    assert case.parts == []
    assert "协办部门" not in page_text(dh.services.document_page(dh.code, case.documents[0].id))
