"""Appointments (预约服务): booking a slot within the service's half-day capacity, and check-in at a
kiosk (early/late limits; a late arrival may take a walk-in ticket instead)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import col, select

from queue_server.domain.appointments import CheckinStatus, checkin_verdict, slot_has_capacity
from queue_server.domain.refusals import RefusalCode
from queue_server.errors import BadRequestError, HallqError, InvalidStateError, NotFoundError, RefusedError
from queue_server.protocol.messages import AppointmentCheckinArgs, ErrorCode, TicketIssueArgs, TicketResult
from queue_server.services.engine.lookup import published_matter, refuse_clear_id, service_by_code
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.queue import tickets
from queue_server.services.queue.models import AppointmentResult
from queue_server.store.counters import book_slot
from queue_server.store.tables import Appointment, Matter, Service, Ticket

BOOKED = "booked"
CHECKED_IN = "checked_in"
WALKED_IN = "walked_in"
CANCELLED = "cancelled"
_CODE_DIGITS = 8


def book(
    tx: Tx,
    service_code: str,
    slot_start: datetime,
    slot_end: datetime,
    *,
    id_hash: str | None = None,
    name: str = "",
    phone: str | None = None,
    matter_code: str | None = None,
) -> AppointmentResult:
    """Book a slot. Capacity counts per service and half-day (上午 / 下午 in the hall's zone)."""
    if slot_start.tzinfo is None or slot_end.tzinfo is None:
        raise BadRequestError("预约时间须带时区。", field="slot_start")
    if slot_end <= slot_start:
        raise BadRequestError("预约时段的结束须晚于开始。", field="slot_end")
    if slot_start <= tx.now:
        raise BadRequestError("只能预约未来的时段。", field="slot_start")
    refuse_clear_id(id_hash)
    service = service_by_code(tx, service_code)
    matter = None if matter_code is None else published_matter(tx, matter_code)
    if service.appointment_capacity <= 0:
        raise RefusedError("该业务不提供预约。", service=service.code)
    local = slot_start.astimezone(tx.zone)
    half = "am" if local.hour < 12 else "pm"
    booked = book_slot(tx.session, tx.hall_id, pk(service), local.date(), half)
    if not slot_has_capacity(booked - 1, service.appointment_capacity):
        raise RefusedError(RefusalCode.SLOT_FULL.message_zh, code=ErrorCode.CONFLICT, reason="slot_full")
    row = Appointment(
        hall_id=tx.hall_id,
        service_id=pk(service),
        matter_id=None if matter is None else matter.id,
        code=_new_code(tx),
        id_hash=id_hash,
        name=name,
        phone=phone,
        slot_start=slot_start,
        slot_end=slot_end,
        state=BOOKED,
        request_id=tx.request_id,
        booked_at=tx.now,
    )
    tx.session.add(row)
    tx.session.flush()
    tx.event("appointment_booked", code=row.code, service=service.code, slot_start=slot_start.isoformat())
    return result(row, service, None)


def checkin(tx: Tx, args: AppointmentCheckinArgs) -> TicketResult:
    appointment = _find(tx, args)
    service = tx.session.get(Service, appointment.service_id)
    matter = None if appointment.matter_id is None else tx.session.get(Matter, appointment.matter_id)
    assert service is not None
    if appointment.state == CHECKED_IN and appointment.ticket_id is not None:
        ticket = tx.session.get(Ticket, appointment.ticket_id)
        assert ticket is not None
        return tickets.ticket_result(tx, ticket, service, matter, appointment)
    if appointment.state != BOOKED:
        raise InvalidStateError("该预约已失效。", appointment=appointment.code, state=appointment.state)
    hall = tx.hall
    verdict = checkin_verdict(
        appointment.slot_start,
        appointment.slot_end,
        tx.now,
        timedelta(minutes=hall.checkin_early_min),
        timedelta(minutes=hall.checkin_late_min),
    )
    issue_args = TicketIssueArgs(
        service=service.code, matter=None if matter is None else matter.code, id_hash=appointment.id_hash
    )
    if verdict.status is CheckinStatus.TOO_EARLY:
        opens_at = None if verdict.opens_at is None else verdict.opens_at.timestamp()
        raise HallqError(code=ErrorCode.TOO_EARLY, appointment=appointment.code, opens_at=opens_at)
    if verdict.status is CheckinStatus.TOO_LATE:
        if not args.walk_in_if_late:
            raise HallqError(
                code=ErrorCode.TOO_LATE, appointment=appointment.code, may_walk_in=verdict.may_walk_in
            )
        appointment.state = WALKED_IN
        tx.event("appointment_late_walk_in", code=appointment.code)
        return tickets.issue(tx, issue_args)
    ticket_result = tickets.issue(tx, issue_args, tickets.IssueOptions(appointment=appointment))
    ticket = tx.session.exec(select(Ticket).where(Ticket.citizen_token == ticket_result.ticket_id)).one()
    appointment.state = CHECKED_IN
    appointment.ticket_id = ticket.id
    appointment.checked_in_at = tx.now
    tx.event("appointment_checkin", ticket=ticket, code=appointment.code)
    return ticket_result


def result(row: Appointment, service: Service, ticket: Ticket | None) -> AppointmentResult:
    return AppointmentResult(
        code=row.code,
        service=service.code,
        service_name=service.name,
        slot_start=row.slot_start.timestamp(),
        slot_end=row.slot_end.timestamp(),
        state=row.state,
        ticket_id=None if ticket is None else ticket.citizen_token,
    )


def _find(tx: Tx, args: AppointmentCheckinArgs) -> Appointment:
    stmt = select(Appointment).where(Appointment.hall_id == tx.hall_id)
    if args.code is not None:
        found = tx.session.exec(stmt.where(Appointment.code == args.code).with_for_update()).first()
    else:
        # By ID: today's booking of that person nearest to now (a kiosk reading an ID card).
        day_start = datetime.combine(tx.today, datetime.min.time(), tzinfo=tx.zone)
        candidates = tx.session.exec(
            stmt.where(
                Appointment.id_hash == args.id_hash,
                col(Appointment.slot_start) >= day_start,
                col(Appointment.slot_start) < day_start + timedelta(days=1),
                col(Appointment.state).in_([BOOKED, CHECKED_IN]),
            ).with_for_update()
        ).all()
        found = min(candidates, key=lambda a: abs(a.slot_start - tx.now), default=None)
    if found is None:
        raise NotFoundError("未找到该预约。", what="appointment")
    return found


def _new_code(tx: Tx) -> str:
    while True:
        code = f"{secrets.randbelow(10**_CODE_DIGITS):0{_CODE_DIGITS}d}"
        taken = tx.session.exec(
            select(Appointment.id).where(Appointment.hall_id == tx.hall_id, Appointment.code == code)
        ).first()
        if taken is None:
            return code
