"""Call-next end to end: every clause of the ordering observable through the services, and windows
racing for the same queue never calling the same ticket."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from harness.factories import SHANGHAI, HallFixture
from queue_server.errors import InvalidStateError, QueueEmptyError, RefusedError
from queue_server.protocol.messages import AppointmentCheckinArgs, ErrorCode
from queue_server.services.ports import Actor
from queue_server.store.tables import Matter

ELDERLY = date(1950, 1, 1)


def _call_and_dismiss(hall: HallFixture, window: str, actor: Actor) -> str:
    """Call next at ``window`` and mark a no-show (void): the window is idle again."""
    called = hall.services.call_next(hall.code, window, actor=actor, request_id=hall.rid())
    hall.services.no_show(hall.code, window, actor=actor, request_id=hall.rid())
    assert called.ticket is not None
    return called.ticket.number


def test_every_ordering_clause_end_to_end(hall: HallFixture) -> None:
    clock = hall.clock
    clock.set(datetime(2025, 3, 12, 8, 50, tzinfo=SHANGHAI))
    starved = hall.issue("A").number  # waits > 60 min (A's maximum) by 10:08
    clock.set(datetime(2025, 3, 12, 10, 0, tzinfo=SHANGHAI))
    a_first = hall.issue("A").number
    booking = hall.services.book_appointment(
        hall.code,
        "A",
        datetime(2025, 3, 12, 10, 5, tzinfo=SHANGHAI),
        datetime(2025, 3, 12, 10, 35, tzinfo=SHANGHAI),
    )
    clock.advance(minutes=1)
    c_old = hall.issue("C").number  # older than the A tickets below, but C is window 1's secondary
    clock.advance(minutes=1)
    p1 = hall.issue("A", birth_date=ELDERLY).number
    clock.advance(minutes=1)
    p2 = hall.issue("A", birth_date=ELDERLY).number
    clock.advance(minutes=1)
    p3 = hall.issue("A", birth_date=ELDERLY).number
    clock.advance(minutes=1)
    same_time_1 = hall.issue("A").number
    same_time_2 = hall.issue("A").number  # same issue time: the ticket id decides
    clock.advance(minutes=1)
    appointment = hall.services.checkin_appointment(
        hall.code, AppointmentCheckinArgs(code=booking.code), request_id=hall.rid(), device_id="kiosk-1"
    ).number
    clock.advance(minutes=1)
    special = hall.services.issue_special(hall.code, "C", "危重病人家属", actor=hall.manager).ticket.number
    clock.advance(minutes=1)

    hall.services.open_window(hall.code, "1", actor=hall.manager)
    order = [_call_and_dismiss(hall, "1", hall.manager) for _ in range(10)]
    assert order == [
        special,  # 2. special first
        appointment,  # 3. checked-in appointment whose slot has begun
        starved,  # 4. waited longer than the service's maximum
        p1,  # 5. priority before normal …
        p2,
        a_first,  # … but after 2 priority calls in a row a normal ticket goes
        p3,
        same_time_1,  # 6. primary service (A) before secondary (C), 7. issue time then id
        same_time_2,
        c_old,
    ]
    with pytest.raises(QueueEmptyError):
        hall.services.call_next(hall.code, "1", actor=hall.manager, request_id=hall.rid())


def test_a_military_priority_window_takes_military_tickets_first(hall: HallFixture) -> None:
    normal = hall.issue("A").number
    hall.clock.advance(minutes=1)
    elderly = hall.issue("A", birth_date=ELDERLY).number
    hall.clock.advance(minutes=1)
    military = hall.issue("A", priority="military").number
    for window in ("1", "3"):
        hall.services.open_window(hall.code, window, actor=hall.manager)
    assert _call_and_dismiss(hall, "3", hall.manager) == military
    assert _call_and_dismiss(hall, "1", hall.manager) == elderly
    assert _call_and_dismiss(hall, "1", hall.manager) == normal


def test_the_interleave_is_per_hall_configurable(hall: HallFixture) -> None:
    normal = hall.issue("A").number
    elderly = [hall.issue("A", birth_date=ELDERLY).number for _ in range(3)]
    hall.services.open_window(hall.code, "1", actor=hall.manager)
    # Default N = 2: two priority calls, then the normal ticket.
    assert [_call_and_dismiss(hall, "1", hall.manager) for _ in range(4)] == [
        *elderly[:2],
        normal,
        elderly[2],
    ]


def test_windows_racing_never_call_the_same_ticket(hall: HallFixture) -> None:
    issued = {hall.issue("A").number for _ in range(30)}
    windows = ["1", "3", "4"]
    for window in windows:
        hall.services.open_window(hall.code, window, actor=hall.manager)
    barrier = threading.Barrier(len(windows))

    def drain(window: str) -> list[str]:
        barrier.wait()
        numbers = []
        while True:
            try:
                numbers.append(_call_and_dismiss(hall, window, hall.manager))
            except QueueEmptyError:
                return numbers

    with ThreadPoolExecutor(len(windows)) as pool:
        called = [n for chunk in pool.map(drain, windows) for n in chunk]
    assert len(called) == len(issued)
    assert set(called) == issued


def test_call_next_needs_an_open_idle_window(hall: HallFixture) -> None:
    hall.issue("A")
    with pytest.raises(InvalidStateError):  # closed
        hall.services.call_next(hall.code, "1", actor=hall.manager, request_id=hall.rid())
    hall.services.open_window(hall.code, "1", actor=hall.manager)
    hall.services.call_next(hall.code, "1", actor=hall.manager, request_id=hall.rid())
    with pytest.raises(InvalidStateError):  # already calling
        hall.services.call_next(hall.code, "1", actor=hall.manager, request_id=hall.rid())


def test_licensing_matters_are_called_only_by_qualified_staff(hall: HallFixture) -> None:
    with Session(hall.engine) as s, s.begin():
        s.execute(update(Matter).where(col(Matter.code) == "B01").values(licensing=True))
    licence = hall.issue("B", matter="B01")  # 企业设立登记: an administrative licence
    plain = hall.issue("B")  # no matter chosen: an ordinary B ticket, issued later
    unqualified = hall.open_window("4", "li")  # window 4 serves A, B and C; li has no qualification
    called = hall.services.call_next(hall.code, "4", actor=unqualified, request_id=hall.rid())
    assert called.ticket is not None and called.ticket.number == plain.number  # the older one skipped
    hall.services.start(hall.code, "4", actor=unqualified, request_id=hall.rid())
    hall.services.finish(hall.code, "4", None, actor=unqualified, request_id=hall.rid())
    with pytest.raises(QueueEmptyError):
        hall.services.call_next(hall.code, "4", actor=unqualified, request_id=hall.rid())
    with pytest.raises(RefusedError) as refused:
        hall.services.call_ticket(
            hall.code, "4", "点名", number=licence.number, actor=unqualified, request_id=hall.rid()
        )
    assert refused.value.code is ErrorCode.NOT_ELIGIBLE
    qualified = hall.open_window("2", "zhao")  # a valid qualification until 2099
    called = hall.services.call_next(hall.code, "2", actor=qualified, request_id=hall.rid())
    assert called.ticket is not None and called.ticket.number == licence.number
