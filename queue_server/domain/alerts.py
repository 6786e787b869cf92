"""Supervision rules (电子监察): a snapshot of the hall in, a list of alerts out.

The services layer builds the snapshot from the store and decides what to do with the alerts (show on
the dashboard, raise once per `Alert.key`, log as events). Rules, in `evaluate`'s order:

- wait above target: a service's longest current wait exceeds its target (critical past twice it);
- too many waiting: more than `max_waiting_per_window` per open window, or people waiting with no window
  open (critical): suggest opening a window;
- window paused too long: beyond the pause limit of its reason, or the default (critical past twice);
- promised case due: the deadline is today or within the next working day; overdue (critical) after it;
- bad rating: a rating of 2 or 1 not yet rectified (critical for 1);
- idle window with people waiting: a window idle beyond the limit while tickets it serves wait;
- no-show streak: a window's last visits of the day were that many no-shows in a row;
- device offline: a device not heard from (status or heartbeat) for longer than the limit; a device
  that never reported is not judged;
- printer paper low / out: from the printer status an online device reports (critical when out).
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
    WINDOW_IDLE_WITH_WAITING = "window_idle_with_waiting"
    NO_SHOW_STREAK = "no_show_streak"
    DEVICE_OFFLINE = "device_offline"
    PRINTER_PAPER_LOW = "printer_paper_low"
    PRINTER_PAPER_OUT = "printer_paper_out"
    CALENDAR_UNCONFIRMED = "calendar_unconfirmed"


# The short heading a manager sees for each kind (the message says the particulars).
TITLES_ZH: Mapping[AlertKind, str] = {
    AlertKind.WAIT_OVER_TARGET: "等候超时",
    AlertKind.TOO_MANY_WAITING: "排队拥堵",
    AlertKind.WINDOW_PAUSED_TOO_LONG: "窗口暂停超时",
    AlertKind.CASE_DUE_SOON: "承诺件即将到期",
    AlertKind.CASE_OVERDUE: "承诺件超期",
    AlertKind.BAD_RATING: "差评",
    AlertKind.WINDOW_IDLE_WITH_WAITING: "窗口空闲但有人等候",
    AlertKind.NO_SHOW_STREAK: "连续过号",
    AlertKind.DEVICE_OFFLINE: "设备离线",
    AlertKind.PRINTER_PAPER_LOW: "打印纸将尽",
    AlertKind.PRINTER_PAPER_OUT: "打印机缺纸",
    AlertKind.CALENDAR_UNCONFIRMED: "节假日安排未确认",
}


class Paper(StrEnum):
    """A device printer's paper as managers see it."""

    OK = "ok"
    LOW = "low"
    OUT = "out"
    UNKNOWN = "unknown"


# The printer states devices report in their status's ``health.printer`` (devices/escpos/status.py).
_PAPER_BY_PRINTER_STATUS = {"ok": Paper.OK, "paper_near_end": Paper.LOW, "paper_out": Paper.OUT}


def paper_of(printer_status: str | None) -> Paper:
    """The paper state behind a reported printer status; anything else (cover open, offline, no
    printer, not reported) says nothing about the paper."""
    return _PAPER_BY_PRINTER_STATUS.get(printer_status or "", Paper.UNKNOWN)


class Severity(IntEnum):
    """How urgent: higher is worse (sorts critical first when reversed)."""

    INFO = 1
    WARNING = 2
    CRITICAL = 3


@dataclass(frozen=True, slots=True)
class Alert:
    """One supervision finding. `subject` names the service, window, case, ticket or device it is
    about; `window`, `service`, `device` say which of them it concerns, where one does."""

    kind: AlertKind
    severity: Severity
    subject: str
    message_zh: str
    window: str | None = None
    service: str | None = None
    device: str | None = None

    @property
    def title_zh(self) -> str:
        return TITLES_ZH[self.kind]

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
class IdleWindow:
    """An open, staffed window calling nobody: since when, and how many wait for its services."""

    window: str
    idle_since: datetime
    waiting: int


@dataclass(frozen=True, slots=True)
class NoShowRun:
    """How many of a window's latest visits of the day in a row ended as no-shows."""

    window: str
    count: int


