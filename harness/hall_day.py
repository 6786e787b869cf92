"""A simulated hall day against the system as deployed, compressed into minutes (the soak run).

    report = run_day(DayPlan(tickets=150, day_s=15, kiosks=6, windows=6, displays=2), workdir)

What runs, all real and on loopback: a private Mosquitto; a ``hallq server`` process (production
settings, a SQLite file) after ``hallq hall load`` of the day's hall file (:func:`hall_file_text`);
staff sign in and open their windows over the HTTP API; then kiosks, window staff and hall displays
(harness/hall_devices.py) on their own MQTT links.

The day: a real hall day's arrivals (:data:`PROFILE`: a morning rush, a lunch dip, an afternoon
bump), ``tickets`` of them spread over ``day_s`` wall seconds: ``speed`` times a real 8-hour day.
The server has no clock of its own to speed up (it runs on the real clock, as deployed): the day is
compressed by its request rate, and the hall is open all day. During the day the broker is restarted
(``broker_restart_at``, a fraction of the day) and the server is stopped with SIGTERM and started
again on the same database (``server_restart_at``); kiosks and windows keep resending with the same
request ids. The restarted server's RSS is read ``warm_s`` after it is back (the baseline), then
until the end of the day. The day ends when every kiosk has its ticket and every window found its
queue empty; the report holds every device, and the database stays for the checks.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from harness.broker import MosquittoBroker, free_port
from harness.hall_devices import HallScreen, Kiosk, WindowStaff
from harness.processes import HallqServer, ServerConfig, load_hall_file
from harness.waiting import eventually, scaled

HALL = "soak"
HALL_TZ = ZoneInfo("Asia/Shanghai")
PASSWORD_ENV = "SOAK_STAFF_PASSWORD"
PASSWORD = "soak-day-password"  # noqa: S105 (every simulated staff member's, in this test hall only)
SERVICES = ("A", "B", "C", "D")
SERVICE_SHARE = (0.4, 0.25, 0.2, 0.15)
# Relative arrival rate in each tenth of the day (sums to 10): a real hall's shape.
PROFILE = (0.7, 1.5, 1.4, 1.1, 0.6, 0.4, 1.0, 1.3, 1.2, 0.8)
REAL_DAY_S = 8 * 3600.0
PATIENCE_S = 60.0  # longest a device keeps resending one request (scaled)
RSS_EVERY_S = 0.5


@dataclass(frozen=True)
class DayPlan:
    tickets: int
    day_s: float  # wall seconds the day's arrivals are spread over
    kiosks: int
    windows: int
    displays: int
    broker_restart_at: float = 0.15
    server_restart_at: float = 0.3
    broker_down_s: float = 1.0
    warm_s: float = 3.0
    seed: int = 20250312

    @property
    def speed(self) -> float:
        """How many times faster than a real 8-hour day the arrivals come."""
        return REAL_DAY_S / self.day_s

    @property
    def service_s(self) -> float:
        """Mean wall seconds at a counter: the windows together serve about twice the mean arrival rate."""
        return 0.5 * self.windows * self.day_s / self.tickets


@dataclass(frozen=True)
class Arrival:
    at_s: float  # since the day began
    service: str
    kiosk: int


def arrivals(plan: DayPlan) -> list[Arrival]:
    """The day's citizens: arrival times follow :data:`PROFILE`; services and kiosks drawn by seed."""
    rng = random.Random(plan.seed)
    cumulative = list(itertools.accumulate(PROFILE))
    slot_s = plan.day_s / len(PROFILE)
    out = []
    for i in range(plan.tickets):
        target = (i + 0.5) / plan.tickets * cumulative[-1]
        slot = bisect.bisect_left(cumulative, target)
        before = cumulative[slot - 1] if slot else 0.0
        at_s = (slot + (target - before) / PROFILE[slot]) * slot_s
        service = rng.choices(SERVICES, weights=SERVICE_SHARE)[0]
        out.append(Arrival(at_s, service, rng.randrange(plan.kiosks)))
    return out


def window_services(window: int) -> tuple[str, str]:
    """(primary, secondary) of window ``window`` (1-based): every service has primary windows."""
    return SERVICES[(window - 1) % len(SERVICES)], SERVICES[window % len(SERVICES)]


