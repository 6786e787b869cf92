"""Lunch-time duty, the priority classes granted and delegation (充分授权) as pure rules."""

from __future__ import annotations

from datetime import datetime, time

from harness.factories import SHANGHAI
from queue_server.domain.cases import CaseType
from queue_server.domain.policies import (
    Decision,
    Grant,
    LunchDuty,
    decision_for,
    granted_classes,
    in_lunch_break,
    may_decide,
    with_lunch,
)
from queue_server.domain.priority import PriorityClass
from queue_server.domain.schedule import DaySchedule, Session
from queue_server.halls.policies import Decision as FileDecision

DAY = DaySchedule((Session(time(9), time(12)), Session(time(13, 30), time(17))))


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 3, 12, hour, minute, tzinfo=SHANGHAI)


def test_the_lunch_break_is_the_gap_between_sessions() -> None:
    assert in_lunch_break(DAY, at(12, 0)) and in_lunch_break(DAY, at(13, 29))
    assert not in_lunch_break(DAY, at(11, 59)) and not in_lunch_break(DAY, at(13, 30))
    assert not in_lunch_break(DAY, at(17, 30)) and not in_lunch_break(None, at(12, 30))


def test_a_lunch_duty_service_is_served_through_the_break() -> None:
    assert with_lunch(DAY).sessions == (
        Session(time(9), time(12)),
        Session(time(12), time(13, 30)),
        Session(time(13, 30), time(17)),
    )
    one = DaySchedule((Session(time(9), time(17)),))
    assert with_lunch(one) == one


def test_only_duty_windows_call_in_the_break_and_only_duty_services() -> None:
    duty = LunchDuty(frozenset({"3"}), frozenset({"A"}))
    assert duty.may_call("3", lunch_break=True) and not duty.may_call("1", lunch_break=True)
    assert duty.may_call("1", lunch_break=False)
    assert duty.serves("A", lunch_break=True) and not duty.serves("B", lunch_break=True)
    assert duty.serves("B", lunch_break=False)
    assert LunchDuty().may_call("1", lunch_break=True)  # no duty kept: every window, as before
    assert LunchDuty(frozenset({"3"})).serves("B", lunch_break=True)  # no services named: all


def test_no_stored_classes_grant_every_class() -> None:
    assert granted_classes(None) == frozenset(PriorityClass)
    assert granted_classes(["elderly"]) == {PriorityClass.ELDERLY}


def test_each_case_type_takes_its_decision() -> None:
    assert decision_for(CaseType.IMMEDIATE) is Decision.IMMEDIATE
    assert decision_for(CaseType.RETURNED) is Decision.REFUSE
    assert {decision_for(c) for c in (CaseType.PROMISED, CaseType.JOINT, CaseType.APPROVAL)} == {
        Decision.RECEIPT
    }
    assert decision_for(CaseType.SUPPLEMENT) is None  # 一次性告知: owed by every clerk
    assert [d.value for d in Decision] == [d.value for d in FileDecision]  # the hall file's mirror


def test_delegations_by_person_replace_those_by_role_and_post() -> None:
    staff = Grant(
        frozenset({CaseType.IMMEDIATE, CaseType.PROMISED}), frozenset({Decision.IMMEDIATE}), role="staff"
    )
    post = Grant(frozenset({CaseType.PROMISED}), frozenset({Decision.RECEIPT}), window="5")
    trainee = Grant(frozenset({CaseType.SUPPLEMENT}), frozenset(), login="new")
    grants = [staff, post, trainee]
    assert may_decide([], "anyone", "staff", "1", CaseType.SPECIAL)  # no delegations: full authority
    assert may_decide(grants, "zhang", "staff", "1", CaseType.IMMEDIATE)
    assert not may_decide(grants, "zhang", "staff", "1", CaseType.PROMISED)  # no receipt at window 1
    assert may_decide(grants, "zhang", "staff", "5", CaseType.PROMISED)  # the post signs receipts
    assert not may_decide(grants, "zhang", "staff", "5", CaseType.RETURNED)
    assert may_decide(grants, "new", "staff", "5", CaseType.SUPPLEMENT)
    assert not may_decide(grants, "new", "staff", "5", CaseType.IMMEDIATE)  # their own grants only
