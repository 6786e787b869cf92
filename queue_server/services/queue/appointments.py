"""Appointments (预约服务): booking, finding, cancelling and moving a slot (the rules gathered in
``booking.py``), and check-in at a kiosk (early/late limits; a late arrival may take a walk-in ticket
instead)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlmodel import col, select

from queue_server.domain.appointments import CheckinStatus, checkin_verdict
from queue_server.errors import BadRequestError, HallqError, InvalidStateError, NotFoundError, RefusedError
from queue_server.protocol.messages import AppointmentCheckinArgs, ErrorCode, TicketIssueArgs, TicketResult
from queue_server.services.engine.lookup import published_matter, refuse_clear_id, service_by_code
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.queue import booking, tickets
from queue_server.services.queue.models import AppointmentResult
from queue_server.store.tables import Appointment, Matter, Service, Ticket

BOOKED = "booked"
CHECKED_IN = "checked_in"
WALKED_IN = "walked_in"
CANCELLED = "cancelled"
_CODE_DIGITS = 8
CODE_PREFIX = "YY"


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
    """Book a slot the hall offers (``booking.check_slot``), within the ID's limits and the slot's
    and its session's capacity (上午 / 下午 / rest-day session, in the hall's zone)."""
    _check_times(slot_start, slot_end)
    refuse_clear_id(id_hash)
    service = service_by_code(tx, service_code)
    matter = None if matter_code is None else published_matter(tx, matter_code)
    if matter is not None and matter.service_id != service.id:
        raise BadRequestError("该事项不属于所选业务。", field="matter")
    cap = booking.capacity(tx, service)
    if max(cap.morning, cap.afternoon, cap.rest_day) <= 0:
        raise RefusedError("该业务不提供预约。", service=service.code)
    slot = booking.check_slot(tx, service, slot_start, slot_end)
    if id_hash is not None:
        booking.check_person(tx, id_hash, slot_start)
    local = slot_start.astimezone(tx.zone).time()
    rest = not tx.calendar.is_working_day(slot_start.astimezone(tx.zone).date())
    booking.take_place(tx, service, slot_start, slot, cap.of(local, rest_day=rest))
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


def find(tx: Tx, code: str, id_hash: str) -> AppointmentResult:
    """A booking by its code and the ID that booked it (either alone finds nothing)."""
    row = _mine(tx, code, id_hash)
    service = tx.session.get(Service, row.service_id)
    assert service is not None
    ticket = None if row.ticket_id is None else tx.session.get(Ticket, row.ticket_id)
    return result(row, service, ticket)


def cancel(tx: Tx, code: str, id_hash: str) -> AppointmentResult:
    """Cancel a booking before its slot starts: its place goes back to the slot and session."""
    row = _mine(tx, code, id_hash, lock=True)
    service = tx.session.get(Service, row.service_id)
    assert service is not None
    if row.state == CANCELLED:
        return result(row, service, None)
    if row.state != BOOKED or row.slot_start <= tx.now:
        raise InvalidStateError("该预约已开始或已办理，不能取消。", appointment=row.code, state=row.state)
    row.state = CANCELLED
    booking.give_back(tx, row)
    tx.event("appointment_cancelled", code=row.code, service=service.code)
    return result(row, service, None)


def reschedule(
    tx: Tx, code: str, id_hash: str, slot_start: datetime, slot_end: datetime
) -> AppointmentResult:
    """Move a booking to another slot of its service, under the same rules as a new booking; it keeps
    its code. Its old place is given back in the transaction that takes the new one."""
    _check_times(slot_start, slot_end)
    row = _mine(tx, code, id_hash, lock=True)
    service = tx.session.get(Service, row.service_id)
    assert service is not None
    if row.state != BOOKED or row.slot_start <= tx.now:
        raise InvalidStateError("该预约已开始或已办理，不能改约。", appointment=row.code, state=row.state)
    slot = booking.check_slot(tx, service, slot_start, slot_end)
    booking.check_person(tx, id_hash, slot_start, moving=row)
    if (row.slot_start, row.slot_end) == (slot_start, slot_end):
        return result(row, service, None)
    cap = booking.capacity(tx, service)
    local = slot_start.astimezone(tx.zone)
    # The old place first (a move within a full session is allowed); a refusal rolls both back.
    booking.give_back(tx, row)
    booking.take_place(
        tx,
        service,
        slot_start,
        slot,
        cap.of(local.time(), rest_day=not tx.calendar.is_working_day(local.date())),
    )
    before = row.slot_start
    row.slot_start, row.slot_end = slot_start, slot_end
    tx.event(
        "appointment_rescheduled", code=row.code, before=before.isoformat(), slot_start=slot_start.isoformat()
    )
    return result(row, service, None)


def plain_code(code: str) -> str:
    """The stored code of a typed or scanned one: the QR and SMS carry ``YY`` + the code (the kiosk's
    scanner knows an appointment by it, ``devices/codes.py``)."""
    code = code.strip().upper()
    return code.removeprefix(CODE_PREFIX)


def _check_times(slot_start: datetime, slot_end: datetime) -> None:
    if slot_start.tzinfo is None or slot_end.tzinfo is None:
        raise BadRequestError("预约时间须带时区。", field="slot_start")
    if slot_end <= slot_start:
        raise BadRequestError("预约时段的结束须晚于开始。", field="slot_end")


def _mine(tx: Tx, code: str, id_hash: str, *, lock: bool = False) -> Appointment:
    refuse_clear_id(id_hash)
    stmt = select(Appointment).where(
        Appointment.hall_id == tx.hall_id,
        Appointment.code == plain_code(code),
        Appointment.id_hash == id_hash,
    )
    found = tx.session.exec(stmt.with_for_update() if lock else stmt).first()
    if found is None:
        raise NotFoundError("未找到该预约，请核对预约码和身份证号。", what="appointment")
    return found


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
    ticket = tx.session.exec(select(Ticket).where(Ticket.public_id == ticket_result.ticket_id)).one()
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
        ticket_id=None if ticket is None else ticket.public_id,
    )


def _find(tx: Tx, args: AppointmentCheckinArgs) -> Appointment:
    stmt = select(Appointment).where(Appointment.hall_id == tx.hall_id)
    if args.code is not None:
        code = plain_code(args.code)
        found = tx.session.exec(stmt.where(Appointment.code == code).with_for_update()).first()
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
