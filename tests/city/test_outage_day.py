"""Issue 13's done-when: a hall appliance cut off from its city for a simulated day, then reconnected:
the city's figures for that day equal the hall's own, exactly.

The hall (SQLite) plays two days while its city (PostgreSQL) is down and its shipper keeps failing:
the hand-computed day of tests/stats/test_fixed_day.py (every kind of change: kiosk, desk and
appointment tickets, calls, recalls, no-shows, a transfer, a pause, a rating, a case, enquiries, a
close past closing time) and a busy seeded day of ~100 tickets over two windows. Then the city comes
up; the shipper catches up; every statistics grouping, the staff evaluation and the heatmaps of the
city equal the hall's (keys that are row ids compared through their labels: the city's ids differ).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import text

from harness.factories import PASSWORD, SHANGHAI, HallFixture
from harness.waiting import eventually
from queue_server.city import capture
from queue_server.city.shipper import CityShipper, make_shipper
from queue_server.city.status import link_status
from queue_server.errors import HallqError
from queue_server.services.queue.models import TransferRequest
from queue_server.stats.report import GROUPS
from tests.city.conftest import City
from tests.stats.test_fixed_day import TOTAL, _play_the_day

FIRST, LAST = date(2025, 3, 12), date(2025, 3, 13)
ID_GROUPS = {"service", "window", "staff", "department", "hall"}


def _busy_day(hall: HallFixture, until: time, seed: int = 13) -> None:
    """Thursday 2025-03-13 from 09:00: tickets every few minutes, two windows calling them."""
    rng = random.Random(seed)
    s, code = hall.services, hall.code
    windows = {"1": hall.open_window("1", "zhang"), "4": hall.open_window("4", "zhao")}
    state = dict.fromkeys(windows, "idle")
    hall.clock.set(datetime(2025, 3, 13, 9, 0, tzinfo=SHANGHAI))
    while hall.clock().time() < until:
        for _ in range(rng.choice((0, 1, 1, 2))):
            hall.issue(rng.choice("AAABC"), device_id=rng.choice(("kiosk-1", None)))
        for number, actor in windows.items():
            state[number] = _step(hall, number, actor, state[number], rng)
        hall.clock.advance(minutes=rng.choice((2, 3, 4)))
    for number, actor in windows.items():
        if state[number] == "called":
            s.start(code, number, actor=actor, request_id=hall.rid())
        if state[number] in ("called", "serving"):
            s.finish(code, number, None, actor=actor, request_id=hall.rid())
        s.close_window(code, number, actor=actor, request_id=hall.rid())
        s.sign_out(code, actor=actor)


def _step(hall: HallFixture, number: str, actor: Any, now: str, rng: random.Random) -> str:
    s, code, rid = hall.services, hall.code, hall.rid
    try:
        if now == "idle":
            return "called" if s.call_next(code, number, actor=actor, request_id=rid()).ticket else "idle"
        if now == "called":
            roll = rng.random()
            if roll < 0.1:
                s.no_show(code, number, actor=actor, request_id=rid())
                return "idle"
            if roll < 0.15:
                s.recall(code, number, actor=actor, request_id=rid())
                return "called"
            s.start(code, number, actor=actor, request_id=rid())
            return "serving"
        if rng.random() < 0.1:
            s.transfer(code, number, TransferRequest(to_service="C"), actor=actor, request_id=rid())
        else:
            s.finish(code, number, rng.choice((None, "immediate")), actor=actor, request_id=rid())
    except HallqError as exc:  # nobody waiting: the window stays idle
        if exc.code.value != "queue_empty":
            raise
    return "idle"


def _figures(hall: HallFixture) -> dict[str, Any]:
    """Every report the managers read for the two days, with id keys left out (labels name them)."""
    s, code, manager = hall.services, hall.code, hall.manager
    out: dict[str, Any] = {}
    for group in GROUPS:
        result = s.statistics(code, FIRST, LAST, group, actor=manager).model_dump()
        rows = result["rows"]
        if group in ID_GROUPS:
            for row in rows:
                row.pop("key")
        out[group] = (sorted(rows, key=lambda r: (r["label"], r.get("key", ""))), result["total"])
    evaluation = s.staff_evaluation(code, FIRST, LAST, actor=manager).model_dump()["rows"]
    out["evaluation"] = sorted(({k: v for k, v in r.items() if k != "key"} for r in evaluation), key=str)
    for measure in ("arrivals", "wait_mean"):
        out[measure] = s.stats_heatmap(code, FIRST, LAST, measure, actor=manager).model_dump()
    return out


def _shipper(appliance: HallFixture, city: City, credential_file: Any) -> CityShipper:
    return make_shipper(
        appliance.engine,
        appliance.code,
        city.url,
        credential_file,
        interval_s=0.05,
        backoff_s=(0.2, 1.0),  # the hall plays its day undisturbed; the city is tried each second
    )


@pytest.mark.parametrize(
    "until",
    [
        pytest.param(time(10, 30), id="short"),  # ~40 tickets of the busy day: the normal run
        pytest.param(time(16, 20), id="whole-day", marks=pytest.mark.slow),  # ~160 tickets, ~1 min
    ],
)
def test_a_day_cut_off_from_the_city_ends_with_the_city_exact(
    appliance: HallFixture, city: City, credential_file: Any, until: time
) -> None:
    shipper = _shipper(appliance, city, credential_file)
    shipper.start()
    try:
        _play_the_day(appliance)
        _busy_day(appliance, until)
        eventually(lambda: shipper.state.failures >= 2, what="the shipper tried the city and failed")
        assert shipper.state.last_error is not None and "unreachable" in shipper.state.last_error
        waiting = link_status(appliance.engine, appliance.code, datetime.now(SHANGHAI), None, None)
        assert waiting.pending > 200 and waiting.acked_seq == 0 and waiting.lag_s is not None
        hall_figures = _figures(appliance)
        assert hall_figures["day"][1]["issued"] > 6 + 20  # the fixed day's 6 tickets and the busy day's
        city.hall.clock.set(appliance.clock())
        assert _figures(city.hall) != hall_figures  # nothing reached the city yet

        city.start()
        eventually(
            lambda: (
                link_status(appliance.engine, appliance.code, datetime.now(SHANGHAI), None, None).pending == 0
            ),
            what="the outbox drained into the city",
        )
        assert _figures(city.hall) == hall_figures
        # The hand-computed day, as the city reads it over HTTP with a city-side manager's sign-in.
        client = _manager_client(city)
        body = client.get(
            f"/api/halls/{city.hall.code}/stats",
            params={"date_from": FIRST, "date_to": FIRST, "group": "day"},
        ).json()
        assert {k: body["total"][k] for k in TOTAL if not isinstance(TOTAL[k], dict)} == {
            k: v for k, v in TOTAL.items() if not isinstance(v, dict)
        }
        received = client.get(f"/api/halls/{city.hall.code}/city").json()
        client.close()
        shipped = link_status(appliance.engine, appliance.code, datetime.now(SHANGHAI), None, None)
        assert received["received_seq"] == shipped.acked_seq >= waiting.pending
        assert received["received_rows"] > 0 and shipped.lag_s is None
    finally:
        shipper.stop()


def _manager_client(city: City) -> Any:
    import httpx

    client = httpx.Client(base_url=city.url, timeout=30)
    reply = client.post(
        "/api/auth/token", json={"hall": city.hall.code, "login": "manager", "password": PASSWORD}
    )
    assert reply.status_code == 200, reply.text
    return client


def test_a_hall_linked_after_a_day_of_service_ends_with_the_city_exact(
    unlinked_appliance: HallFixture, city: City, credential_file: Any
) -> None:
    hall = unlinked_appliance
    _play_the_day(hall)
    _busy_day(hall, time(10, 30))
    assert _outbox_rows(hall) == 0  # a day without a link: nothing written for a city
    hall_figures = _figures(hall)
    city.hall.clock.set(hall.clock())
    city.start()
    # The configure step (hallq server with city_url does it at start): the day seeded into the outbox.
    seeded = capture.link(hall.engine, hall.hall_id, datetime.now(SHANGHAI))
    assert seeded is not None and seeded == _outbox_rows(hall) > 150  # one per row, not per change
    assert capture.link(hall.engine, hall.hall_id, datetime.now(SHANGHAI)) is None  # once
    shipper = _shipper(hall, city, credential_file)
    shipper.batch_size = 100  # several batches, each acknowledged and pruned
    assert shipper.ship_once() == 100
    acked = link_status(hall.engine, hall.code, datetime.now(SHANGHAI), None, None)
    assert acked.acked_seq > 0 and _outbox_rows(hall) == seeded - 100  # the acknowledged rows gone
    shipper.drain()
    assert _outbox_rows(hall) == 0
    assert _figures(city.hall) == hall_figures
    # A change after the link travels as any other, and a second seed would change nothing at the city.
    hall.issue("A")
    assert _outbox_rows(hall) == 2 and shipper.drain() == 2
    hall_figures = _figures(hall)
    assert _figures(city.hall) == hall_figures


def _outbox_rows(hall: HallFixture) -> int:
    with hall.engine.connect() as conn:
        found = conn.execute(text("SELECT COUNT(*) FROM city_outbox WHERE hall_id = :h"), {"h": hall.hall_id})
        return int(found.scalar() or 0)
