"""Who comes on a service day: tickets by service, channel, priority, matter, and the day's bookings.

Shares follow the windows (a service with more windows draws more people); arrivals peak in the
first hour of each session and stop at the service's cut-off; about 0.4 % are special tickets
(特事特办, issued by the manager), 9 % come through the guide desk (导办台, issued over HTTP, no
device), 7 % carry a priority class, the rest are kiosk tickets. Bookings fill 55-95 % of each
half-day's capacity; most are kept (some late), some arrive too late and take a walk-in ticket, some
never come, a few are cancelled.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime

from benchmarks.year.hall import HallInfo, ServiceInfo
from benchmarks.year.records import APPOINTMENT, GUIDE_DESK, KIOSK, SPECIAL, Appt, Day, EventRec, Visit
from queue_server.store.tables import LANE_MILITARY, LANE_NORMAL, LANE_PRIORITY, LANE_SPECIAL

RANK_SPECIAL, RANK_MILITARY, RANK_PRIORITY, RANK_APPOINTMENT, RANK_NORMAL = range(5)
# (class, basis, cumulative share of tickets)
_PRIORITIES = (
    ("elderly", "id_birth_date", 0.040),
    ("military", "declared", 0.050),
    ("disabled", "declared", 0.058),
    ("pregnant", "declared", 0.064),
    ("with_infant", "declared", 0.070),
)
_SPECIAL_REASONS = ("重点项目企业开办", "危重病人家属代办", "外地来访群众急办", "领导交办事项")
_SLOT_S = 1800
# What a secondary service counts of a window: it is served there only when the primaries are empty.
SECONDARY_WEIGHT = 0.2
_MINUTE = 60.0


def sessions(hall: HallInfo, day: date, rest: bool) -> list[tuple[float, float]]:
    """The day's opening sessions as (open, close) seconds since local midnight."""
    raw = hall.rest_day_schedule if rest else hall.schedule.get(str(day.weekday()))
    if raw is None and hall.schedule:
        # A weekend make-up working day (调休) runs as an ordinary working day (domain/schedule.py).
        raw = hall.schedule[min(hall.schedule)]
    return [(_seconds(a), _seconds(b)) for a, b in raw or []]


def _seconds(hhmm: str) -> float:
    hours, minutes = hhmm.split(":")
    return int(hours) * 3600.0 + int(minutes) * 60.0


def open_services(hall: HallInfo, rest: bool) -> list[ServiceInfo]:
    return [s for s in hall.services if s.weekend or not rest]


def shares(hall: HallInfo, rest: bool) -> dict[int, float]:
    """Each open service's share of the day's tickets: its windows (a secondary counts a fifth)."""
    weights: dict[int, float] = {s.id: 0.0 for s in open_services(hall, rest)}
    for w in hall.windows:
        if rest and not w.weekend:
            continue
        for sid in w.primary:
            if sid in weights:
                weights[sid] += 1.0
        for sid in w.secondary:
            if sid in weights:
                weights[sid] += SECONDARY_WEIGHT
    total = sum(weights.values()) or 1.0
    return {sid: weight / total for sid, weight in weights.items()}


