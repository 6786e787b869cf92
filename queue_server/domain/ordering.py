"""Call-next ordering: the hall's default policy, as one pure function with seven clauses.

`call_order` ranks every eligible waiting ticket for one window; `pick_next` is its first element.
The clauses, in precedence order (docs/design/DOMAIN.md "Ordering"):

1. Candidates: not held, of today, of a service the window serves (`eligible`). A window flagged
   military-priority takes military tickets first: they rank right after special tickets.
2. Special tickets (特事特办) before everything else.
3. Checked-in appointments whose slot has begun, by slot start.
4. Starvation bound: a ticket waiting longer than its service's maximum wait, oldest first.
5. Priority classes before normal tickets; but once the window made `interleave_n` priority calls in a
   row, a waiting normal ticket goes next (default 2: "2 priority : 1 normal" at worst).
6. Within those, services the window handles as primary before secondary (higher skill weight first).
7. Then issue time, then ticket id: a total order that never depends on a database's NULL or tie order.

Special and starved tickets are ordered by issue time, appointments by slot start, military tickets
(like clause 5) by skill weight; every tier ends in clause 7. Military tickets at a military-priority
window are legal precedence: like tiers 2–4 they are not held back by the interleave, but they do count
as priority calls for it.
The store supplies only tickets in status "waiting"; it calls `after_call` to keep the window's
`consecutive_priority_calls` and runs the pick inside the row-locked transaction that marks the ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from enum import IntEnum

from queue_server.domain.numbering import HALL_TZ, service_day

# docs/design/DOMAIN.md clause 5: at most this many priority calls in a row while a normal ticket
# waits (with 2: at worst two priority calls, then one normal), the interleave users of other queue
# systems ask for.
DEFAULT_INTERLEAVE_N = 2
MILITARY = "military"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A waiting ticket as the ordering sees it.

    `appointment_slot_start` is set only for a checked-in appointment. `military` marks a military
    ticket; a ticket whose `priority_class` is "military" counts as military too.
    """

    ticket_id: int
    service: str
    issued_at: datetime
    priority_class: str | None
    special: bool
    appointment_slot_start: datetime | None
    held: bool
    day: date
    military: bool = False

    @property
    def is_priority(self) -> bool:
        """Whether the ticket carries any priority class (clause 5)."""
        return self.priority_class is not None

    @property
    def is_military(self) -> bool:
        """Whether a military-priority window takes this ticket first (clause 1)."""
        return self.military or self.priority_class == MILITARY


@dataclass(frozen=True, slots=True)
class WindowProfile:
    """What a window serves and its call history that the ordering needs.

    `service_weights`: service -> skill weight, higher = primary; a service absent is not served.
    `consecutive_priority_calls`: priority calls this window made in a row (see `after_call`).
    `interleave_n`: after that many priority calls in a row a waiting normal ticket goes next;
    0 or less switches the interleave off (priority strictly first).
    """

    service_weights: Mapping[str, int]
    military_priority: bool = False
    consecutive_priority_calls: int = 0
    interleave_n: int = DEFAULT_INTERLEAVE_N


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """Hall-wide ordering settings: maximum wait per service (clause 4; absent = unbounded) and the
    hall's time zone, which decides what "today" is for `now`."""

    max_wait: Mapping[str, timedelta] = field(default_factory=dict)
    tz: tzinfo = HALL_TZ


class Tier(IntEnum):
    """Why a candidate ranks where it does: the clause that placed it (lower = called sooner)."""

    SPECIAL = 0
    MILITARY = 1
    APPOINTMENT = 2
    STARVED = 3
    PRIORITY_OR_NORMAL = 4


def eligible(c: Candidate, window: WindowProfile, today: date) -> bool:
    """Clause 1: the window may call this ticket at all (not held, today's, a service it serves)."""
    return not c.held and c.day == today and c.service in window.service_weights


def is_starved(c: Candidate, policy: ServicePolicy, now: datetime) -> bool:
    """Clause 4: the ticket has waited longer than its service's maximum wait."""
    limit = policy.max_wait.get(c.service)
    return limit is not None and now - c.issued_at > limit


def tier(c: Candidate, window: WindowProfile, policy: ServicePolicy, now: datetime) -> Tier:
    """The first clause (2–5) that applies to an eligible candidate."""
    if c.special:
        return Tier.SPECIAL
    if window.military_priority and c.is_military:
        return Tier.MILITARY
    if c.appointment_slot_start is not None and c.appointment_slot_start <= now:
        return Tier.APPOINTMENT
    if is_starved(c, policy, now):
        return Tier.STARVED
    return Tier.PRIORITY_OR_NORMAL


