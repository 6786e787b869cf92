"""What one simulated service day leaves behind, before it becomes rows.

Times are seconds since the hall-local midnight of the day (floats; a case closed days later is just a
larger number). Ids, ticket numbers and call sequence numbers are given when the day becomes rows
(``rows.py``), in time order, as the live server would have given them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from benchmarks.year.hall import Matter, ServiceInfo, WindowInfo

KIOSK = "kiosk"
APPOINTMENT = "appointment"
SPECIAL = "special"
GUIDE_DESK = "guide_desk"  # issued at the reception desk over HTTP: no device


@dataclass(slots=True)
class Appt:
    """A booking of the day's slots; ``visit`` is the ticket its check-in made."""

    service: ServiceInfo
    matter: Matter | None
    id_hash: str
    slot_start: float
    slot_end: float
    booked_at: float  # negative: days before
    state: str = "booked"
    visit: Visit | None = None
    checked_in_at: float | None = None
    id: int = 0
    code: str = ""


@dataclass(slots=True)
class Visit:
    """One ticket row in the making (a transfer makes a child visit with the same number)."""

    service: ServiceInfo
    issued: float
    queued: float
    rank: int  # call order tier: special, military, priority, appointment, normal
    lane: str
    channel: str
    device: str | None = None
    request_id: str | None = None
    priority: str | None = None
    basis: str | None = None
    confirmed: bool | None = None
    matter: Matter | None = None
    id_hash: str | None = None
    appt: Appt | None = None
    special_reason: str | None = None
    parent: Visit | None = None
    from_window: WindowInfo | None = None
    state: str = "waiting"
    first_called: float | None = None
    called: float | None = None
    started: float | None = None
    finished: float | None = None
    window: WindowInfo | None = None
    staff: int | None = None
    recalls: int = 0
    no_shows: int = 0
    outcome: str | None = None
    case_number: str | None = None
    id: int = 0
    seq: int = 0
    number: str = ""


@dataclass(slots=True)
class EventRec:
    ts: float
    kind: str
    visit: Visit | None
    window: WindowInfo | None
    staff: int | None
    device: str | None
    data: dict[str, Any]
    other: Visit | None = None  # a transfer's other ticket: its id goes into ``data`` once given
    call: list[Any] | None = None  # the call row this event announces: its seq goes into ``data``


@dataclass(slots=True)
class CaseRec:
    visit: Visit
    case_type: str
    created: float
    deadline: date | None
    closed: float | None


@dataclass(slots=True)
class RatingRec:
    visit: Visit
    ts: float
    score: int
    bad: bool
    due: date | None = None  # rectification due day (bad ratings)
    rectified: float | None = None  # when its rectification item closed
    measures: str = ""


@dataclass
class Day:
    """Everything one service day recorded."""

    day: date
    rest_day: bool
    visits: list[Visit] = field(default_factory=list)
    calls: list[list[Any]] = field(default_factory=list)  # [ts, kind, visit, window, seq]
    events: list[EventRec] = field(default_factory=list)
    appointments: list[Appt] = field(default_factory=list)
    cases: list[CaseRec] = field(default_factory=list)
    ratings: list[RatingRec] = field(default_factory=list)
    pauses: list[tuple[WindowInfo, int, str, float, float]] = field(default_factory=list)
    shifts: list[tuple[WindowInfo, int, float, float]] = field(default_factory=list)
    grants: list[tuple[Visit, float, str]] = field(default_factory=list)
