"""One service day played through: windows signed in per session, calling in order, pausing, closing.

A discrete-event loop over the windows (the earliest free window acts next). A window calls the best
waiting ticket of its primary services, else of its secondary ones: special first, then military,
then other priority classes, then appointments by slot, then everyone else by queue time. Between
sessions the window closes and its person signs out (the lunch break); at the day's last closing an
extended-hours window (延时服务) goes on while tickets of its services wait, up to 90 minutes; other
windows stop, and what is left waiting at the close stays waiting (abandoned). Each window takes 0-3
pauses with a reason. Handling times are drawn so that each service runs at about 80 % load.
"""

from __future__ import annotations

import heapq
import math
import random
from datetime import date

from benchmarks.year.arrivals import RANK_APPOINTMENT, SECONDARY_WEIGHT, Arrivals, sessions
from benchmarks.year.hall import HallInfo, clock_for
from benchmarks.year.records import Day, Visit
from benchmarks.year.visits import Counter, Seat

EXTENDED_LIMIT_S = 90 * 60.0
IDLE_POLL_S = 120.0  # an idle window with nothing coming looks again (a transfer may arrive)
_PAUSE_REASONS = ("临时离岗", "接听电话", "业务咨询", "系统故障", "窗口会议")
_LOAD = 0.8
_CALL_OVERHEAD_S = 35.0  # call, walk to the window, the gap before the next call


def simulate(
    hall: HallInfo, day: date, rest: bool, volume: int, rng: random.Random, arrivals: Arrivals
) -> Day:
    """The record of ``day`` with about ``volume`` tickets (before transfers)."""
    record = Day(day, rest)
    arrivals.day(record, volume, clock_for(hall, day))
    _Loop(hall, record, rng).run()
    return record