def after_call(consecutive_priority_calls: int, called: Candidate) -> int:
    """The window's new `consecutive_priority_calls` once it called `called`.

    A priority ticket adds one, a normal ticket resets to zero, a special ticket (outside the interleave)
    leaves the count as it was. Calls out of order count the same way.
    """
    if called.special:
        return consecutive_priority_calls
    return consecutive_priority_calls + 1 if called.is_priority else 0


def _interleave_due(window: WindowProfile, consecutive: int) -> bool:
    return window.interleave_n > 0 and consecutive >= window.interleave_n


# One key shape for every tier: (-skill weight, tier time, issue time, ticket id).
_Key = tuple[int, datetime, datetime, int]


def _skill_key(c: Candidate, window: WindowProfile) -> _Key:
    # Clauses 6 and 7: primary services first, then issue time, then ticket id.
    return (-window.service_weights[c.service], c.issued_at, c.issued_at, c.ticket_id)


def _key_for(t: Tier, window: WindowProfile) -> Callable[[Candidate], _Key]:
    """The sort key within one tier; every key ends in (issue time, ticket id) (clause 7)."""

    def by_issue(c: Candidate) -> _Key:
        return (0, c.issued_at, c.issued_at, c.ticket_id)

    def by_slot(c: Candidate) -> _Key:
        slot = c.appointment_slot_start if c.appointment_slot_start is not None else c.issued_at
        return (0, slot, c.issued_at, c.ticket_id)

    def by_skill(c: Candidate) -> _Key:
        return _skill_key(c, window)

    if t is Tier.SPECIAL or t is Tier.STARVED:
        return by_issue
    if t is Tier.APPOINTMENT:
        return by_slot
    return by_skill


def _eligible_by_tier(
    candidates: Iterable[Candidate], window: WindowProfile, policy: ServicePolicy, now: datetime
) -> dict[Tier, list[Candidate]]:
    today = service_day(now, policy.tz)
    tiers: dict[Tier, list[Candidate]] = {t: [] for t in Tier}
    seen: set[int] = set()
    for c in candidates:
        if c.ticket_id in seen:
            raise ValueError(f"ticket {c.ticket_id} given twice")
        seen.add(c.ticket_id)
        if eligible(c, window, today):
            tiers[tier(c, window, policy, now)].append(c)
    return tiers


def call_order(
    candidates: Iterable[Candidate],
    window: WindowProfile,
    policy: ServicePolicy,
    now: datetime,
    limit: int | None = None,
) -> list[Candidate]:
    """Every eligible candidate in the order this window would call them if it kept calling now.

    The interleave (clause 5) is simulated call by call with `after_call`, so the list is exactly what
    repeated `pick_next` calls would return. `limit` keeps only the first few (for "next tickets" screens).
    """
    tiers = _eligible_by_tier(candidates, window, policy, now)
    order: list[Candidate] = []
    consecutive = window.consecutive_priority_calls
    for t in (Tier.SPECIAL, Tier.MILITARY, Tier.APPOINTMENT, Tier.STARVED):
        for c in sorted(tiers[t], key=_key_for(t, window)):
            order.append(c)
            consecutive = after_call(consecutive, c)
    rest = sorted(tiers[Tier.PRIORITY_OR_NORMAL], key=lambda c: _skill_key(c, window))
    priority = [c for c in rest if c.is_priority]
    normal = [c for c in rest if not c.is_priority]
    p = n = 0
    while p < len(priority) or n < len(normal):
        take_normal = n < len(normal) and (p >= len(priority) or _interleave_due(window, consecutive))
        c = normal[n] if take_normal else priority[p]
        if take_normal:
            n += 1
        else:
            p += 1
        order.append(c)
        consecutive = after_call(consecutive, c)
    return order if limit is None else order[:limit]


def pick_next(
    candidates: Iterable[Candidate], window: WindowProfile, policy: ServicePolicy, now: datetime
) -> Candidate | None:
    """The ticket this window calls next under the default policy, or None when nobody is eligible."""
    tiers = _eligible_by_tier(candidates, window, policy, now)
    for t in (Tier.SPECIAL, Tier.MILITARY, Tier.APPOINTMENT, Tier.STARVED):
        if tiers[t]:
            return min(tiers[t], key=_key_for(t, window))
    rest = tiers[Tier.PRIORITY_OR_NORMAL]
    normal = [c for c in rest if not c.is_priority]
    priority = [c for c in rest if c.is_priority]
    if normal and (not priority or _interleave_due(window, window.consecutive_priority_calls)):
        return min(normal, key=lambda c: _skill_key(c, window))
    if priority:
        return min(priority, key=lambda c: _skill_key(c, window))
    return None


def with_call(window: WindowProfile, called: Candidate) -> WindowProfile:
    """The window profile after it called `called` (for simulations and the services' bookkeeping)."""
    return replace(window, consecutive_priority_calls=after_call(window.consecutive_priority_calls, called))