@dataclass(frozen=True, slots=True)
class DeviceSeen:
    """A device as last heard from: its reported state, when, and its printer's paper."""

    device: str
    kind: str
    window: str | None
    state: str
    last_seen: datetime | None
    paper: Paper = Paper.UNKNOWN
    name_zh: str = ""


@dataclass(frozen=True, slots=True)
class SupervisionSnapshot:
    """Everything the rules look at, as read from the store at one moment."""

    services: Sequence[ServiceLoad] = ()
    pauses: Sequence[WindowPause] = ()
    open_cases: Sequence[OpenCase] = ()
    ratings: Sequence[RecentRating] = ()
    idle_windows: Sequence[IdleWindow] = ()
    no_show_runs: Sequence[NoShowRun] = ()
    devices: Sequence[DeviceSeen] = ()


@dataclass(frozen=True, slots=True)
class AlertRules:
    """Hall-configurable thresholds. `pause_limits` by pause reason override `max_pause`."""

    max_waiting_per_window: int = 10
    max_pause: timedelta = timedelta(minutes=15)
    pause_limits: Mapping[str, timedelta] = field(default_factory=dict)
    case_due_within_working_days: int = 1
    idle_with_waiting: timedelta = timedelta(minutes=5)
    no_show_streak: int = 3
    device_offline_after: timedelta = timedelta(seconds=90)
    tz: tzinfo = HALL_TZ


def device_online(state: str, last_seen: datetime | None, now: datetime, rules: AlertRules) -> bool:
    """Online: its newest status says so and it was heard from (status or heartbeat) recently."""
    return state == "online" and last_seen is not None and now - last_seen <= rules.device_offline_after


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
    return [Alert(AlertKind.WAIT_OVER_TARGET, severity, load.service, message, service=load.service)]


def _crowd_alerts(load: ServiceLoad, rules: AlertRules) -> list[Alert]:
    name = load.name_zh or load.service
    if load.waiting <= 0:
        return []
    if load.open_windows <= 0:
        message = f"{name}有{load.waiting}人等候但没有窗口开放，请立即开放窗口。"
        return [
            Alert(AlertKind.TOO_MANY_WAITING, Severity.CRITICAL, load.service, message, service=load.service)
        ]
    if load.waiting <= rules.max_waiting_per_window * load.open_windows:
        return []
    per_window = load.waiting / load.open_windows
    message = f"{name}有{load.waiting}人等候，平均每个窗口{per_window:.0f}人，建议增开窗口。"
    return [Alert(AlertKind.TOO_MANY_WAITING, Severity.WARNING, load.service, message, service=load.service)]


def _pause_alerts(pause: WindowPause, rules: AlertRules, now: datetime) -> list[Alert]:
    limit = rules.pause_limits.get(pause.reason, rules.max_pause)
    paused = now - pause.started_at
    if paused <= limit:
        return []
    severity = Severity.CRITICAL if paused > 2 * limit else Severity.WARNING
    reason = f"（{pause.reason}）" if pause.reason else ""
    message = f"{pause.window}号窗口暂停{reason}已{_minutes(paused)}分钟，超过{_minutes(limit)}分钟。"
    return [Alert(AlertKind.WINDOW_PAUSED_TOO_LONG, severity, pause.window, message, window=pause.window)]


def case_horizon(rules: AlertRules, calendar: HallCalendar, today: date) -> date:
    """The last deadline a promised case may have and be raised as due soon (an earlier one than
    ``today`` is overdue): the snapshot reads no case beyond it."""
    return calendar.add_working_days(today, rules.case_due_within_working_days)


def _case_alerts(case: OpenCase, rules: AlertRules, calendar: HallCalendar, today: date) -> list[Alert]:
    if case.deadline < today:
        overdue = calendar.working_days_between(case.deadline, today)
        message = (
            f"承诺件{case.case_number}已超期（办结期限{case.deadline:%Y-%m-%d}，超期{overdue}个工作日）。"
        )
        window = case.window or None
        return [Alert(AlertKind.CASE_OVERDUE, Severity.CRITICAL, case.case_number, message, window=window)]
    if case.deadline > case_horizon(rules, calendar, today):
        return []
    when = "今日" if case.deadline == today else f"{case.deadline:%Y-%m-%d}"
    message = f"承诺件{case.case_number}将于{when}到期，请抓紧办结。"
    window = case.window or None
    return [Alert(AlertKind.CASE_DUE_SOON, Severity.WARNING, case.case_number, message, window=window)]