def hall_file_text(plan: DayPlan) -> str:
    """The day's hall file: open all day every day, no cap, no cut-off; one person per window."""
    lines = [
        "schema_version = 1",
        f'[hall]\ncode = "{HALL}"\nname = "全天模拟市民大厅"\ntz = "{HALL_TZ.key}"',
        "[hours]",
        *(f'{day} = ["00:00-23:59"]' for day in ("mon", "tue", "wed", "thu", "fri", "rest_day")),
        '[[departments]]\ncode = "soak"\nname = "模拟审批服务局"',
    ]
    for code in SERVICES:
        lines.append(
            f'[[services]]\ncode = "{code}"\nname = "{code}类业务"\ntarget_wait_min = 480\n'
            "max_wait_min = 720\ndaily_cap = 100000\ncutoff_min = 0\nweekend = true"
        )
    for w in range(1, plan.windows + 1):
        primary, secondary = window_services(w)
        lines.append(
            f'[[windows]]\nnumber = "{w}"\ndepartment = "soak"\nprimary = ["{primary}"]\n'
            f'secondary = ["{secondary}"]\nweekend = true'
        )
        lines.append(
            f'[[staff]]\nlogin = "staff{w}"\nname = "窗口{w}号人员"\ndepartment = "soak"\n'
            f'windows = ["{w}"]\npassword_env = "{PASSWORD_ENV}"'
        )
        lines.append(f'[[devices]]\nid = "{agent_id(w)}"\nkind = "window_agent"\nwindow = "{w}"')
    lines += [f'[[devices]]\nid = "{kiosk_id(k)}"\nkind = "kiosk"' for k in range(plan.kiosks)]
    lines += [f'[[devices]]\nid = "{screen_id(d)}"\nkind = "hall_display"' for d in range(plan.displays)]
    return "\n\n".join(lines) + "\n"


def agent_id(window: int) -> str:
    return f"{HALL}-agent-{window}"


def kiosk_id(kiosk: int) -> str:
    return f"{HALL}-kiosk-{kiosk + 1}"


def screen_id(display: int) -> str:
    return f"{HALL}-screen-{display + 1}"


def wait_for_opening_hours(longest_s: float, now: datetime | None = None) -> None:
    """Sleep past midnight (hall time) if a run of ``longest_s`` would reach the hall's closed minute."""
    local = (now or datetime.now(HALL_TZ)).astimezone(HALL_TZ)
    closing = local.replace(hour=23, minute=59, second=0, microsecond=0)
    if local + timedelta(seconds=longest_s) >= closing:
        time.sleep((closing - local).total_seconds() + 65)


def open_windows(config: ServerConfig, windows: int) -> None:
    """Each person signs in at their window and opens it, over the HTTP API as the console does."""
    with httpx.Client(base_url=config.base_url, timeout=scaled(10)) as http:
        for w in range(1, windows + 1):
            login = {"hall": HALL, "login": f"staff{w}", "password": PASSWORD}
            token = http.post("/api/auth/token", json=login).raise_for_status().json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            for action in ("sign-in", "open"):
                http.post(f"/api/halls/{HALL}/windows/{w}/{action}", headers=auth).raise_for_status()


@dataclass
class Memory:
    """VmRSS (KiB) of the server processes: the first one's, then the restarted one's after warm-up."""

    first_start: int = 0
    first_end: int = 0
    baseline: int = 0
    peak: int = 0
    final: int = 0

    def sample(self, server: HallqServer) -> int:
        rss = server.rss_kb()
        self.peak = max(self.peak, rss)
        return rss

    @property
    def growth(self) -> float:
        """The restarted server's growth after warm-up, as a fraction of its baseline."""
        return self.final / self.baseline - 1 if self.baseline else float("inf")


@dataclass
class DayReport:
    plan: DayPlan
    database_url: str
    kiosks: list[Kiosk]
    staff: list[WindowStaff]
    screens: list[HallScreen]
    memory: Memory = field(default_factory=Memory)
    errors: list[str] = field(default_factory=list)
    server_exit_codes: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    day_elapsed_s: float = 0.0

    def summary(self) -> str:
        p, m = self.plan, self.memory
        tickets = sum(len(k.issued()) for k in self.kiosks)
        resent = sum(1 for k in self.kiosks for n in k.sends.values() if n > 1)
        calls = sum(len(s.calls) for s in self.staff)
        return (
            f"hall day ×{p.speed:.0f}: {tickets} tickets ({resent} resent by kiosks), {calls} calls, "
            f"{p.kiosks} kiosks, {p.windows} windows, {p.displays} displays; day {self.day_elapsed_s:.1f} s, "
            f"whole run {self.elapsed_s:.1f} s; server RSS first {m.first_start}→{m.first_end} KiB, "
            f"restarted {m.baseline}→{m.final} KiB after warm-up (peak {m.peak}, {m.growth:+.1%})"
        )


