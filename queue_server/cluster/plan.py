"""One round of an instance's leases, decided as a pure function of what the database holds.

Each live instance aims at its share, ``ceil(halls / live instances)``: it renews the leases it holds
with the epoch it knows, takes free or lapsed ones up to its share, and releases those above it (an
instance joined), so the halls spread over the instances without a coordinator. Two instances taking
the same free lease at once are told apart by the database (the take is conditional on the epoch
seen); the loser takes another one next round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Lease:
    """A ``hall_lease`` row as a round reads it."""

    hall_id: int
    hall: str
    holder: str | None
    epoch: int
    expires_at: datetime


@dataclass(frozen=True)
class Plan:
    keep: list[Lease] = field(default_factory=list)  # held with the epoch known: renewed
    lost: list[str] = field(default_factory=list)  # held here, but the lease moved on: stop at once
    take: list[Lease] = field(default_factory=list)  # free or lapsed: taken with epoch + 1
    release: list[Lease] = field(default_factory=list)  # above this instance's share: handed back


def share(halls: int, members: int) -> int:
    """How many halls each of ``members`` live instances aims to hold."""
    return math.ceil(halls / max(members, 1))


def plan_round(
    leases: Sequence[Lease], instance: str, held: Mapping[str, int], members: int, now: datetime
) -> Plan:
    """What ``instance``, holding ``held`` (hall → epoch), does this round with ``members`` alive."""
    mine = [lease for lease in leases if lease.holder == instance and held.get(lease.hall) == lease.epoch]
    kept = {lease.hall for lease in mine}
    lost = sorted(hall for hall in held if hall not in kept)
    target = share(len(leases), members)
    # A lease naming this instance with an epoch it does not know is from its previous run (a restart
    # under the same name): taken again with a new epoch, like a lapsed one.
    free = [
        lease
        for lease in leases
        if lease.hall not in kept
        and (lease.holder is None or lease.holder == instance or lease.expires_at <= now)
    ]
    mine.sort(key=lambda lease: lease.hall)
    free.sort(key=lambda lease: (lease.holder is not None, lease.hall))
    return Plan(
        keep=mine[:target],
        lost=lost,
        take=free[: max(0, target - len(mine))],
        release=mine[target:],
    )
