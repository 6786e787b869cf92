"""One test (or a few) per clause of the default call-next policy (DOMAIN.md "Ordering")."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, timedelta

import pytest

from queue_server.domain.ordering import (
    Candidate,
    ServicePolicy,
    Tier,
    WindowProfile,
    after_call,
    call_order,
    eligible,
    pick_next,
    tier,
    with_call,
)

from .factories import NOW, TODAY, cand, minutes_ago

WINDOW = WindowProfile(service_weights={"A": 1})
NO_BOUND = ServicePolicy()


def ids(order: list[Candidate]) -> list[int]:
    return [c.ticket_id for c in order]


def picked(
    candidates: list[Candidate], window: WindowProfile = WINDOW, policy: ServicePolicy = NO_BOUND
) -> int:
    choice = pick_next(candidates, window, policy, NOW)
    assert choice is not None
    return choice.ticket_id


# Clause 1: candidates -------------------------------------------------------------------------------


def test_clause1_held_ticket_is_not_eligible() -> None:
    held = cand(1, waited=60, held=True)
    assert not eligible(held, WINDOW, TODAY)
    assert picked([held, cand(2, waited=1)]) == 2


def test_clause1_only_todays_tickets() -> None:
    yesterday = cand(1, waited=60, day=date(2026, 11, 24))
    assert not eligible(yesterday, WINDOW, TODAY)
    assert pick_next([yesterday], WINDOW, NO_BOUND, NOW) is None


def test_clause1_only_services_the_window_serves() -> None:
    other = cand(1, service="B", waited=60, special=True)
    assert not eligible(other, WINDOW, TODAY)
    assert picked([other, cand(2, waited=1)]) == 2


def test_clause1_weight_zero_still_means_served() -> None:
    window = WindowProfile(service_weights={"A": 1, "B": 0})
    assert eligible(cand(1, service="B"), window, TODAY)


def test_clause1_today_is_the_hall_local_day_not_the_utc_day() -> None:
    # 07:30 in Shanghai is 23:30 of the previous day in UTC; "today" is the hall's day.
    early_utc = NOW.replace(hour=7, minute=30).astimezone(UTC)
    todays = replace(cand(1), issued_at=early_utc - timedelta(minutes=1))
    yesterdays = cand(2, waited=600, day=date(2026, 11, 24))
    assert pick_next([todays, yesterdays], WINDOW, NO_BOUND, early_utc) == todays


def test_clause1_military_window_takes_military_tickets_first() -> None:
    window = WindowProfile(service_weights={"A": 1}, military_priority=True)
    older_priority = cand(1, waited=50, priority_class="elderly")
    older_normal = cand(2, waited=60)
    military = cand(3, waited=1, priority_class="military")
    assert picked([older_priority, older_normal, military], window) == 3
    assert picked([older_priority, older_normal, military], WINDOW) == 1


def test_clause1_military_flag_alone_counts_and_ranks_after_special() -> None:
    window = WindowProfile(service_weights={"A": 1}, military_priority=True)
    flagged = cand(1, waited=1, military=True)
    special = cand(2, waited=0, special=True)
    appointment = cand(3, waited=30, slot_start=minutes_ago(10))
    assert ids(call_order([appointment, flagged, special], window, NO_BOUND, NOW)) == [2, 1, 3]


# Clause 2: special tickets first ---------------------------------------------------------------------


def test_clause2_special_ticket_beats_every_other_clause() -> None:
    policy = ServicePolicy(max_wait={"A": timedelta(minutes=30)})
    candidates = [
        cand(1, waited=120),  # starved
        cand(2, waited=20, slot_start=minutes_ago(5)),  # appointment begun
        cand(3, waited=10, priority_class="disabled"),
        cand(4, waited=0, special=True),
    ]
    assert picked(candidates, policy=policy) == 4


def test_clause2_special_tickets_among_themselves_by_issue_time() -> None:
    candidates = [cand(5, waited=1, special=True), cand(6, waited=9, special=True, priority_class="elderly")]
    assert ids(call_order(candidates, WINDOW, NO_BOUND, NOW)) == [6, 5]


# Clause 3: checked-in appointments whose slot has begun ---------------------------------------------


def test_clause3_begun_appointment_before_priority_and_starved() -> None:
    policy = ServicePolicy(max_wait={"A": timedelta(minutes=30)})
    starved = cand(1, waited=90)
    elderly = cand(2, waited=20, priority_class="elderly")
    appointment = cand(3, waited=2, slot_start=minutes_ago(1))
    assert picked([starved, elderly, appointment], policy=policy) == 3


def test_clause3_appointments_by_slot_start_not_check_in_time() -> None:
    late_slot_early_checkin = cand(1, waited=40, slot_start=minutes_ago(5))
    early_slot_late_checkin = cand(2, waited=3, slot_start=minutes_ago(30))
    assert ids(call_order([late_slot_early_checkin, early_slot_late_checkin], WINDOW, NO_BOUND, NOW)) == [
        2,
        1,
    ]


def test_clause3_appointment_whose_slot_has_not_begun_queues_normally() -> None:
    future_slot = cand(1, waited=2, slot_start=NOW + timedelta(minutes=20))
    walk_in = cand(2, waited=10)
    assert tier(future_slot, WINDOW, NO_BOUND, NOW) is Tier.PRIORITY_OR_NORMAL
    assert ids(call_order([future_slot, walk_in], WINDOW, NO_BOUND, NOW)) == [2, 1]


def test_clause3_slot_starting_exactly_now_has_begun() -> None:
    assert tier(cand(1, slot_start=NOW), WINDOW, NO_BOUND, NOW) is Tier.APPOINTMENT


# Clause 4: starvation bound ---------------------------------------------------------------------------


def test_clause4_ticket_past_max_wait_goes_before_priority() -> None:
    policy = ServicePolicy(max_wait={"A": timedelta(minutes=45)})
    starved_normal = cand(1, waited=46)
    elderly = cand(2, waited=40, priority_class="elderly")
    assert picked([starved_normal, elderly], policy=policy) == 1
    assert picked([starved_normal, elderly]) == 2  # without the bound, priority first


def test_clause4_starved_tickets_oldest_first_across_services() -> None:
    window = WindowProfile(service_weights={"A": 5, "B": 1})
    policy = ServicePolicy(max_wait={"A": timedelta(minutes=30), "B": timedelta(minutes=10)})
    a_starved = cand(1, service="A", waited=35)
    b_starved = cand(2, service="B", waited=50)
    assert ids(call_order([a_starved, b_starved], window, policy, NOW)) == [2, 1]


def test_clause4_exactly_at_max_wait_is_not_starved_and_absent_service_is_unbounded() -> None:
    window = WindowProfile(service_weights={"A": 1, "B": 1})
    policy = ServicePolicy(max_wait={"A": timedelta(minutes=30)})
    assert tier(cand(1, waited=30), window, policy, NOW) is Tier.PRIORITY_OR_NORMAL
    assert tier(cand(2, service="B", waited=600), window, policy, NOW) is Tier.PRIORITY_OR_NORMAL


# Clause 5: priority before normal, with interleave ---------------------------------------------------


def test_clause5_priority_before_older_normal() -> None:
    assert picked([cand(1, waited=30), cand(2, waited=1, priority_class="pregnant")]) == 2


def test_clause5_after_n_priority_calls_a_waiting_normal_goes_next() -> None:
    candidates = [cand(1, waited=30), cand(2, waited=1, priority_class="pregnant")]
    tired = replace(WINDOW, consecutive_priority_calls=2)
    assert picked(candidates, tired) == 1
    once = replace(WINDOW, consecutive_priority_calls=1)
    assert picked(candidates, once) == 2


def test_clause5_priority_continues_when_no_normal_waits() -> None:
    tired = replace(WINDOW, consecutive_priority_calls=5)
    assert picked([cand(1, priority_class="elderly")], tired) == 1


def test_clause5_interleave_sequence_two_priority_one_normal() -> None:
    candidates = [cand(i, waited=50 - i, priority_class="elderly") for i in range(1, 6)]
    candidates += [cand(i, waited=60 - i) for i in range(11, 14)]
    order = call_order(candidates, WINDOW, NO_BOUND, NOW)
    assert ids(order) == [1, 2, 11, 3, 4, 12, 5, 13]


def test_clause5_interleave_n_configurable_and_zero_disables_it() -> None:
    candidates = [cand(1, priority_class="elderly"), cand(2, priority_class="elderly"), cand(3, waited=60)]
    assert ids(call_order(candidates, replace(WINDOW, interleave_n=1), NO_BOUND, NOW)) == [1, 3, 2]
    strict = replace(WINDOW, interleave_n=0, consecutive_priority_calls=9)
    assert ids(call_order(candidates, strict, NO_BOUND, NOW)) == [1, 2, 3]


def test_clause5_after_call_counts_priority_resets_on_normal_ignores_special() -> None:
    assert after_call(1, cand(1, priority_class="elderly")) == 2
    assert after_call(3, cand(2)) == 0
    assert after_call(2, cand(3, special=True)) == 2
    assert with_call(WINDOW, cand(4, priority_class="disabled")).consecutive_priority_calls == 1


# Clause 6: primary services before secondary ---------------------------------------------------------


def test_clause6_primary_service_before_secondary() -> None:
    window = WindowProfile(service_weights={"A": 1, "B": 3})
    secondary_older = cand(1, service="A", waited=40)
    primary = cand(2, service="B", waited=5)
    assert picked([secondary_older, primary], window) == 2


def test_clause6_skill_weight_does_not_beat_priority() -> None:
    window = WindowProfile(service_weights={"A": 1, "B": 3})
    secondary_priority = cand(1, service="A", waited=1, priority_class="elderly")
    primary_normal = cand(2, service="B", waited=40)
    assert picked([secondary_priority, primary_normal], window) == 1


# Clause 7: issue time, then ticket id -----------------------------------------------------------------


def test_clause7_issue_time_then_ticket_id() -> None:
    same_time = [cand(9, waited=10), cand(3, waited=10), cand(5, waited=20)]
    assert ids(call_order(same_time, WINDOW, NO_BOUND, NOW)) == [5, 3, 9]


def test_clause7_ids_break_ties_in_every_tier() -> None:
    specials = [cand(8, special=True), cand(2, special=True)]
    assert ids(call_order(specials, WINDOW, NO_BOUND, NOW)) == [2, 8]
    slot = minutes_ago(3)
    appointments = [cand(7, slot_start=slot), cand(4, slot_start=slot)]
    assert ids(call_order(appointments, WINDOW, NO_BOUND, NOW)) == [4, 7]


# The function as a whole ------------------------------------------------------------------------------


def test_nobody_eligible_gives_none_and_empty_order() -> None:
    assert pick_next([], WINDOW, NO_BOUND, NOW) is None
    assert call_order([], WINDOW, NO_BOUND, NOW) == []


def test_duplicate_ticket_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="given twice"):
        pick_next([cand(1), cand(1, waited=9)], WINDOW, NO_BOUND, NOW)


def test_call_order_limit_keeps_the_first_few() -> None:
    candidates = [cand(i, waited=i) for i in range(1, 8)]
    assert ids(call_order(candidates, WINDOW, NO_BOUND, NOW, limit=3)) == [7, 6, 5]
