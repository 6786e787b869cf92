"""Issuing: numbering under concurrency, daily series, idempotency, the hall's refusals, priority."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, col, func, select

from harness.factories import SHANGHAI, HallFixture
from queue_server.errors import BadRequestError, HallqError, RefusedError
from queue_server.protocol.messages import AppointmentCheckinArgs, ErrorCode, TicketIssueArgs
from queue_server.services import Services
from queue_server.store.tables import Event, RequestLog, Service, Ticket

ID_A = "a" * 32
ID_B = "b" * 32


def _numbers(hall: HallFixture, day: date | None = None) -> list[str]:
    with Session(hall.engine) as s:
        stmt = select(Ticket.number).where(
            Ticket.hall_id == hall.hall_id, col(Ticket.parent_ticket_id).is_(None)
        )
        if day is not None:
            stmt = stmt.where(Ticket.service_day == day)
        return list(s.exec(stmt))


def test_numbers_are_unique_and_gap_free_under_concurrency(hall: HallFixture) -> None:
    barrier = threading.Barrier(8)

    def issue_many(worker: int) -> list[str]:
        barrier.wait()
        return [
            hall.services.issue_ticket(
                hall.code, TicketIssueArgs(service="A"), request_id=f"w{worker}-{i}", device_id="kiosk-1"
            ).number
            for i in range(25)
        ]

    with ThreadPoolExecutor(8) as pool:
        replies = [n for chunk in pool.map(issue_many, range(8)) for n in chunk]
    expected = [f"A{n:03d}" for n in range(1, 201)]
    assert sorted(replies) == expected
    assert sorted(_numbers(hall)) == expected


def test_each_day_starts_a_new_series_and_keeps_history(hall: HallFixture) -> None:
    assert [hall.issue("A").number for _ in range(3)] == ["A001", "A002", "A003"]
    assert hall.issue("B").number == "B001"
    hall.clock.advance(days=1)
    assert hall.issue("A").number == "A001"
    assert sorted(_numbers(hall, date(2025, 3, 12))) == ["A001", "A002", "A003", "B001"]
    assert _numbers(hall, date(2025, 3, 13)) == ["A001"]


def test_the_service_day_is_hall_local(hall: HallFixture) -> None:
    # 23:30 UTC on 12 March is 07:30 on 13 March in Shanghai: the 13th's series.
    hall.clock.set(datetime(2025, 3, 12, 23, 30, tzinfo=UTC))
    hall.issue("A")
    with Session(hall.engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id)).one()
    assert ticket.service_day == date(2025, 3, 13)


def test_concurrent_duplicates_make_one_ticket_with_one_reply(hall: HallFixture) -> None:
    barrier = threading.Barrier(16)
    args = TicketIssueArgs(service="A", id_hash=ID_A)

    def issue(_: int) -> str:
        barrier.wait()
        return hall.services.issue_ticket(
            hall.code, args, request_id="dup-1", device_id="kiosk-1"
        ).model_dump_json()

    with ThreadPoolExecutor(16) as pool:
        replies = set(pool.map(issue, range(16)))
    assert len(replies) == 1
    with Session(hall.engine) as s:
        count = select(func.count())
        assert s.exec(count.select_from(Ticket).where(Ticket.hall_id == hall.hall_id)).one() == 1
        assert s.exec(count.select_from(RequestLog).where(RequestLog.hall_id == hall.hall_id)).one() == 1
        issues = count.select_from(Event).where(Event.hall_id == hall.hall_id, Event.kind == "issue")
        assert s.exec(issues).one() == 1


def test_a_duplicate_after_a_restart_gets_the_same_ticket(hall: HallFixture) -> None:
    first = hall.services.issue_ticket(
        hall.code, TicketIssueArgs(service="A"), request_id="r-1", device_id="k"
    )
    hall.clock.advance(minutes=3)
    restarted = Services(hall.engine, hall.settings, hall.clock)
    again = restarted.issue_ticket(hall.code, TicketIssueArgs(service="A"), request_id="r-1", device_id="k")
    assert again == first
    assert restarted.issue_ticket(
        hall.code, TicketIssueArgs(service="A"), request_id="r-2", device_id="k"
    ).number == ("A002")
    with pytest.raises(HallqError) as conflict:
        restarted.checkin_appointment(hall.code, _checkin("12345678"), request_id="r-1", device_id="k")
    assert conflict.value.code is ErrorCode.CONFLICT


def _checkin(code: str) -> AppointmentCheckinArgs:
    return AppointmentCheckinArgs(code=code)


def test_schedule_cutoff_and_closed_refusals(make_hall: Callable[..., HallFixture]) -> None:
    week = {str(d): [["09:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
    hall = make_hall(schedule=week)
    hall.clock.set(datetime(2025, 3, 12, 12, 30, tzinfo=SHANGHAI))  # lunch break: tickets still issue
    assert hall.issue("A").number == "A001"
    hall.clock.set(datetime(2025, 3, 12, 16, 45, tzinfo=SHANGHAI))  # 30 min cut-off before 17:00
    with pytest.raises(RefusedError) as cutoff:
        hall.issue("A")
    assert cutoff.value.code is ErrorCode.CUTOFF_PASSED
    assert cutoff.value.detail["next_open"] == datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI).timestamp()
    hall.clock.set(datetime(2025, 3, 15, 10, 0, tzinfo=SHANGHAI))  # Saturday, no rest-day hours
    with pytest.raises(RefusedError) as closed:
        hall.issue("A")
    assert closed.value.code is ErrorCode.SERVICE_CLOSED
    hall.clock.set(datetime(2025, 3, 12, 16, 29, tzinfo=SHANGHAI))
    assert hall.issue("A").number == "A002"  # refusals gave no number away


def test_daily_cap_and_per_id_limit(make_hall: Callable[..., HallFixture]) -> None:
    hall = make_hall(id_daily_limit=2)
    with Session(hall.engine) as s, s.begin():
        service = s.exec(select(Service).where(Service.hall_id == hall.hall_id, Service.code == "C")).one()
        service.daily_cap = 3
    assert hall.issue("A", id_hash=ID_A).number == "A001"
    assert hall.issue("A", id_hash=ID_A).number == "A002"
    with pytest.raises(RefusedError) as limit:
        hall.issue("A", id_hash=ID_A)
    assert limit.value.code is ErrorCode.ID_DAILY_LIMIT
    assert hall.issue("A", id_hash=ID_B).number == "A003"
    assert hall.issue("B", id_hash=ID_A).number == "B001"  # the limit is per service
    for expected in ("C001", "C002", "C003"):
        assert hall.issue("C").number == expected
    with pytest.raises(RefusedError) as cap:
        hall.issue("C")
    assert cap.value.code is ErrorCode.DAILY_CAP_REACHED


def test_priority_from_birth_date_and_declared_classes(hall: HallFixture) -> None:
    elderly = hall.issue("A", birth_date=date(1960, 3, 12))  # 65 today
    young = hall.issue("A", birth_date=date(1966, 3, 13))  # 58
    declared = hall.issue("A", priority="disabled")
    assert (elderly.priority, elderly.priority_label) == ("elderly", "老年人")
    assert young.priority is None
    assert declared.priority == "disabled"
    with Session(hall.engine) as s:
        rows = {t.number: t for t in s.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id))}
    assert (rows["A001"].priority_basis, rows["A001"].priority_confirmed) == ("id_birth_date", True)
    assert (rows["A003"].priority_basis, rows["A003"].priority_confirmed) == ("declared", False)
    with pytest.raises(BadRequestError):
        hall.issue("A", priority="elderly")  # age comes from the ID card only
    with pytest.raises(BadRequestError):
        hall.issue("A", priority="vip")


def test_matter_materials_and_links_travel_with_the_ticket(hall: HallFixture) -> None:
    result = hall.issue(None, matter="A01", materials=["A01-M1", "A01-M3"], return_for="HALL1-20250301-0001")
    assert (result.service, result.matter, result.matter_name) == ("A", "A01", "户口迁移")
    assert [(m.name, m.checked) for m in result.materials] == [
        ("居民户口簿", True),
        ("居民身份证", False),
        ("准予迁入证明", True),
    ]
    # The QR code's secret token is not the public ticket id displays show (docs/security.md).
    assert "/t/" in result.citizen_url and result.ticket_id not in result.citizen_url
    assert len(result.ticket_id) == 16 and len(result.citizen_url.rsplit("/t/", 1)[1]) >= 20
    with Session(hall.engine) as s:
        ticket = s.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id)).one()
    assert ticket.materials == ["A01-M1", "A01-M3"]
    assert ticket.return_for == "HALL1-20250301-0001"
    with pytest.raises(BadRequestError):  # a clear resident ID number is never stored
        hall.issue("A", id_hash="11010519491231002X")
    with pytest.raises(RefusedError) as unknown:
        hall.issue("Z")
    assert unknown.value.code is ErrorCode.UNKNOWN_SERVICE


def test_two_kiosks_may_use_the_same_request_id(hall: HallFixture) -> None:
    """A request id is its sender's: another kiosk's ticket under the same id is a ticket of its own,
    while the same kiosk repeating it gets its first reply (the ticket row keeps a scoped key)."""
    args = TicketIssueArgs(service="A")
    first = hall.services.issue_ticket(hall.code, args, request_id="same-1", device_id="kiosk-1")
    other = hall.services.issue_ticket(hall.code, args, request_id="same-1", device_id="kiosk-2")
    assert other.number != first.number and other.ticket_id != first.ticket_id
    again = hall.services.issue_ticket(hall.code, args, request_id="same-1", device_id="kiosk-1")
    assert again == first
