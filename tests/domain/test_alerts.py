"""Supervision rules: one test per rule, plus ordering and keys."""

from __future__ import annotations

from datetime import date, timedelta

from queue_server.domain.alerts import (
    TITLES_ZH,
    Alert,
    AlertKind,
    AlertRules,
    DeviceSeen,
    IdleWindow,
    NoShowRun,
    OpenCase,
    RecentRating,
    ServiceLoad,
    Severity,
    SupervisionSnapshot,
    WindowPause,
    device_online,
    evaluate,
    paper_of,
)
from queue_server.domain.calendar import HallCalendar

from .factories import NOW, TODAY, minutes_ago

# These tests' days lie within 60 days of 2027, whose arrangement chinese-calendar lacks: the hall has
# confirmed it, so only the rule under test speaks (the calendar rule has its own test).
CAL = HallCalendar(confirmed_years=frozenset({2027}))
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


def test_idle_window_with_people_waiting() -> None:
    rules = AlertRules(idle_with_waiting=5 * M)
    quiet = [IdleWindow("4", minutes_ago(30), waiting=0), IdleWindow("5", minutes_ago(5), waiting=3)]
    assert alerts(SupervisionSnapshot(idle_windows=quiet), rules) == []
    [found] = alerts(SupervisionSnapshot(idle_windows=[IdleWindow("5", minutes_ago(6), waiting=3)]), rules)
    assert (found.kind, found.severity, found.window, found.key) == (
        AlertKind.WINDOW_IDLE_WITH_WAITING,
        Severity.WARNING,
        "5",
        "window_idle_with_waiting:5",
    )
    assert found.message_zh == "5号窗口已空闲6分钟，仍有3人等候，请及时叫号。"


def test_no_show_streak_from_the_threshold_on() -> None:
    assert alerts(SupervisionSnapshot(no_show_runs=[NoShowRun("2", 2)])) == []
    [found] = alerts(SupervisionSnapshot(no_show_runs=[NoShowRun("2", 3)]))
    assert (found.kind, found.window, found.title_zh) == (AlertKind.NO_SHOW_STREAK, "2", "连续过号")
    assert alerts(SupervisionSnapshot(no_show_runs=[NoShowRun("2", 2)]), AlertRules(no_show_streak=2))


def device(state: str = "online", seen_s: float | None = 10, paper: str | None = None) -> DeviceSeen:
    last_seen = None if seen_s is None else NOW - timedelta(seconds=seen_s)
    return DeviceSeen("kiosk-1", "kiosk", None, state, last_seen, paper_of(paper))


def test_device_offline_when_not_heard_from_past_the_limit() -> None:
    rules = AlertRules(device_offline_after=timedelta(seconds=90))
    assert device_online("online", NOW - timedelta(seconds=90), NOW, rules)
    assert not device_online("online", NOW - timedelta(seconds=91), NOW, rules)
    assert not device_online("offline", NOW, NOW, rules)
    assert not device_online("online", None, NOW, rules)
    assert alerts(SupervisionSnapshot(devices=[device(seen_s=90)]), rules) == []
    assert alerts(SupervisionSnapshot(devices=[device(seen_s=None, state="unknown")]), rules) == []
    # A Last Will moments ago: a restart gets its grace; past it, the same alert as silence.
    assert alerts(SupervisionSnapshot(devices=[device("offline", seen_s=30)]), rules) == []
    for state in ("online", "offline"):
        [found] = alerts(SupervisionSnapshot(devices=[device(state, seen_s=200)]), rules)
        assert (found.kind, found.severity, found.device) == (
            AlertKind.DEVICE_OFFLINE,
            Severity.CRITICAL,
            "kiosk-1",
        )
        assert found.message_zh == "设备kiosk-1已3分钟未上报状态，请检查电源与网络。"


def test_paper_low_and_out_from_the_reported_printer_status() -> None:
    assert [paper_of(s) for s in ("ok", "paper_near_end", "paper_out", "cover_open", None)] == [
        "ok",
        "low",
        "out",
        "unknown",
        "unknown",
    ]
    assert alerts(SupervisionSnapshot(devices=[device(paper="ok"), device(paper="cover_open")])) == []
    assert kinds(alerts(SupervisionSnapshot(devices=[device(paper="paper_near_end")]))) == [
        (AlertKind.PRINTER_PAPER_LOW, Severity.WARNING)
    ]
    assert kinds(alerts(SupervisionSnapshot(devices=[device(paper="paper_out")]))) == [
        (AlertKind.PRINTER_PAPER_OUT, Severity.CRITICAL)
    ]
    # Offline, its paper is unknown: the offline alert says all there is.
    assert kinds(alerts(SupervisionSnapshot(devices=[device(seen_s=600, paper="paper_out")]))) == [
        (AlertKind.DEVICE_OFFLINE, Severity.CRITICAL)
    ]


def test_every_kind_has_a_title_and_alerts_say_what_they_concern() -> None:
    assert set(TITLES_ZH) == set(AlertKind)
    found = alerts(
        SupervisionSnapshot(services=[load(longest=35)], pauses=[WindowPause("2", minutes_ago(40), "")])
    )
    assert {(a.kind, a.window, a.service) for a in found} == {
        (AlertKind.WINDOW_PAUSED_TOO_LONG, "2", None),
        (AlertKind.WAIT_OVER_TARGET, None, "A"),
    }


def test_a_coming_year_without_the_holiday_arrangement_is_flagged() -> None:
    found = evaluate(SupervisionSnapshot(), NOW, HallCalendar())
    assert [(a.kind, a.severity, a.subject) for a in found] == [
        (AlertKind.CALENDAR_UNCONFIRMED, Severity.WARNING, "2027")
    ]
    assert "hours.confirmed_years" in found[0].message_zh
    assert found[0].title_zh == "节假日安排未确认"
    assert evaluate(SupervisionSnapshot(), NOW, CAL) == []  # confirmed: nothing to say
