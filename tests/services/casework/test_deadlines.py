"""Deadlines across the 2026 National Day holiday (1–7 October) and its make-up working day
(Saturday 10 October): the promised date, its printing, and the promised-case lists as days pass.

Expected dates are counted by hand from the State Council's 2026 arrangement, not by the calendar
under test: after Wednesday 30 September the working days are Thu 8, Fri 9, Sat 10 (make-up), then
Mon 12 (Sunday 11 is a rest day)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, select

from harness.factories import SHANGHAI
from queue_server.services.casework.models import CaseRequest
from queue_server.store.tables import Matter
from tests.devices.escpos_decoder import texts
from tests.services.helpers import DeskHall, printer

EVE = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)
MAKE_UP_SATURDAY = date(2026, 10, 10)


def _promised(dh: DeskHall, case_type: str = "promised", *, first: bool = True, **fields: object) -> str:
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang", open_first=first)
    return dh.finish("2", "zhang", CaseRequest(case_type=case_type, **fields)).case.case_number


def test_three_working_days_after_the_eve_of_national_day_end_on_the_make_up_saturday(dh: DeskHall) -> None:
    dh.clock.set(EVE)
    dh.issue("B", matter="B01")
    dh.serve("2", "zhang")
    console = dh.services.console(dh.code, "2", actor=dh.staff("zhang"))
    assert console.current is not None
    assert console.current.deadlines["promised"] == MAKE_UP_SATURDAY
    assert console.current.deadlines["immediate"] == date(2026, 9, 30)
    assert console.current.deadlines["supplement"] is None
    with printer() as sim:
        dh.attach_printer("2", sim)
        case = dh.finish("2", "zhang", CaseRequest(case_type="promised")).case
        printed = "".join(texts(sim.core.wait_output(lambda out: b"\x1dV" in out)))
    assert case.accepted_on == date(2026, 9, 30) and case.deadline == MAKE_UP_SATURDAY
    assert "2026年10月10日" in printed and "3个工作日" in printed


def test_four_working_days_skip_the_sunday_after_the_make_up_day(dh_sqlite: DeskHall) -> None:
    dh = dh_sqlite
    with Session(dh.hall.engine) as session, session.begin():
        matter = session.exec(
            select(Matter).where(Matter.hall_id == dh.hall.hall_id, Matter.code == "B01")
        ).one()
        matter.promised_days = 4
    dh.clock.set(EVE)
    number = _promised(dh, "approval")
    assert dh.services.case(dh.code, number).deadline == date(2026, 10, 12)


def test_the_promised_list_moves_from_pending_to_due_to_overdue(dh: DeskHall) -> None:
    dh.clock.set(EVE)
    number = _promised(dh)
    joint = _promised(dh, "joint", first=False, co_departments=["civil"])

    def state_on(moment: datetime) -> tuple[str, int, str]:
        dh.clock.set(moment)
        lists = dh.services.promised(dh.code)
        assert [d.department for d in lists.departments] == ["market"]
        market = lists.departments[0]
        found = [(c, bucket) for bucket in ("overdue", "due", "pending") for c in getattr(market, bucket)]
        case, bucket = next((c, b) for c, b in found if c.case_number == number)
        return bucket, case.overdue_working_days, case.message

    assert state_on(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI))[0] == "pending"
    bucket, _, message = state_on(datetime(2026, 10, 9, 9, 0, tzinfo=SHANGHAI))
    assert bucket == "due" and "2026-10-10" in message
    bucket, _, message = state_on(datetime(2026, 10, 10, 9, 0, tzinfo=SHANGHAI))
    assert bucket == "due" and "今日" in message
    bucket, late, message = state_on(datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI))
    assert (bucket, late) == ("overdue", 1) and "已超期" in message
    assert state_on(datetime(2026, 10, 14, 9, 0, tzinfo=SHANGHAI))[1] == 3
    # The joint case counts its pending co-department; closing takes it off the list.
    lists = dh.services.promised(dh.code, "market")
    row = next(c for c in lists.departments[0].overdue if c.case_number == joint)
    assert row.parts_pending == 1 and row.case_type_label == "联办件"
    dh.services.close_case(dh.code, number, "已办结", actor=dh.manager)
    remaining = [c.case_number for c in dh.services.promised(dh.code).departments[0].overdue]
    assert remaining == [joint]
    assert dh.services.promised(dh.code, "civil").departments == []