class Arrivals:
    """Draws one day's visits and bookings; ``citizens`` are ID hashes that come back over the year."""

    def __init__(self, hall: HallInfo, rng: random.Random, citizens: list[str], booked: float = 1.0) -> None:
        self.hall = hall
        self.rng = rng
        self.citizens = citizens
        self.booked = (
            booked  # the share of the hall's appointment capacity a day books (a smaller hall: less)
        )

    def day(self, record: Day, volume: int, clock: Callable[[float], datetime]) -> None:
        """Fill ``record.visits`` (unsorted) and ``record.appointments`` for ``volume`` tickets."""
        hours = sessions(self.hall, record.day, record.rest_day)
        if not hours:
            return
        tag = record.day.toordinal()
        n = 0
        for service in open_services(self.hall, record.rest_day):
            count = round(volume * shares(self.hall, record.rest_day)[service.id])
            windows = _issuing(hours, service.cutoff_s)
            for _ in range(count):
                record.visits.append(self._visit(service, self._when(windows), tag, n))
                n += 1
            if service.appointment_capacity:
                self._bookings(record, service, hours, tag, clock)

    def _when(self, windows: list[tuple[float, float, float]]) -> float:
        r = self.rng.random()
        for start, end, cumulative in windows:
            if r <= cumulative:
                return start + (end - start) * self.rng.betavariate(1.4, 2.6)
        start, end, _ = windows[-1]
        return start + (end - start) * self.rng.random()

    def _visit(self, service: ServiceInfo, at: float, tag: int, n: int) -> Visit:
        rng = self.rng
        r = rng.random()
        if r < 0.004:
            visit = Visit(service, at, at, RANK_SPECIAL, LANE_SPECIAL, SPECIAL)
            visit.special_reason = _SPECIAL_REASONS[n % len(_SPECIAL_REASONS)]
            return visit
        if r < 0.094:
            visit = Visit(service, at, at, RANK_NORMAL, LANE_NORMAL, GUIDE_DESK)
            visit.request_id = f"g{tag}-{n}" if n % 2 else None  # an Idempotency-Key, when the desk sent one
        else:
            kiosks = self.hall.kiosks
            visit = Visit(service, at, at, RANK_NORMAL, LANE_NORMAL, KIOSK, device=kiosks[n % len(kiosks)])
            visit.request_id = f"k{tag}-{n}"
        if service.matters and rng.random() < 0.6:
            visit.matter = service.matters[n % len(service.matters)]
        if rng.random() < 0.65:
            visit.id_hash = self.citizens[rng.randrange(len(self.citizens))]
        self._priority(visit)
        return visit

    def _priority(self, visit: Visit) -> None:
        r = self.rng.random()
        for cls, basis, cumulative in _PRIORITIES:
            if r < cumulative:
                visit.priority, visit.basis = cls, basis
                visit.confirmed = basis != "declared"  # a declared class waits for the window's check
                military = cls == "military"
                visit.rank = RANK_MILITARY if military else RANK_PRIORITY
                visit.lane = LANE_MILITARY if military else LANE_PRIORITY
                if basis == "id_birth_date" and visit.id_hash is None:
                    visit.id_hash = self.citizens[self.rng.randrange(len(self.citizens))]
                return

    def _bookings(
        self,
        record: Day,
        service: ServiceInfo,
        hours: list[tuple[float, float]],
        tag: int,
        clock: Callable[[float], datetime],
    ) -> None:
        rng = self.rng
        capacity = service.appointment_capacity * self.booked / (2 if record.rest_day else 1)
        for start, end in hours:
            slots = max(1, int((end - start) // _SLOT_S) - 1)
            for _ in range(int(capacity * rng.uniform(0.55, 0.95))):
                slot = start + _SLOT_S * rng.randrange(slots)
                matter = service.matters[rng.randrange(len(service.matters))] if service.matters else None
                booked = -86400.0 * rng.randint(1, 10) + rng.uniform(8 * 3600, 22 * 3600)
                appt = Appt(
                    service,
                    matter,
                    self.citizens[rng.randrange(len(self.citizens))],
                    slot,
                    slot + _SLOT_S,
                    booked,
                )
                # Unique per hall over 1000 days: (day, n) scrambled by a number prime to 10^8.
                appt.code = f"{((tag % 1000) * 100_000 + len(record.appointments)) * 7919 % 100_000_000:08d}"
                record.appointments.append(appt)
                data = {
                    "code": appt.code,
                    "service": service.code,
                    "slot_start": clock(slot).isoformat() + "+00:00",
                }
                record.events.append(EventRec(booked, "appointment_booked", None, None, None, None, data))
                self._arrive(record, appt, tag, start)

    def _arrive(self, record: Day, appt: Appt, tag: int, opens: float) -> None:
        rng = self.rng
        r = rng.random()
        if r < 0.84:  # kept: most a little early, some late (within the check-in limit)
            at = appt.slot_start + (rng.uniform(-25, -1) if r < 0.78 else rng.uniform(1, 14)) * _MINUTE
            at = max(at, opens + rng.uniform(0, 120))  # the kiosks issue from opening time
            visit = Visit(appt.service, at, at, RANK_APPOINTMENT, LANE_NORMAL, APPOINTMENT)
            visit.device, visit.request_id = self.hall.kiosks[0], f"a{tag}-{len(record.appointments)}"
            visit.matter, visit.id_hash, visit.appt = appt.matter, appt.id_hash, appt
            appt.state, appt.visit, appt.checked_in_at = "checked_in", visit, at
            record.visits.append(visit)
        elif r < 0.87:  # too late: a walk-in ticket instead
            at = appt.slot_start + rng.uniform(20, 40) * _MINUTE
            appt.state = "walked_in"
            visit = Visit(appt.service, at, at, RANK_NORMAL, LANE_NORMAL, KIOSK, device=self.hall.kiosks[0])
            visit.request_id, visit.matter, visit.id_hash = (
                f"w{tag}-{len(record.appointments)}",
                appt.matter,
                appt.id_hash,
            )
            record.visits.append(visit)
            record.events.append(
                EventRec(at, "appointment_late_walk_in", None, None, None, visit.device, {"code": appt.code})
            )
        elif r > 0.97:
            appt.state = "cancelled"
        # else: never came, the booking stays "booked" (a missed appointment)


def _issuing(hours: list[tuple[float, float]], cutoff_s: float) -> list[tuple[float, float, float]]:
    """(first issue, last issue, cumulative weight) per session; the last session stops at the cut-off."""
    spans = [(a, b - 20 * _MINUTE if i < len(hours) - 1 else b - cutoff_s) for i, (a, b) in enumerate(hours)]
    total = sum(max(0.0, b - a) for a, b in spans) or 1.0
    out, cumulative = [], 0.0
    for a, b in spans:
        cumulative += max(0.0, b - a) / total
        out.append((a, b, cumulative))
    return out
