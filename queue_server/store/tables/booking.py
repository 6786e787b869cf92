"""Appointment booking (预约服务): each hall's booking rules, each service's capacity per session,
and the reminders sent before a slot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel, col

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.tables.queue import Appointment
from queue_server.store.types import utc_field

# A slot's bookings and the reminders due read a hall's appointments by slot time (the per-ID index
# starts with the ID hash).
Index(
    "ix_appointment_hall_slot",
    col(Appointment.hall_id),
    col(Appointment.slot_start),
    col(Appointment.service_id),
)


class HallBooking(SQLModel, table=True):
    """A hall's booking rules, as its hall file's ``[booking]`` table says (loader).

    A hall without a row uses the defaults of ``domain.appointments.BookingPolicy``, which are also
    the hall file's defaults.
    """

    __tablename__ = "hall_booking"

    hall_id: int = Field(foreign_key="hall.id", primary_key=True)
    slot_minutes: int
    days_ahead: int
    max_open_per_id: int
    max_per_id_per_day: int
    no_show_limit: int
    no_show_window_days: int
    no_show_ban_days: int
    remind_before_min: int


class BookingCapacity(SQLModel, table=True):
    """Bookings a service takes per morning, afternoon and rest-day session (``appointment_slots``).

    A service without a row takes ``service.appointment_capacity`` per working-day half and nothing
    on rest days.
    """

    __tablename__ = "booking_capacity"

    service_id: int = Field(foreign_key="service.id", primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    morning: int = 0
    afternoon: int = 0
    rest_day: int = 0


class AppointmentReminder(SQLModel, table=True):
    """One reminder of an appointment: claimed before it is sent, then its outcome.

    ``phone_masked`` only (138****5678): the phone itself stays on the appointment, which retention
    clears. ``channel`` is the notifier's name (``log``, ``http``, ``smtp``).
    """

    __tablename__ = "appointment_reminder"
    __table_args__ = (UniqueConstraint("appointment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    appointment_id: int = Field(foreign_key="appointment.id")
    channel: str = Field(max_length=16)
    phone_masked: str = Field(max_length=20)
    text: str = Field(max_length=300)
    state: str = Field(default="pending", max_length=16)  # pending | sent | failed
    attempts: int = 0
    error: str | None = Field(default=None, max_length=200)
    claimed_at: datetime = utc_field(nullable=False)
    sent_at: datetime | None = utc_field()