def _rating_alerts(rating: RecentRating) -> list[Alert]:
    level = rating_level(rating.score)
    if not level.is_bad:
        return []
    severity = Severity.CRITICAL if rating.score <= 1 else Severity.WARNING
    message = (
        f"{rating.window}号窗口{rating.ticket}号收到差评（{level.label_zh}），"
        f"请在{RECTIFICATION_WORKING_DAYS}个工作日内整改。"
    )
    return [Alert(AlertKind.BAD_RATING, severity, rating.ticket, message, window=rating.window)]


def _idle_alerts(idle: IdleWindow, rules: AlertRules, now: datetime) -> list[Alert]:
    idle_for = now - idle.idle_since
    if idle.waiting <= 0 or idle_for <= rules.idle_with_waiting:
        return []
    message = f"{idle.window}号窗口已空闲{_minutes(idle_for)}分钟，仍有{idle.waiting}人等候，请及时叫号。"
    alert = Alert(
        AlertKind.WINDOW_IDLE_WITH_WAITING, Severity.WARNING, idle.window, message, window=idle.window
    )
    return [alert]


def _no_show_alerts(run: NoShowRun, rules: AlertRules) -> list[Alert]:
    if run.count < rules.no_show_streak:
        return []
    message = f"{run.window}号窗口连续{run.count}位群众过号未到，请核查叫号与广播是否正常。"
    return [Alert(AlertKind.NO_SHOW_STREAK, Severity.WARNING, run.window, message, window=run.window)]


def _device_alerts(device: DeviceSeen, rules: AlertRules, now: datetime) -> list[Alert]:
    name = device.name_zh or device.device
    where = f"（{device.window}号窗口）" if device.window else ""
    if device.last_seen is None:
        return []  # never reported: not installed yet, nothing to judge
    if not device_online(device.state, device.last_seen, now, rules):
        if now - device.last_seen <= rules.device_offline_after:
            return []  # said offline moments ago: a restart gets its grace
        message = f"设备{name}{where}已{_minutes(now - device.last_seen)}分钟未上报状态，请检查电源与网络。"
        return [_device_alert(AlertKind.DEVICE_OFFLINE, Severity.CRITICAL, device, message)]
    if device.paper is Paper.OUT:
        message = f"设备{name}{where}打印机缺纸，无法出票，请立即更换纸卷。"
        return [_device_alert(AlertKind.PRINTER_PAPER_OUT, Severity.CRITICAL, device, message)]
    if device.paper is Paper.LOW:
        message = f"设备{name}{where}打印纸即将用完，请准备更换纸卷。"
        return [_device_alert(AlertKind.PRINTER_PAPER_LOW, Severity.WARNING, device, message)]
    return []


def _device_alert(kind: AlertKind, severity: Severity, device: DeviceSeen, message: str) -> Alert:
    return Alert(kind, severity, device.device, message, window=device.window, device=device.device)


def _calendar_alerts(calendar: HallCalendar, today: date) -> list[Alert]:
    """A coming year whose State Council holiday arrangement the hall does not have yet (see
    ``domain.calendar``): deadlines and weekend service depend on it."""
    alerts = []
    for year in calendar.years_to_confirm(today):
        message = (
            f"{year}年国务院节假日安排尚未录入（调休上班日未知），承诺件期限与双休日服务可能有误："
            f"请在大厅配置文件中录入并将{year}加入 hours.confirmed_years。"
        )
        alerts.append(Alert(AlertKind.CALENDAR_UNCONFIRMED, Severity.WARNING, str(year), message))
    return alerts


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
    for idle in snapshot.idle_windows:
        alerts += _idle_alerts(idle, rules, now)
    for run in snapshot.no_show_runs:
        alerts += _no_show_alerts(run, rules)
    for device in snapshot.devices:
        alerts += _device_alerts(device, rules, now)
    alerts += _calendar_alerts(calendar, today)
    return sorted(alerts, key=lambda a: (-a.severity, a.kind, a.subject))
