"""The booking rules as the running hall applies them: its policy and capacities read from the
tables, the slots it offers, and every refusal of a booking (``appointments.book`` /
``reschedule``). The rules themselves are the pure functions of ``domain/appointments.py``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pydantic import BaseModel
from sqlalchemy import func, update
from sqlmodel import col, select

from queue_server.domain import appointments as rules
from queue_server.domain.appointments import BookingPolicy, SessionCapacity, Slot
from queue_server.domain.schedule import day_schedule
from queue_server.errors import RefusedError
from queue_server.protocol.messages import ErrorCode
from queue_server.services.engine.rules import service_schedule
from queue_server.services.engine.tx import Tx, pk
from queue_server.store.counters import book_slot
from queue_server.store.tables import Appointment, BookingCapacity, HallBooking, Service, SlotCounter

BOOKED = "booked"
# States that hold a place in a slot (a cancelled booking frees it; a walk-in took a ticket instead).
HOLDING = (BOOKED, "checked_in")
_CODES = {
    rules.SLOT_FULL: ErrorCode.CONFLICT,
    rules.ID_OPEN_LIMIT: ErrorCode.ID_DAILY_LIMIT,
    rules.ID_DAY_LIMIT: ErrorCode.ID_DAILY_LIMIT,
}


class SlotView(BaseModel):
    """One slot on the booking page: its times (epoch seconds) and the places left."""

    start: float
    end: float
    left: int


class DayView(BaseModel):
    day: date
    rest_day: bool
    slots: list[SlotView]


class Availability(BaseModel):
    service: str
    service_name: str
    slot_minutes: int
    days: list[DayView]


def refuse(reason: str, **detail: object) -> RefusedError:
    """The refusal of a booking rule: its zh-CN text, a stable ``reason`` for the page."""
    code = _CODES.get(reason, ErrorCode.SERVICE_CLOSED)
    return RefusedError(rules.REFUSAL_ZH[reason], code=code, reason=reason, **detail)


def policy(tx: Tx) -> BookingPolicy:
    def load() -> BookingPolicy:
        row = tx.session.get(HallBooking, tx.hall_id)
        if row is None:
            return BookingPolicy()
        return BookingPolicy(
            slot_minutes=row.slot_minutes,
            days_ahead=row.days_ahead,
            max_open_per_id=row.max_open_per_id,
            max_per_id_per_day=row.max_per_id_per_day,
            no_show_limit=row.no_show_limit,
            no_show_window_days=row.no_show_window_days,
            no_show_ban_days=row.no_show_ban_days,
            remind_before_min=row.remind_before_min,
        )

    return tx.remember(("booking_policy", tx.hall_id), load)


def capacity(tx: Tx, service: Service) -> SessionCapacity:
    row = tx.session.get(BookingCapacity, pk(service))
    if row is None:  # a hall not loaded from a hall file: the one number per working-day half
        return SessionCapacity(service.appointment_capacity, service.appointment_capacity, 0)
    return SessionCapacity(row.morning, row.afternoon, row.rest_day)


def day_offer(tx: Tx, service: Service, day: date) -> list[Slot] | None:
    """The service's slots on `day` (hall hours, rest days, holidays, lunch break, capacity); None when
    the service keeps no hours (always open: any slot of the hall's length)."""
    schedule = service_schedule(service, tx.hall)
    if schedule is None:
        return None
    return rules.offered_slots(
        day,
        day_schedule(schedule, tx.calendar, day),
        rest_day=not tx.calendar.is_working_day(day),
        capacity=capacity(tx, service),
        policy=policy(tx),
        tz=tx.zone,
    )


def check_slot(tx: Tx, service: Service, start: datetime, end: datetime) -> Slot | None:
    """Refuse a slot the hall does not offer; the offered slot (None in an always-open service)."""
    offered = day_offer(tx, service, start.astimezone(tx.zone).date())
    reason = rules.slot_refusal(start, end, offered, policy(tx), tx.now)
    if reason is not None:
        raise refuse(reason)
    if offered is None:
        local = start.astimezone(tx.zone)
        rest = not tx.calendar.is_working_day(local.date())
        if capacity(tx, service).of(local.time(), rest_day=rest) <= 0:
            raise refuse(rules.SLOT_CLOSED)
        return None
    return next(s for s in offered if s.start == start and s.end == end)


def check_person(tx: Tx, id_hash: str, start: datetime, *, moving: Appointment | None = None) -> None:
    """Per-ID limits and the no-show policy; `moving` is the booking being rescheduled (not counted)."""
    hall_policy = policy(tx)
    late = timedelta(minutes=tx.hall.checkin_late_min)
    # Misses that may still ban (a window's worth before the ban's length), and the open bookings.
    since = tx.now - timedelta(days=hall_policy.no_show_window_days + hall_policy.no_show_ban_days) - late
    mine = tx.session.exec(
        select(Appointment).where(
            Appointment.hall_id == tx.hall_id,
            Appointment.id_hash == id_hash,
            col(Appointment.slot_end) > since,
        )
    ).all()
    missed = [a.slot_end for a in mine if rules.is_missed(a.state, a.slot_end, tx.now, late)]
    until = rules.no_show_ban_until(missed, tx.now, hall_policy)
    if until is not None:
        raise refuse(rules.NO_SHOW_BAN, until=until.timestamp())
    others = [a for a in mine if moving is None or a.id != moving.id]
    open_count = sum(1 for a in others if a.state == BOOKED and a.slot_end > tx.now)
    day = start.astimezone(tx.zone).date()
    same_day = sum(1 for a in others if a.state in HOLDING and a.slot_start.astimezone(tx.zone).date() == day)
    reason = rules.id_limit_refusal(open_count, same_day, hall_policy)
    if reason is not None:
        raise refuse(reason)


def take_place(tx: Tx, service: Service, start: datetime, slot: Slot | None, session_cap: int) -> str:
    """Count one booking in the slot and its session; refuse a full one. The session counter is one
    atomic ``UPDATE … RETURNING`` (``store/counters.py``); the slot's share is read in the writer."""
    local = start.astimezone(tx.zone)
    half = rules.half_of(local.time())
    if slot is not None:
        taken = _slot_bookings(tx, service, start)
        if not rules.slot_has_capacity(taken, slot.capacity):
            raise refuse(rules.SLOT_FULL)
        session_cap = slot.session_capacity
    booked = book_slot(tx.session, tx.hall_id, pk(service), local.date(), half)
    if not rules.slot_has_capacity(booked - 1, session_cap):
        raise refuse(rules.SLOT_FULL)
    return half


def give_back(tx: Tx, row: Appointment) -> None:
    """A cancelled or moved booking frees its place in its session."""
    local = row.slot_start.astimezone(tx.zone)
    tx.session.exec(
        update(SlotCounter)
        .where(
            col(SlotCounter.hall_id) == tx.hall_id,
            col(SlotCounter.service_id) == row.service_id,
            col(SlotCounter.day) == local.date(),
            col(SlotCounter.half) == rules.half_of(local.time()),
            col(SlotCounter.value) > 0,
        )
        .values(value=SlotCounter.value - 1)
    )


def availability(tx: Tx, service: Service, first: date, days: int) -> Availability:
    """The slots of `days` days from `first` (within the booking horizon) with the places left."""
    hall_policy = policy(tx)
    last = min(first + timedelta(days=days), tx.today + timedelta(days=hall_policy.days_ahead))
    counts = _bookings_between(tx, service, first, last)
    sessions = _session_counts(tx, service, first, last)
    out: list[DayView] = []
    day = max(first, tx.today)
    while day < last:
        offered = day_offer(tx, service, day) or []
        slots = [
            SlotView(
                start=s.start.timestamp(),
                end=s.end.timestamp(),
                left=max(
                    0,
                    min(
                        s.capacity - counts.get(s.start, 0),
                        s.session_capacity - sessions.get((day, s.half), 0),
                    ),
                ),
            )
            for s in offered
            if rules.slot_refusal(s.start, s.end, offered, hall_policy, tx.now) is None
        ]
        out.append(DayView(day=day, rest_day=not tx.calendar.is_working_day(day), slots=slots))
        day += timedelta(days=1)
    return Availability(
        service=service.code, service_name=service.name, slot_minutes=hall_policy.slot_minutes, days=out
    )


def _slot_bookings(tx: Tx, service: Service, start: datetime) -> int:
    return int(
        tx.session.exec(
            select(func.count()).where(
                Appointment.hall_id == tx.hall_id,
                Appointment.service_id == pk(service),
                Appointment.slot_start == start,
                col(Appointment.state).in_(HOLDING),
            )
        ).one()
    )


def _bookings_between(tx: Tx, service: Service, first: date, last: date) -> dict[datetime, int]:
    begin = datetime.combine(first, time(), tzinfo=tx.zone)
    end = datetime.combine(last, time(), tzinfo=tx.zone)
    rows = tx.session.exec(
        select(Appointment.slot_start, func.count())
        .where(
            Appointment.hall_id == tx.hall_id,
            Appointment.service_id == pk(service),
            col(Appointment.slot_start) >= begin,
            col(Appointment.slot_start) < end,
            col(Appointment.state).in_(HOLDING),
        )
        .group_by(col(Appointment.slot_start))
    ).all()
    return {start: int(n) for start, n in rows}


def _session_counts(tx: Tx, service: Service, first: date, last: date) -> dict[tuple[date, str], int]:
    rows = tx.session.exec(
        select(SlotCounter).where(
            SlotCounter.hall_id == tx.hall_id,
            SlotCounter.service_id == pk(service),
            col(SlotCounter.day) >= first,
            col(SlotCounter.day) < last,
        )
    ).all()
    return {(r.day, r.half): r.value for r in rows}
