"""The hall the server benchmarks run against, and the state it is in before they start.

The demo hall file, loaded twice (``bench`` for the MQTT figures, ``bench-cn`` for the in-process
call-next cost), changed only where a benchmark needs it: every day open 00:00–23:59 with no issue
cut-off (the server runs on the real clock, as deployed, whatever the hour or day of the benchmark)
and daily caps at the schema's maximum (a benchmark issues thousands of tickets). Window 1 is open
with a person signed in and has served some tickets first, so every wait estimate reads a handling
history as it would in a hall at work.
"""

from __future__ import annotations

import sys
import time
import tomllib
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from queue_server.halls import DEMO_HALL_PATH, HallFile, validate_data
from queue_server.halls.loader import load_hall
from queue_server.protocol.messages import TicketIssueArgs
from queue_server.services import Services
from queue_server.services.ports import Actor, Role
from queue_server.settings import Settings
from queue_server.store import init_db

HALL = "bench"
HALL_CALL_NEXT = "bench-cn"
WINDOW = "1"  # serves A (primary) and B (secondary) in the demo hall
AGENT = "demo-win-1-agent"  # the demo hall binds it to window 1
STAFF = "wangfang"  # may sign in at window 1
SERVICE = "A"
PASSWORD = "bench-password"
HALL_TZ = ZoneInfo("Asia/Shanghai")  # the demo hall's
ALL_DAY = ["00:00-23:59"]  # the longest day the schema allows: closed from 23:59 to midnight


def bench_hall_file(code: str) -> HallFile:
    """The demo hall under another code: open every day all day, no issue cut-off, no daily cap."""
    raw = tomllib.loads(DEMO_HALL_PATH.read_text())
    raw["hall"]["code"] = code
    hours = raw["hours"]
    for day in ("mon", "tue", "wed", "thu", "fri", "rest_day"):
        hours[day] = ALL_DAY
    for service in raw["services"]:
        service["daily_cap"] = 100_000
        service["cutoff_min"] = 0
        service["weekend"] = True  # rest days (weekends, holidays) open only weekend services
    for window in raw["windows"]:
        window["weekend"] = True
    hall = validate_data(raw)
    if isinstance(hall, list):
        raise RuntimeError("bench hall invalid: " + "; ".join(str(e) for e in hall))
    return hall


def settings(url: str, hall: str) -> Settings:
    return Settings(environment="development", database_url=url, hall=hall)


def rid() -> str:
    return uuid.uuid4().hex


def wait_for_opening_hours(now: datetime | None = None) -> None:
    """Sleep through the one closed minute of the bench hall's day (23:59 to midnight, hall time)."""
    local = (now or datetime.now(HALL_TZ)).astimezone(HALL_TZ)
    if (local.hour, local.minute) >= (23, 57):
        left = 24 * 3600 - (local.hour * 3600 + local.minute * 60 + local.second) + 5
        print(f"bench: the bench hall closes at 23:59 hall time: waiting {left} s", file=sys.stderr)
        time.sleep(left)


def prepare(url: str, served: int) -> None:
    """Migrate, load both halls, open window 1 of each with a signed-in person, and let it serve
    ``served`` tickets of hall ``bench`` first: a hall at work has a handling history, which every
    ticket's wait estimate reads (the most recent finished tickets)."""
    engine = init_db(url)
    try:
        for code in (HALL, HALL_CALL_NEXT):
            hall = bench_hall_file(code)
            load_hall(engine, hall, passwords={s.login: PASSWORD for s in hall.staff})
            services = Services(engine, settings(url, code))
            services.sign_in(code, WINDOW, actor=Actor(Role.STAFF, STAFF))
            at_window = Actor(Role.STAFF, STAFF, WINDOW)
            services.open_window(code, WINDOW, actor=at_window)
            for _ in range(served if code == HALL else 0):
                args = TicketIssueArgs(service=SERVICE)
                services.issue_ticket(code, args, request_id=rid(), device_id=None)
                serve_one(services, code, at_window)
            services.runner.wait_idle(10)
    finally:
        engine.dispose()


def serve_one(services: Services, hall: str, actor: Actor) -> None:
    """Call the next ticket at window 1, start it and finish it."""
    services.call_next(hall, WINDOW, actor=actor, request_id=rid())
    services.start(hall, WINDOW, actor=actor, request_id=rid())
    services.finish(hall, WINDOW, None, actor=actor, request_id=rid())