class _Loop:
    def __init__(self, hall: HallInfo, record: Day, rng: random.Random) -> None:
        self.hall, self.record, self.rng = hall, record, rng
        self.hours = sessions(hall, record.day, record.rest_day)
        self.seats = [Seat(w) for w in hall.windows if w.weekend or not record.rest_day]
        self.arriving: dict[int, list[tuple[float, int, Visit]]] = {s.id: [] for s in hall.services}
        self.waiting: dict[int, list[tuple[int, float, int, Visit]]] = {s.id: [] for s in hall.services}
        self.n = 0
        for visit in record.visits:
            self._arrive(visit)
        self.counter = Counter(hall, rng, record, self._handling())

    def _arrive(self, visit: Visit) -> None:
        self.n += 1
        heapq.heappush(self.arriving[visit.service.id], (visit.issued, self.n, visit))

    def _handling(self) -> dict[int, float]:
        """Mean handling seconds per service: its windows' open time at ``_LOAD`` over its tickets."""
        open_s = sum(b - a for a, b in self.hours)
        count: dict[int, int] = {}
        for visit in self.record.visits:
            count[visit.service.id] = count.get(visit.service.id, 0) + 1
        windows: dict[int, float] = {}
        for seat in self.seats:
            for sid in seat.info.primary:
                windows[sid] = windows.get(sid, 0.0) + 1.0
            for sid in seat.info.secondary:
                windows[sid] = windows.get(sid, 0.0) + SECONDARY_WEIGHT
        return {
            s.id: max(
                25.0, _LOAD * windows.get(s.id, 1.0) * open_s / max(1, count.get(s.id, 0)) - _CALL_OVERHEAD_S
            )
            for s in self.hall.services
        }

    def run(self) -> None:
        if not self.hours:
            return
        busy: set[int] = set()
        clock: list[tuple[float, int]] = []
        for i, seat in enumerate(self.seats):
            seat.pauses = self._pauses()
            if self._sign_in(seat, 0, busy):
                heapq.heappush(clock, (self.hours[0][0], i))
        while clock:
            t, i = heapq.heappop(clock)
            seat = self.seats[i]
            nxt = self._step(seat, t, busy)
            if nxt is not None:
                heapq.heappush(clock, (nxt, i))

    def _step(self, seat: Seat, t: float, busy: set[int]) -> float | None:
        """What the window does at ``t``; when it acts next (None: done for the day)."""
        close = self.hours[seat.session][1]
        last = seat.session == len(self.hours) - 1
        extended = last and seat.info.extended and t < close + EXTENDED_LIMIT_S
        self._admit(seat, t)
        if t >= close and not (extended and self._has_waiting(seat)):
            self._sign_out(seat, max(t, close), last, busy)
            if last:
                return None
            seat.session += 1
            return self.hours[seat.session][0] if self._sign_in(seat, seat.session, busy) else None
        if seat.pauses and seat.pauses[0][0] <= t < close:
            _, length, reason = seat.pauses.pop(0)
            self.record.pauses.append((seat.info, seat.staff or 0, reason, t, t + length))
            self.counter.event(t, "pause", seat, reason=reason)
            self.counter.event(t + length, "resume_window", seat, paused_s=round(length, 3))
            return t + length
        visit = self._pick(seat)
        if visit is None:
            coming = [self.arriving[sid][0][0] for sid in self._served(seat) if self.arriving[sid]]
            wake = min([t + IDLE_POLL_S, *coming])
            return max(t + 1.0, min(wake, close) if t < close else t + IDLE_POLL_S)
        free, child = self.counter.serve(visit, seat, t)
        if child is not None:
            self._arrive(child)
        return free

    @staticmethod
    def _served(seat: Seat) -> tuple[int, ...]:
        return (*seat.info.primary, *seat.info.secondary)

    def _admit(self, seat: Seat, t: float) -> None:
        for sid in self._served(seat):
            arriving, waiting = self.arriving[sid], self.waiting[sid]
            while arriving and arriving[0][0] <= t:
                _, n, visit = heapq.heappop(arriving)
                key = visit.appt.slot_start if visit.rank == RANK_APPOINTMENT and visit.appt else visit.queued
                heapq.heappush(waiting, (visit.rank, key, n, visit))

    def _has_waiting(self, seat: Seat) -> bool:
        return any(self.waiting[sid] for sid in self._served(seat))

    def _pick(self, seat: Seat) -> Visit | None:
        for group in (seat.info.primary, seat.info.secondary):
            best = min(((*self.waiting[sid][0][:3], sid) for sid in group if self.waiting[sid]), default=None)
            if best is not None:
                return heapq.heappop(self.waiting[best[3]])[3]
        return None

    def _pauses(self) -> list[tuple[float, float, str]]:
        rng = self.rng
        out = []
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            a, b = self.hours[rng.randrange(len(self.hours))]
            out.append((rng.uniform(a + 600, b - 900), rng.uniform(3, 20) * 60, rng.choice(_PAUSE_REASONS)))
        return sorted(out)

    def _sign_in(self, seat: Seat, session: int, busy: set[int]) -> bool:
        """Someone qualified signs in for the session (a rota that turns daily); False: nobody free."""
        people = seat.info.staff
        turn = self.record.day.toordinal() + session
        for k in range(len(people)):
            person = people[(turn + k) % len(people)]
            if person not in busy:
                break
        else:
            return False
        busy.add(person)
        opens = self.hours[session][0]
        seat.staff, seat.signed_in = person, opens - self.rng.uniform(60, 600)
        self.counter.event(seat.signed_in, "sign_in", seat, rotation_due=False)
        self.counter.event(opens - self.rng.uniform(5, 50), "window_open", seat)
        return True

    def _sign_out(self, seat: Seat, t: float, last: bool, busy: set[int]) -> None:
        close = self.hours[seat.session][1]
        # As the server computes it: minutes past the day's LAST closing (0 for the lunch break).
        extended = max(0, math.ceil((t - close) / 60)) if last else 0
        self.counter.event(t, "window_close", seat, extended_minutes=extended)
        out = t + self.rng.uniform(5, 60)
        self.counter.event(out, "sign_out", seat)
        self.record.shifts.append((seat.info, seat.staff or 0, seat.signed_in, out))
        busy.discard(seat.staff or 0)
        seat.staff = None
