"""A small hall with opening hours, booking capacities and rules, for the booking tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from harness.factories import SHANGHAI, HallFixture
from queue_server.errors import RefusedError
from queue_server.services.queue.models import AppointmentResult
from queue_server.store.tables import BookingCapacity, HallBooking, Service

WEEK = {str(d): [["09:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
REST_DAY = [["09:00", "12:00"]]
ID_A, ID_B, ID_C = "a" * 64, "b" * 64, "c" * 64


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=SHANGHAI)


def scheduled_hall(
    make_hall: Callable[..., HallFixture],
    capacity: dict[str, tuple[int, int, int]] | None = None,
    **policy: int,
) -> HallFixture:
    """The small hall open Monday–Friday 09:00–12:00 and 13:30–17:00 (rest days 09:00–12:00, for the
    services that serve them), with `capacity` (morning, afternoon, rest day) per service and the
    booking rules overridden by `policy`."""
    hall = make_hall(schedule=WEEK, rest_day_schedule=REST_DAY)
    with Session(hall.engine) as s, s.begin():
        for code, (morning, afternoon, rest) in (capacity or {"A": (4, 4, 0)}).items():
            service = s.exec(
                select(Service).where(Service.hall_id == hall.hall_id, Service.code == code)
            ).one()
            assert service.id is not None
            s.add(
                BookingCapacity(
                    service_id=service.id,
                    hall_id=hall.hall_id,
                    morning=morning,
                    afternoon=afternoon,
                    rest_day=rest,
                )
            )
        if policy:
            rules: dict[str, Any] = {
                "slot_minutes": 30,
                "days_ahead": 14,
                "max_open_per_id": 3,
                "max_per_id_per_day": 1,
                "no_show_limit": 3,
                "no_show_window_days": 30,
                "no_show_ban_days": 30,
                "remind_before_min": 24 * 60,
            }
            s.add(HallBooking(hall_id=hall.hall_id, **{**rules, **policy}))
    return hall


def book(
    hall: HallFixture,
    start: datetime,
    minutes: int = 30,
    *,
    service: str = "A",
    id_hash: str | None = ID_A,
    **kw: Any,
) -> AppointmentResult:
    return hall.services.book_appointment(
        hall.code, service, start, start + timedelta(minutes=minutes), id_hash=id_hash, **kw
    )


def refused(hall: HallFixture, start: datetime, minutes: int = 30, **kw: Any) -> str:
    """The reason a booking is refused (fails the test when it is booked)."""
    try:
        booked = book(hall, start, minutes, **kw)
    except RefusedError as exc:
        return str(exc.detail["reason"])
    raise AssertionError(f"booked: {booked}")
