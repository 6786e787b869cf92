"""The city scenario of ``hallq bench``: its quick mode runs end to end, and its figures say what
they claim (lost and doubled counted against the database, the failover from the kill to the moved
halls answering again)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import city_bench
from benchmarks.city_bench import Failover, lost_and_doubled
from benchmarks.cli import SCENARIOS, add_arguments
from harness.city import Request


def _answered(hall: str, sent: float, replied: float) -> Request:
    return Request(hall, "ticket.issue", f"r-{hall}-{sent}", {}, sent, sent, replied=replied)


def test_lost_and_doubled_compare_what_kiosks_were_told_with_the_rows() -> None:
    stored = {"h1": [("t1", 1, "k1"), ("t2", 2, "k2")], "h2": [("t3", 1, "k3")]}
    assert lost_and_doubled([("h1", "t1", "k1"), ("h1", "t2", "k2"), ("h2", "t3", "k3")], stored) == (0, 0)
    # told a ticket the database does not have (or has in another hall)
    assert lost_and_doubled([("h1", "t9", "k9"), ("h1", "t3", "k3")], stored) == (2, 0)
    # two rows for one request, a number given twice, one ticket told to two requests
    twice = {"h1": [("t1", 1, "k1"), ("t2", 2, "k1")], "h2": [("t3", 1, "k3"), ("t4", 1, "k4")]}
    assert lost_and_doubled([("h1", "t1", "k1")], twice) == (0, 2)
    assert lost_and_doubled([("h1", "t1", "k1"), ("h1", "t1", "kx")], stored) == (0, 1)


def test_failover_ends_when_the_last_moved_hall_answers_a_request_sent_after_the_kill() -> None:
    failover = Failover(killed=100.0, moved={"h1", "h2"})
    before = _answered("h1", 99.0, 100.5)  # sent to the dead instance: does not count
    answered = [before, _answered("h1", 101.0, 106.0), _answered("h1", 107.0, 107.1)]
    assert failover.served_s(answered) is None  # h2 not served yet
    answered += [_answered("h2", 102.0, 108.0), _answered("h3", 100.1, 100.2)]  # h3 did not move
    assert failover.served_s(answered) == 8.0


def test_the_default_and_quick_runs_leave_the_city_out() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--json", "--quick"]).scenario == "default"
    assert "city" not in SCENARIOS["default"]
    assert list(SCENARIOS["city"]) == ["city"]


# Two server processes, four halls and a failover: about a minute, two on a loaded machine.
@pytest.mark.timeout(300)
def test_quick_city_run_loses_and_doubles_nothing_and_measures_the_failover(pg_available: None) -> None:
    figures = city_bench.run(quick=True, db="postgresql")
    offered = city_bench.QUICK.halls * city_bench.QUICK.visits
    assert figures["city_visits_offered"] == offered
    # every visit got its ticket or is still in line (a loaded machine), and the database has exactly
    # the tickets the kiosks were told
    tickets, left = figures["city_tickets"], figures["city_visits_left_in_line"]
    assert isinstance(tickets, int) and isinstance(left, int) and tickets > 0
    assert tickets + left == offered
    assert figures["city_tickets_in_db"] == tickets
    assert figures["city_tickets_in_db_unreplied"] == 0
    assert figures["city_requests_unanswered"] == 0
    assert (figures["city_tickets_lost"], figures["city_tickets_doubled"]) == (0, 0)
    assert figures["city_calls_displayed_twice"] == 0
    assert isinstance(figures["city_calls"], int) and figures["city_calls"] > 0
    # the killed instance held halls, and the requests in flight reached the survivor by a resend
    assert isinstance(figures["city_halls_moved"], int) and figures["city_halls_moved"] >= 1
    assert isinstance(figures["city_requests_resent"], int) and figures["city_requests_resent"] >= 1
    # measured from the kill: a lease lapses no sooner than 3/4 of its ttl (6 s) after its last renewal
    served, health = figures["city_failover_s"], figures["city_failover_health_s"]
    assert isinstance(served, float) and isinstance(health, float)
    assert served >= 4.5 and health >= 4.5
    for name in ("city_issue", "city_call_to_display"):
        for suffix in ("p50_ms", "p99_ms", "excl_failover_p99_ms"):
            assert isinstance(figures[f"{name}_{suffix}"], float)
