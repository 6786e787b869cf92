"""What happens once a window calls a ticket: recalls, a no-show, a transfer, or the visit, its case and
its rating; each step recorded as the live server records it (call rows, events, the ticket's times).

Shares: 4 % no-shows (after 0-2 recalls; the demo hall voids them), 6 % come after one recall, 3 % are
transferred to another service, 60 % of finished visits open a case, 38 % are rated (2 % badly).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from benchmarks.year.hall import HallInfo, ServiceInfo, WindowInfo
from benchmarks.year.records import CaseRec, Day, EventRec, RatingRec, Visit
from queue_server.domain.cases import CaseType, deadline_for
from queue_server.domain.ratings import is_bad, rectification_due

_TIMED = {CaseType.PROMISED.value, CaseType.JOINT.value, CaseType.APPROVAL.value, CaseType.SPECIAL.value}
# (score, cumulative share of ratings)
_SCORES = ((5, 0.80), (4, 0.94), (3, 0.98), (2, 0.992), (1, 1.0))
_MEASURES = "已约谈窗口人员，复盘办事流程，向群众致歉并回访。"
_DAY = 86400.0
_SIGMA = 0.6  # lognormal spread of handling times


@dataclass
class Seat:
    """A window's day: who is signed in for the current session, and what it still has to do."""

    info: WindowInfo
    session: int = 0
    staff: int | None = None
    signed_in: float = 0.0
    pauses: list[tuple[float, float, str]] = field(default_factory=list)


class Counter:
    """Plays calls through to their end for one day; ``handling`` is the mean handling time per service."""

    def __init__(self, hall: HallInfo, rng: random.Random, record: Day, handling: dict[int, float]) -> None:
        self.hall = hall
        self.rng = rng
        self.record = record
        self.handling = handling
        self.targets = [s for s in hall.services if s.weekend or not record.rest_day]

    def event(self, ts: float, kind: str, seat: Seat, visit: Visit | None = None, **data: object) -> EventRec:
        """A window operation's audit row: from the window's agent if it has one, else from the console."""
        device = seat.info.agent
        who = f"device:{device}" if device else f"staff:{self.hall.logins.get(seat.staff or 0, '')}"
        event = EventRec(ts, kind, visit, seat.info, seat.staff, device, {**data, "actor": who})
        self.record.events.append(event)
        return event

    def _call(self, ts: float, kind: str, visit: Visit, seat: Seat, **data: object) -> None:
        call: list[Any] = [ts, kind, visit, seat.info, 0]
        self.record.calls.append(call)
        event = self.event(ts, "call_next" if kind == "call" else "recall", seat, visit, **data)
        event.call = call

    def serve(self, visit: Visit, seat: Seat, t: float) -> tuple[float, Visit | None]:
        """Call ``visit`` at ``t``; when the window is free again, and the child ticket of a transfer."""
        rng = self.rng
        visit.state, visit.window, visit.staff, visit.called = "called", seat.info, seat.staff, t
        if visit.first_called is None:
            visit.first_called = t
        self._call(t, "call", visit, seat)
        if visit.basis == "declared":
            visit.confirmed = rng.random() < 0.95
            kind = "priority_confirmed" if visit.confirmed else "priority_rejected"
            self.event(
                t + 15, kind, seat, visit, priority=visit.priority, by=self.hall.logins.get(seat.staff or 0)
            )
        r = rng.random()
        if r < 0.04:
            return self._no_show(visit, seat, t), None
        if r < 0.10:
            t += rng.uniform(30, 60)
            visit.recalls, visit.called = 1, t
            self._call(t, "recall", visit, seat, recall_count=1)
        start = t + rng.uniform(8, 40)
        visit.state, visit.started = "serving", start
        self.event(start, "start", seat, visit)
        mean = self.handling[visit.service.id]
        handling = rng.lognormvariate(math.log(mean) - _SIGMA**2 / 2, _SIGMA)
        if rng.random() < 0.03 and len(self.targets) > 1:
            return self._transfer(visit, seat, start + handling / 2)
        end = start + handling
        visit.state, visit.finished = "done", end
        self._outcome(visit)
        self.event(end, "finish", seat, visit, outcome=visit.outcome, handling_s=round(handling, 3))
        if rng.random() < 0.38:
            self._rating(visit, seat, end + rng.uniform(3, 40))
        return end + rng.uniform(3, 12), None

    def _no_show(self, visit: Visit, seat: Seat, t: float) -> float:
        for n in range(self.rng.choice((0, 1, 1, 2))):
            t += self.rng.uniform(30, 60)
            visit.recalls, visit.called = n + 1, t
            self._call(t, "recall", visit, seat, recall_count=n + 1)
        t += self.rng.uniform(40, 90)
        visit.state, visit.finished, visit.no_shows = "no_show", t, 1
        self.event(t, "no_show", seat, visit, requeued=False, no_show_count=1)
        return t + self.rng.uniform(2, 6)

    def _transfer(self, visit: Visit, seat: Seat, t: float) -> tuple[float, Visit]:
        others = [s for s in self.targets if s.id != visit.service.id]
        target: ServiceInfo = others[self.rng.randrange(len(others))]
        visit.state, visit.finished = "transferred", t
        child = Visit(target, t, visit.queued, visit.rank, visit.lane, visit.channel)
        child.priority, child.basis, child.confirmed = visit.priority, visit.basis, visit.confirmed
        child.matter, child.id_hash, child.appt = visit.matter, visit.id_hash, visit.appt
        child.special_reason, child.parent, child.from_window = visit.special_reason, visit, seat.info
        self.record.visits.append(child)
        event = self.event(t, "transfer", seat, visit, to_service=target.code, to_window=None, note=None)
        event.other = child
        arrived = EventRec(
            t, "transferred_in", child, None, None, seat.info.agent, {"service": target.code}, visit
        )
        self.record.events.append(arrived)
        return t + self.rng.uniform(2, 6), child

    def _outcome(self, visit: Visit) -> None:
        rng = self.rng
        if rng.random() >= 0.6:
            return
        r = rng.random()
        matter = visit.matter
        if r < 0.08:
            kind = CaseType.RETURNED.value
        elif r < 0.15:
            kind = CaseType.SUPPLEMENT.value
        else:
            kind = CaseType.IMMEDIATE.value if matter is None else matter.case_type
        visit.outcome = kind
        day = self.record.day
        promised = 0 if matter is None else matter.promised_days
        deadline = deadline_for(CaseType(kind), day, promised, self.hall.calendar)
        created = visit.finished or 0.0
        closed: float | None = created
        if kind in _TIMED and deadline is not None:
            # Most close before the deadline; about one in sixteen runs late.
            span = max(1.0, (deadline - day).days * _DAY)
            closed = created + span * rng.uniform(0.2, 1.08)
        elif kind not in (CaseType.IMMEDIATE.value,):
            closed = created  # returned, supplement: nothing accepted, the visit ends the case
        self.record.cases.append(CaseRec(visit, kind, created, deadline, closed))

    def _rating(self, visit: Visit, seat: Seat, ts: float) -> None:
        r = self.rng.random()
        score = next(s for s, cumulative in _SCORES if r <= cumulative)
        bad = is_bad(score)
        rating = RatingRec(visit, ts, score, bad)
        if bad:
            rating.due = rectification_due(self.record.day, self.hall.calendar)
            if self.rng.random() < 0.92:
                rating.rectified = ts + self.rng.uniform(1, 25) * _DAY
                rating.measures = _MEASURES
        self.record.ratings.append(rating)
        self.event(ts, "rating", seat, visit, score=score, bad=bad)
