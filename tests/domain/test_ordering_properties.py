"""Properties of the call-next policy over generated queues (hypothesis)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.domain.ordering import (
    Candidate,
    ServicePolicy,
    Tier,
    WindowProfile,
    call_order,
    eligible,
    is_starved,
    pick_next,
    tier,
    with_call,
)

from .factories import NOW, TODAY, minutes_ago

SERVICES = ("A", "B", "C")
CLASSES = (None, None, "elderly", "military", "disabled")
# Enough examples to hit every tier often (no per-example deadline: see the profiles in tests/conftest.py).
FAST = settings(max_examples=75)


def _candidate(plain: bool, first_id: int) -> st.SearchStrategy[Candidate]:
    """One ticket. `plain`: no special, appointment, held or other-day ticket."""
    return st.builds(
        Candidate,
        ticket_id=st.integers(first_id, first_id + 999),
        service=st.sampled_from(SERVICES),
        # Few distinct minutes, so issue-time ties (clause 7) really happen.
        issued_at=st.integers(0, 12).map(lambda m: minutes_ago(10 * m)),
        priority_class=st.sampled_from(CLASSES),
        special=st.just(False) if plain else st.integers(0, 9).map(lambda r: r == 0),
        appointment_slot_start=st.none() if plain else st.none() | st.integers(-30, 60).map(minutes_ago),
        held=st.just(False) if plain else st.integers(0, 5).map(lambda r: r == 0),
        day=st.just(TODAY) if plain else st.sampled_from((TODAY, TODAY, TODAY, date(2026, 11, 24))),
        military=st.just(False),
    )


def candidate_lists(
    *, plain: bool = False, max_size: int = 12, first_id: int = 1
) -> st.SearchStrategy[list[Candidate]]:
    """Waiting tickets with unique ids."""
    return st.lists(_candidate(plain, first_id), max_size=max_size, unique_by=lambda c: c.ticket_id)


@st.composite
def windows(draw: st.DrawFn, *, military: bool | None = None) -> WindowProfile:
    served = draw(st.lists(st.sampled_from(SERVICES), min_size=1, unique=True))
    return WindowProfile(
        service_weights={s: draw(st.integers(0, 3)) for s in served},
        military_priority=draw(st.booleans()) if military is None else military,
        consecutive_priority_calls=draw(st.integers(0, 4)),
        interleave_n=draw(st.integers(0, 3)),
    )


policies = st.builds(
    ServicePolicy,
    max_wait=st.dictionaries(
        st.sampled_from(SERVICES), st.integers(5, 150).map(lambda m: timedelta(minutes=m))
    ),
)


@FAST
@given(candidate_lists(), windows(), policies)
def test_pick_is_eligible_and_none_only_when_nobody_is(
    candidates: list[Candidate], window: WindowProfile, policy: ServicePolicy
) -> None:
    choice = pick_next(candidates, window, policy, NOW)
    anyone = [c for c in candidates if eligible(c, window, TODAY)]
    if choice is None:
        assert anyone == []
    else:
        assert eligible(choice, window, TODAY)
        assert not choice.held


@FAST
@given(candidate_lists(), windows(), policies, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(
    candidates: list[Candidate], window: WindowProfile, policy: ServicePolicy, rnd: random.Random
) -> None:
    shuffled = list(candidates)
    rnd.shuffle(shuffled)
    assert pick_next(shuffled, window, policy, NOW) == pick_next(candidates, window, policy, NOW)
    assert call_order(shuffled, window, policy, NOW) == call_order(candidates, window, policy, NOW)


@FAST
@given(candidate_lists(), windows(), policies)
def test_special_always_wins(
    candidates: list[Candidate], window: WindowProfile, policy: ServicePolicy
) -> None:
    specials = [c for c in candidates if c.special and eligible(c, window, TODAY)]
    choice = pick_next(candidates, window, policy, NOW)
    if specials:
        assert choice is not None
        assert choice.special
        assert choice == min(specials, key=lambda c: (c.issued_at, c.ticket_id))


@FAST
@given(candidate_lists(), windows(), policies)
def test_never_picks_a_held_ticket_even_when_all_else_is_held(
    candidates: list[Candidate], window: WindowProfile, policy: ServicePolicy
) -> None:
    order = call_order(candidates, window, policy, NOW)
    assert all(not c.held for c in order)
    everything_held = [c for c in candidates if c.held]
    assert pick_next(everything_held, window, policy, NOW) is None


@FAST
@given(candidate_lists(), windows(), policies)
def test_call_order_is_repeated_pick_next(
    candidates: list[Candidate], window: WindowProfile, policy: ServicePolicy
) -> None:
    order = call_order(candidates, window, policy, NOW)
    assert sorted(c.ticket_id for c in order) == sorted(
        c.ticket_id for c in candidates if eligible(c, window, TODAY)
    )
    remaining = list(candidates)
    for expected in order:
        choice = pick_next(remaining, window, policy, NOW)
        assert choice == expected
        remaining.remove(choice)
        window = with_call(window, choice)
    assert pick_next(remaining, window, policy, NOW) is None


@FAST
@given(candidate_lists(), windows(), policies)
def test_starved_ticket_goes_before_any_non_starved_priority_or_normal_ticket(
    candidates: list[Candidate], window: WindowProfile, policy: ServicePolicy
) -> None:
    starved = [
        c for c in candidates if eligible(c, window, TODAY) and tier(c, window, policy, NOW) is Tier.STARVED
    ]
    choice = pick_next(candidates, window, policy, NOW)
    if starved:
        assert choice is not None
        # Only clauses 1-3 (special, military at a military window, begun appointment) outrank it.
        assert tier(choice, window, policy, NOW) <= Tier.STARVED
        if tier(choice, window, policy, NOW) is Tier.STARVED:
            assert is_starved(choice, policy, NOW)
            assert choice == min(starved, key=lambda c: (c.issued_at, c.ticket_id))


@FAST
@given(
    candidate_lists(plain=True),
    st.lists(candidate_lists(plain=True, max_size=3, first_id=5000), max_size=6),
    windows(military=False).filter(lambda w: w.interleave_n > 0),
)
def test_interleave_bounds_consecutive_priority_calls_while_a_normal_waits(
    initial: list[Candidate], arrivals: list[list[Candidate]], window: WindowProfile
) -> None:
    # Simulate a window calling one ticket at a time while new tickets arrive between calls.
    policy = ServicePolicy()
    waiting = list(initial)
    next_id = 10_000
    consecutive = window.consecutive_priority_calls
    for step in range(len(initial) + 3 * len(arrivals) + 1):
        if step < len(arrivals):
            for arrived in arrivals[step]:
                waiting.append(replace(arrived, ticket_id=next_id))
                next_id += 1
        normal_waits = any(not c.is_priority and eligible(c, window, TODAY) for c in waiting)
        choice = pick_next(waiting, window, policy, NOW)
        if choice is None:
            continue
        if normal_waits and choice.is_priority:
            assert consecutive < window.interleave_n
        waiting.remove(choice)
        window = with_call(window, choice)
        consecutive = window.consecutive_priority_calls
        if normal_waits:
            assert consecutive <= window.interleave_n
