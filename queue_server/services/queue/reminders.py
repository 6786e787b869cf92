"""Appointment reminders, sent by the running server before each slot (预约提醒).

:class:`ReminderJob` runs in ``hallq server`` / ``hallq up`` every ``INTERVAL_S``. For each hall it
claims the due reminders in one write (``claim``: a row per appointment in ``appointment_reminder``,
unique, so two server instances never remind twice), hands each to the notifier outside any
transaction (a gateway may be slow), then records the outcome (``record``). A reminder is due from
the hall's ``remind_before_min`` before a booked slot with a phone number until the slot starts; a
failed one is tried again on the next runs, ``MAX_ATTEMPTS`` in all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

from pydantic import Field
from sqlalchemy import Engine
from sqlmodel import col, select

from queue_server.domain.masking import mask_phone
from queue_server.services.engine.models import Reply
from queue_server.services.engine.periodic import PeriodicJob
from queue_server.services.engine.tx import Tx, pk
from queue_server.services.queue import booking
from queue_server.services.queue.appointments import CODE_PREFIX
from queue_server.services.queue.notify import Notifier, NotifyError, Reminder
from queue_server.store.tables import Appointment, AppointmentReminder, Service

log = logging.getLogger(__name__)
INTERVAL_S = 60.0
MAX_ATTEMPTS = 3
PENDING, SENT, FAILED = "pending", "sent", "failed"


class Due(Reply):
    """One claimed reminder: the row's id and what the notifier needs (the phone: never logged)."""

    reminder_id: int
    ref: str
    phone: str
    text: str


class Claimed(Reply):
    due: list[Due] = Field(default_factory=list)


def claim(tx: Tx, channel: str) -> Claimed:
    """Claim the reminders due now (see the module doc)."""
    lead = booking.policy(tx).remind_before_min
    if lead <= 0:
        return Claimed()
    rows = tx.session.exec(
        select(Appointment, AppointmentReminder)
        .outerjoin(AppointmentReminder, col(AppointmentReminder.appointment_id) == Appointment.id)
        .where(
            Appointment.hall_id == tx.hall_id,
            Appointment.state == booking.BOOKED,
            col(Appointment.phone).is_not(None),
            col(Appointment.slot_start) > tx.now,
            col(Appointment.slot_start) <= tx.now + timedelta(minutes=lead),
        )
        # Only the appointments are locked: PostgreSQL refuses FOR UPDATE on an outer join's nullable side.
        .with_for_update(of=Appointment)
    ).all()
    due: list[Due] = []
    for appointment, sent in rows:
        if sent is not None and (sent.state != FAILED or sent.attempts >= MAX_ATTEMPTS):
            continue
        text = _text(tx, appointment)
        phone = appointment.phone or ""
        if sent is None:
            sent = AppointmentReminder(
                hall_id=tx.hall_id,
                appointment_id=pk(appointment),
                channel=channel,
                phone_masked=mask_phone(phone),
                text=text,
                claimed_at=tx.now,
            )
        sent.state, sent.attempts, sent.claimed_at = PENDING, sent.attempts + 1, tx.now
        tx.session.add(sent)
        tx.session.flush()
        due.append(Due(reminder_id=pk(sent), ref=f"{tx.hall.code}-{pk(sent)}", phone=phone, text=text))
    return Claimed(due=due)


def record(tx: Tx, reminder_id: int, error: str | None) -> Claimed:
    """The notifier's outcome for one claimed reminder."""
    row = tx.session.get(AppointmentReminder, reminder_id)
    if row is None or row.hall_id != tx.hall_id:
        return Claimed()
    row.state = FAILED if error else SENT
    row.error = error
    row.sent_at = None if error else tx.now
    tx.session.add(row)
    tx.event("appointment_reminded", reminder=reminder_id, state=row.state, channel=row.channel)
    return Claimed()


def _text(tx: Tx, appointment: Appointment) -> str:
    service = tx.session.get(Service, appointment.service_id)
    local = appointment.slot_start.astimezone(tx.zone)
    what = "" if service is None else service.name
    return (
        f"【{tx.hall.name}】您预约的{what}将于{local.month}月{local.day}日{local:%H:%M}开始，"
        f"预约码{CODE_PREFIX}{appointment.code}。请提前到大厅取号机扫码或刷身份证签到。"
    )


class ReminderJob(PeriodicJob):
    """The running server's thread: every ``INTERVAL_S``, each hall's due reminders, claimed, sent and
    recorded through ``claim_and_send(hall)``."""

    name = "reminders"

    def __init__(self, engine: Engine, claim_and_send: Callable[[str], int]) -> None:
        super().__init__(engine)
        self._run = claim_and_send

    def start(self, interval_s: float = INTERVAL_S) -> None:
        super().start(interval_s)

    def run_once(self) -> dict[str, int]:
        """One run over every hall; a hall that fails is logged and skipped."""
        done: dict[str, int] = {}
        for hall in self.halls():
            try:
                done[hall] = self._run(hall)
            except Exception:
                log.exception("appointment reminders for hall %s failed", hall)
        return done

    def tick(self, first: bool) -> None:
        self.run_once()


def send_all(
    notifier: Notifier, due: Sequence[Due], record_outcome: Callable[[int, str | None], None]
) -> int:
    """Hand each claimed reminder to the notifier and record the outcome; the number sent."""
    sent = 0
    for item in due:
        try:
            notifier.send(Reminder(ref=item.ref, phone=item.phone, text=item.text))
        except NotifyError as exc:
            log.warning("appointment reminder %s not sent: %s", item.ref, exc)
            record_outcome(item.reminder_id, str(exc)[:200])
            continue
        record_outcome(item.reminder_id, None)
        sent += 1
    return sent