class _Crew:
    """Threads whose failures are kept for the report instead of vanishing."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        self.threads: list[threading.Thread] = []

    def run(self, name: str, target: Callable[[], None]) -> None:
        def guarded() -> None:
            try:
                target()
            except Exception as exc:  # any failure of a device is a finding of the day
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def alive(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def join(self, until: float) -> None:
        for thread in self.threads:
            thread.join(max(0.0, until - time.monotonic()))
        if self.alive():
            self.errors.append("threads still running at the deadline: " + ", ".join(
                t.name for t in self.threads if t.is_alive()
            ))  # fmt: skip


def _kiosk_queue(kiosk: Kiosk, mine: list[Arrival], t0: float) -> Callable[[], None]:
    def serve() -> None:
        for arrival in mine:
            time.sleep(max(0.0, t0 + arrival.at_s - time.monotonic()))
            kiosk.take_ticket(arrival.service)

    return serve


@contextlib.contextmanager
def _devices(plan: DayPlan, broker: MosquittoBroker, workdir: Path) -> Iterator[DayReport]:
    """Every device of the hall, started and connected (and subscribed) for the block; stopped after."""
    patience = scaled(PATIENCE_S)
    address = broker.address
    screens = [HallScreen(HALL, screen_id(d), address) for d in range(plan.displays)]
    kiosks = [
        Kiosk(HALL, kiosk_id(k), address, workdir / kiosk_id(k), patience) for k in range(plan.kiosks)
    ]
    staff = [
        WindowStaff(HALL, agent_id(w), str(w), address, plan.service_s, plan.seed + w, patience)
        for w in range(1, plan.windows + 1)
    ]
    everyone: list[Kiosk | WindowStaff | HallScreen] = [*screens, *kiosks, *staff]
    started: list[Kiosk | WindowStaff | HallScreen] = []
    try:
        for device in everyone:
            device.start()
            started.append(device)
        eventually(lambda: all(d.ready() for d in everyone), what="every device connected and subscribed")
        yield DayReport(plan, "", kiosks, staff, screens)
    finally:
        for device in reversed(started):
            device.stop()


def run_day(plan: DayPlan, workdir: Path) -> DayReport:
    """The whole day (see the module docstring); everything is stopped when it returns."""
    started = time.monotonic()
    wait_for_opening_hours(scaled(plan.day_s * 4 + 180))
    with contextlib.ExitStack() as stack:
        (workdir / "broker").mkdir(parents=True, exist_ok=True)
        broker = MosquittoBroker(free_port(), workdir / "broker")
        broker.start()
        stack.callback(broker.stop)
        config = ServerConfig(f"sqlite:///{workdir / 'hallq.db'}", broker.port, HALL, workdir, instance=HALL)
        hall_file = workdir / "hall.toml"
        hall_file.write_text(hall_file_text(plan), encoding="utf-8")
        load_hall_file(hall_file, config, {PASSWORD_ENV: PASSWORD})
        server = HallqServer(config)
        server.start()
        stack.callback(server.stop)
        open_windows(config, plan.windows)
        report = stack.enter_context(_devices(plan, broker, workdir))
        report.database_url = config.database_url
        _day(report, broker, server)
    report.server_exit_codes = server.exit_codes
    report.elapsed_s = time.monotonic() - started
    return report


def _day(report: DayReport, broker: MosquittoBroker, server: HallqServer) -> None:
    plan, memory = report.plan, report.memory
    t0 = time.monotonic()
    until = t0 + scaled(plan.day_s * 4 + 120)
    no_more_tickets = threading.Event()
    schedule = arrivals(plan)
    kiosks, windows = _Crew(report.errors), _Crew(report.errors)
    for k, kiosk in enumerate(report.kiosks):
        kiosks.run(kiosk.device_id, _kiosk_queue(kiosk, [a for a in schedule if a.kiosk == k], t0))
    for person in report.staff:
        windows.run(person.device_id, functools.partial(person.work, no_more_tickets, until))
    memory.first_start = server.rss_kb()
    _sleep_until(t0 + plan.broker_restart_at * plan.day_s)
    broker.restart(down_for=plan.broker_down_s)
    _sleep_until(t0 + plan.server_restart_at * plan.day_s)
    memory.first_end = server.rss_kb()
    server.restart()
    time.sleep(plan.warm_s)
    memory.baseline = memory.sample(server)
    for crew in (kiosks, windows):
        while crew.alive() and time.monotonic() < until:
            time.sleep(RSS_EVERY_S)
            memory.sample(server)
        crew.join(until)
        no_more_tickets.set()
    report.day_elapsed_s = time.monotonic() - t0
    calls = sum(len(person.calls) for person in report.staff)
    try:
        eventually(
            lambda: all(len(s.seqs) >= calls for s in report.screens), timeout=30, what="every call on every screen"
        )
    except AssertionError as exc:
        report.errors.append(str(exc))
    memory.final = memory.sample(server)


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))
