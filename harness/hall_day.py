"""A simulated hall day against the system as deployed, compressed into minutes (the soak run).

    report = run_day(DayPlan(tickets=150, day_s=15, kiosks=6, windows=6, displays=2), workdir)

What runs, all real and on loopback: a private Mosquitto; a ``hallq server`` process (production
settings; a SQLite file, or the empty database ``run_day`` is given) after ``hallq hall load`` of the
day's hall file (:func:`hall_file_text`);
staff sign in and open their windows over the HTTP API; then kiosks, window staff and hall displays
(harness/hall_devices.py) on their own MQTT links.

The day: a real hall day's arrivals (:data:`PROFILE`: a morning rush, a lunch dip, an afternoon
bump), ``tickets`` of them spread over ``day_s`` wall seconds: ``speed`` times a real 8-hour day.
The server has no clock of its own to speed up (it runs on the real clock, as deployed): the day is
compressed by its request rate, the hall is open all day, and its time zone is one where it is about
noon when the run starts (:func:`midday_zone`). During the day the broker is restarted
(``broker_restart_at``, a fraction of the day) and the server is stopped with SIGTERM and started
again on the same database (``server_restart_at``); kiosks and windows keep resending with the same
request ids. At each of ``cable_pulls`` the first kiosk (connected through a proxy) loses the reply
to its next request and then its network for ``cable_down_s``; at each of ``screen_pulls`` the first
display is off the network for ``screen_down_s`` while calls are made. The restarted server's RSS is read
from ``warm_at`` (its baseline) to the end of the day: its warm-up includes filling the bounded caches
it keeps (on SQLite, the page cache of each pooled connection). The day ends when every
kiosk has its ticket and every window found its queue empty; the report holds every device, and the
database stays for the checks.
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
from datetime import UTC, datetime
from pathlib import Path

import httpx

from harness.broker import MosquittoBroker, free_port
from harness.hall_devices import HallScreen, Kiosk, WindowStaff
from harness.processes import HallqServer, ServerConfig, load_hall_file
from harness.proxy import CuttableProxy
from harness.waiting import eventually, scaled

HALL = "soak"
PASSWORD_ENV = "SOAK_STAFF_PASSWORD"  # noqa: S105 (the name of the variable, not a password)
PASSWORD = "soak-day-password"  # noqa: S105 (every simulated staff member's, in this test hall only)
SERVICES = ("A", "B", "C", "D")
SERVICE_SHARE = (0.4, 0.25, 0.2, 0.15)
# Relative arrival rate in each tenth of the day (sums to 10): a real hall's shape.
PROFILE = (0.7, 1.5, 1.4, 1.1, 0.6, 0.4, 1.0, 1.3, 1.2, 0.8)
REAL_DAY_S = 8 * 3600.0
PATIENCE_S = 60.0  # longest a device keeps resending one request (scaled)
RSS_EVERY_S = 0.1  # also how closely the outages keep their moments


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
    warm_at: float = 0.5  # when the restarted server's RSS baseline is read (if it is back by then)
    cable_pulls: tuple[float, ...] = (0.6,)  # when the first kiosk's network drops mid-request
    cable_down_s: float = 1.5
    screen_pulls: tuple[float, ...] = (0.5,)  # when the first display is off the network
    screen_down_s: float = 2.0
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


def hall_file_text(plan: DayPlan, tz: str) -> str:
    """The day's hall file: open all day every day, no cap, no cut-off; one person per window."""
    lines = [
        "schema_version = 1",
        f'[hall]\ncode = "{HALL}"\nname = "全天模拟市民大厅"\ntz = "{tz}"',
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


def midday_zone(now: datetime | None = None) -> str:
    """A time zone in which it is now about noon: the hall's day is far from its closed minute.

    The longest day a hall file allows ends at 23:59, and a new day starts new ticket numbers; the
    server runs on the real clock. A hall whose clock reads noon whatever the hour of the run never
    meets either, so no run has to wait for midnight. (``Etc/GMT-8`` is UTC+8: POSIX signs.)
    """
    hour = (now or datetime.now(UTC)).astimezone(UTC).hour
    offset = (12 - hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return f"Etc/GMT{-offset:+d}"


def open_windows(config: ServerConfig, windows: int) -> None:
    """Each person signs in at their window and opens it, over the HTTP API as the console does."""
    with httpx.Client(base_url=config.base_url, timeout=scaled(10)) as http:
        for w in range(1, windows + 1):
            login = {"hall": HALL, "login": f"staff{w}", "password": PASSWORD}
            signed = http.post("/api/auth/token", json=login).raise_for_status().json()
            if signed["staff"]["must_change_password"]:  # a new production account: the console asks first
                change = {"current_password": PASSWORD, "new_password": f"{PASSWORD}-own"}
                changed = http.post("/api/auth/password", json=change, headers=_bearer(signed))
                signed = changed.raise_for_status().json()
            auth = _bearer(signed)
            for action in ("sign-in", "open"):
                http.post(f"/api/halls/{HALL}/windows/{w}/{action}", headers=auth).raise_for_status()


def _bearer(signed: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {signed['access_token']}"}


@dataclass
class Memory:
    """VmRSS (KiB) of the server processes: the first one's, then the restarted one's after warm-up."""

    warm_from: float = 0.0  # monotonic: the first sample after this and after the restart is the baseline
    first_start: int = 0
    first_end: int = 0
    restarted_at: float | None = None  # monotonic
    samples: list[int] = field(default_factory=list)  # the restarted server's, from its baseline on
    # The restarted server's own warm-up: when it came back after ``warm_from`` (a slow restart on a
    # loaded machine), a sample taken at once is of a cold process (its imports and caches not yet
    # filled by traffic), and the growth measured from it is the warm-up, not a leak.
    restart_warm_s: float = 2.0

    def watch(self, server: HallqServer) -> None:
        """Sample the restarted server once it has warmed up (the first such sample is the baseline)."""
        if self.restarted_at is None:
            return
        if time.monotonic() >= max(self.restarted_at + self.restart_warm_s, self.warm_from):
            self.samples.append(server.rss_kb())

    @property
    def baseline(self) -> int:
        return self.samples[0] if self.samples else 0

    @property
    def final(self) -> int:
        return self.samples[-1] if self.samples else 0

    @property
    def growth(self) -> float:
        """The restarted server's growth after warm-up, as a fraction of its baseline."""
        return self.final / self.baseline - 1 if self.baseline else float("inf")

    def curve(self, points: int = 5) -> list[int]:
        """The samples at evenly spaced moments from the baseline to the end (MiB are enough to read)."""
        if not self.samples:
            return []
        last = len(self.samples) - 1
        return [self.samples[round(i * last / (points - 1))] for i in range(points)]


@dataclass
class DayReport:
    plan: DayPlan
    kiosks: list[Kiosk]
    staff: list[WindowStaff]
    screens: list[HallScreen]
    database_url: str = ""
    errors: list[str] = field(default_factory=list)
    server_exit_codes: list[int] = field(default_factory=list)
    elapsed_s: float = 0.0
    day_elapsed_s: float = 0.0
    server_down_s: float = 0.0

    memory: Memory = field(default_factory=Memory)

    def summary(self) -> str:
        p, m = self.plan, self.memory
        tickets = sum(len(k.issued()) for k in self.kiosks)
        resent = sum(len(k.resent()) for k in self.kiosks)
        calls = sum(len(s.calls) for s in self.staff)
        replays = sum(s.runtime.replays for s in self.screens)
        return (
            f"hall day x{p.speed:.0f}: {tickets} tickets ({resent} resent by kiosks), {calls} calls "
            f"({replays} calls.since replays by displays); {p.kiosks} kiosks, {p.windows} windows, "
            f"{p.displays} displays; day {self.day_elapsed_s:.1f} s "
            f"(server away {self.server_down_s:.1f} s), "
            f"whole run {self.elapsed_s:.1f} s; server RSS {m.first_start}->{m.first_end} KiB before the "
            f"restart, {m.baseline}->{m.final} KiB after it and its warm-up ({m.growth:+.1%}; "
            f"{' '.join(str(kb) for kb in m.curve())} KiB through the rest of the day)"
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
        late = [t.name for t in self.threads if t.is_alive()]
        if late:
            self.errors.append(f"still running at the deadline: {', '.join(late)}")


@contextlib.contextmanager
def _devices(plan: DayPlan, broker: MosquittoBroker, workdir: Path) -> Iterator[DayReport]:
    """Every device of the hall, started and connected (and subscribed) for the block; stopped after.

    The first kiosk and the first display reach the broker through a proxy each: theirs are the
    cables pulled during the day.
    """
    patience = scaled(PATIENCE_S)
    address = broker.address
    screen_cable, kiosk_cable = CuttableProxy(broker.port), CuttableProxy(broker.port)
    screens = [
        HallScreen(HALL, screen_id(d), address, screen_cable if d == 0 else None)
        for d in range(plan.displays)
    ]
    kiosks = [
        Kiosk(HALL, kiosk_id(k), address, workdir / kiosk_id(k), patience, kiosk_cable if k == 0 else None)
        for k in range(plan.kiosks)
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
        yield DayReport(plan, kiosks, staff, screens)
    finally:
        for device in reversed(started):
            device.stop()


def run_day(plan: DayPlan, workdir: Path, database_url: str | None = None) -> DayReport:
    """The whole day (see the module docstring); everything is stopped when it returns.

    ``database_url``: an empty database for the server (default: a new SQLite file in ``workdir``).
    """
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        (workdir / "broker").mkdir(parents=True, exist_ok=True)
        broker = MosquittoBroker(free_port(), workdir / "broker")
        broker.start()
        stack.callback(broker.stop)
        url = database_url or f"sqlite:///{workdir / 'hallq.db'}"
        config = ServerConfig(url, broker.port, HALL, workdir, instance=HALL)
        hall_file = workdir / "hall.toml"
        hall_file.write_text(hall_file_text(plan, midday_zone()), encoding="utf-8")
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
    memory.warm_from = t0 + plan.warm_at * plan.day_s
    events = _timeline(report, broker, server, t0)
    for crew in (kiosks, windows):
        while crew.alive() and time.monotonic() < until:
            while events and events[0][0] <= time.monotonic():
                events.pop(0)[1]()
            memory.watch(server)
            time.sleep(RSS_EVERY_S)
        crew.join(until)
        no_more_tickets.set()
    report.day_elapsed_s = time.monotonic() - t0
    if events:
        report.errors.append(f"the day ended before {len(events)} of its outages")
    for person in report.staff:
        # The first few are enough to read; the rest repeat (a window stuck asks "next" again and again).
        report.errors += [f"window {person.window}: refused {line}" for line in person.refused[:3]]
    calls = sum(len(person.calls) for person in report.staff)

    def every_call_shown() -> bool:
        return all(len(s.seqs) >= calls for s in report.screens)

    try:
        eventually(every_call_shown, timeout=30, what="every call on every screen")
    except AssertionError as exc:
        report.errors.append(str(exc))
    memory.watch(server)


def _timeline(
    report: DayReport, broker: MosquittoBroker, server: HallqServer, t0: float
) -> list[tuple[float, Callable[[], None]]]:
    """The day's outages, in order: (monotonic moment, what happens)."""
    plan = report.plan

    def restart_server() -> None:
        report.memory.first_end = server.rss_kb()
        stopped = time.monotonic()
        server.restart()
        report.memory.restarted_at = time.monotonic()
        report.server_down_s = report.memory.restarted_at - stopped

    events: list[tuple[float, Callable[[], None]]] = [
        (plan.broker_restart_at, functools.partial(broker.restart, down_for=plan.broker_down_s)),
        (plan.server_restart_at, restart_server),
    ]
    events += [
        (at, functools.partial(report.kiosks[0].pull_cable, plan.cable_down_s)) for at in plan.cable_pulls
    ]
    events += [
        (at, functools.partial(report.screens[0].pull_cable, plan.screen_down_s)) for at in plan.screen_pulls
    ]
    return sorted(((t0 + at * plan.day_s, action) for at, action in events), key=lambda e: e[0])


def _kiosk_queue(kiosk: Kiosk, mine: list[Arrival], t0: float) -> Callable[[], None]:
    def serve() -> None:
        for arrival in mine:
            time.sleep(max(0.0, t0 + arrival.at_s - time.monotonic()))
            kiosk.take_ticket(arrival.service)

    return serve
