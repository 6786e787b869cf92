"""The pure rule of a lease round: each live instance aims at its share of the halls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from queue_server.cluster.plan import Lease, plan_round, share

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=5)
EARLIER = NOW - timedelta(seconds=1)


def lease(hall: str, holder: str | None, epoch: int = 1, expires_at: datetime = LATER) -> Lease:
    return Lease(int(hall[1:]), hall, holder, epoch, expires_at)


def test_a_lone_instance_takes_every_free_hall() -> None:
    plan = plan_round([lease("h1", None, 0), lease("h2", None, 0)], "a", {}, 1, NOW)
    assert [x.hall for x in plan.take] == ["h1", "h2"]
    assert not plan.keep and not plan.release and not plan.lost


def test_an_instance_above_its_share_releases_the_rest() -> None:
    leases = [lease(f"h{i}", "a") for i in range(1, 5)]
    plan = plan_round(leases, "a", {f"h{i}": 1 for i in range(1, 5)}, 2, NOW)
    assert [x.hall for x in plan.keep] == ["h1", "h2"]
    assert [x.hall for x in plan.release] == ["h3", "h4"]
    assert not plan.take


def test_a_lapsed_lease_is_taken_and_a_live_one_is_not() -> None:
    leases = [lease("h1", "b", 3, EARLIER), lease("h2", "c", 1, LATER)]
    plan = plan_round(leases, "a", {}, 1, NOW)
    assert [x.hall for x in plan.take] == ["h1"]  # h2's holder is alive: its lease has not lapsed


def test_a_lease_that_moved_on_is_lost() -> None:
    leases = [lease("h1", "b", 4)]
    plan = plan_round(leases, "a", {"h1": 3}, 2, NOW)
    assert plan.lost == ["h1"]
    assert not plan.keep


def test_a_lease_of_a_previous_run_is_taken_again_with_a_new_epoch() -> None:
    plan = plan_round([lease("h1", "a", 7)], "a", {}, 1, NOW)
    assert [x.hall for x in plan.take] == ["h1"]
    assert not plan.keep


@given(halls=st.integers(0, 40), members=st.integers(1, 8))
def test_the_shares_cover_every_hall(halls: int, members: int) -> None:
    assert share(halls, members) * members >= halls
    assert (share(halls, members) - 1) * members < max(halls, 1)
