"""Values shared by the domain tests: a fixed hall-local "now" and a candidate builder."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from queue_server.domain.numbering import HALL_TZ
from queue_server.domain.ordering import Candidate

SH = HALL_TZ
# A Wednesday, an ordinary working day.
TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=SH)


def minutes_ago(m: float) -> datetime:
    return NOW - timedelta(minutes=m)


def cand(
    ticket_id: int,
    *,
    service: str = "A",
    waited: float = 5,
    priority_class: str | None = None,
    special: bool = False,
    slot_start: datetime | None = None,
    held: bool = False,
    day: date = TODAY,
    military: bool = False,
) -> Candidate:
    """A waiting ticket issued `waited` minutes before NOW."""
    return Candidate(
        ticket_id=ticket_id,
        service=service,
        issued_at=minutes_ago(waited),
        priority_class=priority_class,
        special=special,
        appointment_slot_start=slot_start,
        held=held,
        day=day,
        military=military,
    )
