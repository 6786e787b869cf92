"""The hall file's ``[booking]`` table: how citizens book appointments (预约服务) on the booking pages.

Stored by the loader (``hall_booking`` row) and read by every booking (``services/queue/booking.py``).
The defaults are those of ``domain.appointments.BookingPolicy`` (a test holds them equal). The
capacity per session stays in ``[[appointment_slots]]``. Import-light like ``schema``.
"""

from __future__ import annotations

from pydantic import Field

from .values import Section


class Booking(Section):
    """Slot length, how far ahead, per-ID limits, the no-show policy and the reminder's lead time."""

    slot_minutes: int = Field(
        default=30,
        ge=0,
        le=240,
        title="slot length",
        description="minutes per bookable slot within a session; 0 = one slot per session (上午 / 下午)",
    )
    days_ahead: int = Field(
        default=14, ge=1, le=90, title="days ahead", description="how far ahead one may book"
    )
    max_open_per_id: int = Field(
        default=3, ge=1, le=50, title="open bookings per ID", description="bookings not yet due, per person"
    )
    max_per_id_per_day: int = Field(
        default=1, ge=1, le=20, title="bookings per ID per day", description="on any one day, per person"
    )
    no_show_limit: int = Field(
        default=3,
        ge=0,
        le=50,
        title="no-shows before a ban",
        description="missed appointments within no_show_window_days that stop a person booking; 0 = never",
    )
    no_show_window_days: int = Field(default=30, ge=1, le=365, title="no-show window")
    no_show_ban_days: int = Field(
        default=30, ge=1, le=365, title="ban length", description="days after the last miss"
    )
    remind_before_min: int = Field(
        default=24 * 60,
        ge=0,
        le=7 * 24 * 60,
        title="reminder lead time",
        description="minutes before the slot when the reminder goes out; 0 = no reminder",
    )
