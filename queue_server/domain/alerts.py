"""Supervision rules (电子监察): a snapshot of the hall in, a list of alerts out.

The services layer builds the snapshot from the store and decides what to do with the alerts (show on
the dashboard, raise once per `Alert.key`, log as events). Rules, in `evaluate`'s order:

- wait above target: a service's longest current wait exceeds its target (critical past twice it);
- too many waiting: more than `max_waiting_per_window` per open window, or people waiting with no window
  open (critical): suggest opening a window;
- window paused too long: beyond the pause limit of its reason, or the default (critical past twice);
- promised case due: the deadline is today or within the next working day; overdue (critical) after it;
- bad rating: a recent rating of 2 or 1 (critical for 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import IntEnum, StrEnum

from queue_server.domain.calendar import HallCalendar
from queue_server.domain.numbering import HALL_TZ, service_day
from queue_server.domain.ratings import RECTIFICATION_WORKING_DAYS, rating_level


class AlertKind(StrEnum):
    """What an alert is about; stable codes for events and the dashboard."""

    WAIT_OVER_TARGET = "wait_over_target"
    TOO_MANY_WAITING = "too_many_waiting"
    WINDOW_PAUSED_TOO_LONG = "window_paused_too_long"
    CASE_DUE_SOON = "case_due_soon"
    CASE_OVERDUE = "case_overdue"
    BAD_RATING = "bad_rating"


class Severity(IntEnum):
    """How urgent: higher is worse (sorts critical first when reversed)."""

    INFO = 1
    WARNING = 2
    CRITICAL = 3


@dataclass(frozen=True, slots=True)
class Alert:
    """One supervision finding. `subject` names the service, window, case or ticket it is about."""

    kind: AlertKind
    severity: Severity
    subject: str
    message_zh: str

    @property
    def key(self) -> str:
        """Identity for de-duplication across evaluations: the same finding keeps the same key."""
        return f"{self.kind}:{self.subject}"


@dataclass(frozen=True, slots=True)
class ServiceLoad:
    """One service (queue) now: how many wait, the longest wait so far, its target, open windows."""

    service: str
    waiting: int
    longest_wait: timedelta
    target_wait: timedelta | None
    open_windows: int
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class WindowPause:
    """An ongoing pause of a window."""

    window: str
    started_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class OpenCase:
    """A promised (timed) case not yet finished."""

    case_number: str
    deadline: date
    window: str = ""


@dataclass(frozen=True, slots=True)
class RecentRating:
    """A rating given since the last evaluation."""

    ticket: str
    window: str
    score: int
    rated_at: datetime


@dataclass(frozen=True, slots=True)
class SupervisionSnapshot:
    """Everything the rules look at, as read from the store at one moment."""

    services: Sequence[ServiceLoad] = ()
    pauses: Sequence[WindowPause] = ()
    open_cases: Sequence[OpenCase] = ()
    ratings: Sequence[RecentRating] = ()


@dataclass(frozen=True, slots=True)
class AlertRules:
    """Hall-configurable thresholds. `pause_limits` by pause reason override `max_pause`."""

    max_waiting_per_window: int = 10
    max_pause: timedelta = timedelta(minutes=15)
    pause_limits: Mapping[str, timedelta] = field(default_factory=dict)
    case_due_within_working_days: int = 1
    tz: tzinfo = HALL_TZ


def _minutes(d: timedelta) -> int:
    return int(d.total_seconds() // 60)


def _wait_alerts(load: ServiceLoad) -> list[Alert]:
    if load.target_wait is None or load.waiting <= 0 or load.longest_wait <= load.target_wait:
        return []
    severity = Severity.CRITICAL if load.longest_wait > 2 * load.target_wait else Severity.WARNING
    name = load.name_zh or load.service
    message = (
        f"{name}当前最长等候{_minutes(load.longest_wait)}分钟，超过目标{_minutes(load.target_wait)}分钟。"
    )
    return [Alert(AlertKind.WAIT_OVER_TARGET, severity, load.service, message)]


def _crowd_alerts(load: ServiceLoad, rules: AlertRules) -> list[Alert]:
    name = load.name_zh or load.service
    if load.waiting <= 0:
        return []
    if load.open_windows <= 0:
        message = f"{name}有{load.waiting}人等候但没有窗口开放，请立即开放窗口。"
        return [Alert(AlertKind.TOO_MANY_WAITING, Severity.CRITICAL, load.service, message)]
    if load.waiting <= rules.max_waiting_per_window * load.open_windows:
        return []
    per_window = load.waiting / load.open_windows
    message = f"{name}有{load.waiting}人等候，平均每个窗口{per_window:.0f}人，建议增开窗口。"
    return [Alert(AlertKind.TOO_MANY_WAITING, Severity.WARNING, load.service, message)]


def _pause_alerts(pause: WindowPause, rules: AlertRules, now: datetime) -> list[Alert]:
    limit = rules.pause_limits.get(pause.reason, rules.max_pause)
    paused = now - pause.started_at
    if paused <= limit:
        return []
    severity = Severity.CRITICAL if paused > 2 * limit else Severity.WARNING
    reason = f"（{pause.reason}）" if pause.reason else ""
    message = f"{pause.window}号窗口暂停{reason}已{_minutes(paused)}分钟，超过{_minutes(limit)}分钟。"
    return [Alert(AlertKind.WINDOW_PAUSED_TOO_LONG, severity, pause.window, message)]


def _case_alerts(case: OpenCase, rules: AlertRules, calendar: HallCalendar, today: date) -> list[Alert]:
    if case.deadline < today:
        overdue = calendar.working_days_between(case.deadline, today)
        message = (
            f"承诺件{case.case_number}已超期（办结期限{case.deadline:%Y-%m-%d}，超期{overdue}个工作日）。"
        )
        return [Alert(AlertKind.CASE_OVERDUE, Severity.CRITICAL, case.case_number, message)]
    horizon = calendar.add_working_days(today, rules.case_due_within_working_days)
    if case.deadline > horizon:
        return []
    when = "今日" if case.deadline == today else f"{case.deadline:%Y-%m-%d}"
    message = f"承诺件{case.case_number}将于{when}到期，请抓紧办结。"
    return [Alert(AlertKind.CASE_DUE_SOON, Severity.WARNING, case.case_number, message)]


def _rating_alerts(rating: RecentRating) -> list[Alert]:
    level = rating_level(rating.score)
    if not level.is_bad:
        return []
    severity = Severity.CRITICAL if rating.score <= 1 else Severity.WARNING
    message = (
        f"{rating.window}号窗口{rating.ticket}号收到差评（{level.label_zh}），"
        f"请在{RECTIFICATION_WORKING_DAYS}个工作日内整改。"
    )
    return [Alert(AlertKind.BAD_RATING, severity, rating.ticket, message)]


def evaluate(
    snapshot: SupervisionSnapshot, now: datetime, calendar: HallCalendar, rules: AlertRules | None = None
) -> list[Alert]:
    """All alerts for the snapshot at `now`, most severe first, then by kind and subject."""
    rules = rules or AlertRules()
    today = service_day(now, rules.tz)
    alerts: list[Alert] = []
    for load in snapshot.services:
        alerts += _wait_alerts(load)
        alerts += _crowd_alerts(load, rules)
    for pause in snapshot.pauses:
        alerts += _pause_alerts(pause, rules, now)
    for case in snapshot.open_cases:
        alerts += _case_alerts(case, rules, calendar, today)
    for rating in snapshot.ratings:
        alerts += _rating_alerts(rating)
    return sorted(alerts, key=lambda a: (-a.severity, a.kind, a.subject))
