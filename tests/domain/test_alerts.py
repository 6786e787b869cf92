"""Supervision rules: one test per rule, plus ordering and keys."""

from __future__ import annotations

from datetime import date, timedelta

from queue_server.domain.alerts import (
    Alert,
    AlertKind,
    AlertRules,
    OpenCase,
    RecentRating,
    ServiceLoad,
    Severity,
    SupervisionSnapshot,
    WindowPause,
    evaluate,
)
from queue_server.domain.calendar import HallCalendar

from .factories import NOW, TODAY, minutes_ago

CAL = HallCalendar()
M = timedelta(minutes=1)


def load(waiting: int = 5, longest: int = 10, target: int | None = 30, windows: int = 2) -> ServiceLoad:
    return ServiceLoad(
        service="A",
        waiting=waiting,
        longest_wait=longest * M,
        target_wait=None if target is None else target * M,
        open_windows=windows,
        name_zh="户籍业务",
    )


def alerts(snapshot: SupervisionSnapshot, rules: AlertRules | None = None) -> list[Alert]:
    return evaluate(snapshot, NOW, CAL, rules)


def kinds(found: list[Alert]) -> list[tuple[AlertKind, Severity]]:
    return [(a.kind, a.severity) for a in found]


def test_quiet_hall_raises_nothing() -> None:
    assert alerts(SupervisionSnapshot(services=[load(), load(target=None, longest=300)])) == []


def test_wait_above_target() -> None:
    assert alerts(SupervisionSnapshot(services=[load(longest=30)])) == []
    warned = alerts(SupervisionSnapshot(services=[load(longest=35)]))
    assert kinds(warned) == [(AlertKind.WAIT_OVER_TARGET, Severity.WARNING)]
    assert warned[0].subject == "A"
    assert warned[0].message_zh == "户籍业务当前最长等候35分钟，超过目标30分钟。"
    assert kinds(alerts(SupervisionSnapshot(services=[load(longest=61)]))) == [
        (AlertKind.WAIT_OVER_TARGET, Severity.CRITICAL)
    ]


def test_too_many_waiting_per_open_window_suggests_opening_one() -> None:
    assert alerts(SupervisionSnapshot(services=[load(waiting=20, windows=2)])) == []
    crowded = alerts(SupervisionSnapshot(services=[load(waiting=21, windows=2)]))
    assert kinds(crowded) == [(AlertKind.TOO_MANY_WAITING, Severity.WARNING)]
    assert "建议增开窗口" in crowded[0].message_zh
    rules = AlertRules(max_waiting_per_window=5)
    assert kinds(alerts(SupervisionSnapshot(services=[load(waiting=11, windows=2)]), rules)) == [
        (AlertKind.TOO_MANY_WAITING, Severity.WARNING)
    ]


def test_people_waiting_with_no_window_open_is_critical() -> None:
    found = alerts(SupervisionSnapshot(services=[load(waiting=1, windows=0)]))
    assert kinds(found) == [(AlertKind.TOO_MANY_WAITING, Severity.CRITICAL)]
    assert alerts(SupervisionSnapshot(services=[load(waiting=0, windows=0, longest=0)])) == []


def test_window_paused_too_long() -> None:
    short = WindowPause(window="3", started_at=minutes_ago(15), reason="")
    assert alerts(SupervisionSnapshot(pauses=[short])) == []
    long = WindowPause(window="3", started_at=minutes_ago(16), reason="临时离开")
    found = alerts(SupervisionSnapshot(pauses=[long]))
    assert kinds(found) == [(AlertKind.WINDOW_PAUSED_TOO_LONG, Severity.WARNING)]
    assert found[0].message_zh == "3号窗口暂停（临时离开）已16分钟，超过15分钟。"
    very_long = WindowPause(window="3", started_at=minutes_ago(31), reason="")
    assert kinds(alerts(SupervisionSnapshot(pauses=[very_long]))) == [
        (AlertKind.WINDOW_PAUSED_TOO_LONG, Severity.CRITICAL)
    ]


def test_pause_limit_per_reason() -> None:
    rules = AlertRules(pause_limits={"业务培训": 60 * M})
    training = WindowPause(window="5", started_at=minutes_ago(45), reason="业务培训")
    assert alerts(SupervisionSnapshot(pauses=[training]), rules) == []


def test_promised_case_due_today_or_next_working_day() -> None:
    friday = date(2026, 11, 27)
    cases = [
        OpenCase("GY-20261120-0001", TODAY),
        OpenCase("GY-20261120-0002", date(2026, 11, 26)),
        OpenCase("GY-20261120-0003", friday),
    ]
    found = alerts(SupervisionSnapshot(open_cases=cases))
    assert [(a.kind, a.subject) for a in found] == [
        (AlertKind.CASE_DUE_SOON, "GY-20261120-0001"),
        (AlertKind.CASE_DUE_SOON, "GY-20261120-0002"),
    ]
    assert "今日到期" in found[0].message_zh


def test_due_soon_counts_working_days_over_a_weekend() -> None:
    friday_now = NOW + timedelta(days=2)  # Friday 27 Nov; next working day is Monday 30 Nov
    monday_case = OpenCase("GY-20261120-0004", date(2026, 11, 30))
    tuesday_case = OpenCase("GY-20261120-0005", date(2026, 12, 1))
    found = evaluate(SupervisionSnapshot(open_cases=[monday_case, tuesday_case]), friday_now, CAL)
    assert [a.subject for a in found] == ["GY-20261120-0004"]


def test_overdue_case_is_critical() -> None:
    overdue = OpenCase("GY-20261101-0009", date(2026, 11, 20))
    found = alerts(SupervisionSnapshot(open_cases=[overdue]))
    assert kinds(found) == [(AlertKind.CASE_OVERDUE, Severity.CRITICAL)]
    assert "超期3个工作日" in found[0].message_zh  # 23, 24, 25 November


def test_bad_rating() -> None:
    ratings = [
        RecentRating(ticket="A012", window="3", score=5, rated_at=minutes_ago(2)),
        RecentRating(ticket="A013", window="3", score=2, rated_at=minutes_ago(1)),
        RecentRating(ticket="B004", window="7", score=1, rated_at=minutes_ago(1)),
    ]
    found = alerts(SupervisionSnapshot(ratings=ratings))
    assert [(a.kind, a.severity, a.subject) for a in found] == [
        (AlertKind.BAD_RATING, Severity.CRITICAL, "B004"),
        (AlertKind.BAD_RATING, Severity.WARNING, "A013"),
    ]
    assert "不满意" in found[1].message_zh


def test_alerts_sorted_most_severe_first_with_stable_keys() -> None:
    snapshot = SupervisionSnapshot(
        services=[load(waiting=30, longest=40, windows=1)],
        pauses=[WindowPause(window="2", started_at=minutes_ago(40), reason="")],
    )
    found = alerts(snapshot)
    assert [a.severity for a in found] == sorted((a.severity for a in found), reverse=True)
    assert found[0].kind is AlertKind.WINDOW_PAUSED_TOO_LONG
    assert {a.key for a in found} == {"window_paused_too_long:2", "wait_over_target:A", "too_many_waiting:A"}
    assert alerts(snapshot) == found
