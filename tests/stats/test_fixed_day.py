"""Every figure of one small hall day against numbers worked out by hand, read over HTTP.

The day (Wednesday 2025-03-12; hall hours 09:00–12:00, 13:30–17:00; every service's target 20 min):

| ticket | service, channel | issued | called (window, staff) | wait | what happened | handling |
|---|---|---|---|---|---|---|
| A001 | A kiosk | 09:00 | 09:05 (1, 张三) | 5 | finished 09:12 as 即办件; rated 1 (bad) | 7 |
| A002 | A kiosk | 09:00 | 09:12 (1, 张三) | 12 | recalled 09:13, no-show 09:15 | — |
| B001 | B desk | 09:00 | 09:20 (4, 赵六) | 20 | started, transferred to C 09:25 | — |
| A003 | A appointment (slot 09:30) | 09:25 | 09:30 (1, 张三) | 5 | finished 09:40 | 10 |
| B001→C | C (continuation) | 09:25 | 09:40 (1, 张三) | 15 | finished 09:50 | 10 |
| A004 | A kiosk | 16:25 | 17:05 (4, 赵六) | 40 | finished 17:15: after closing (延时) | 10 |
| C001 | C kiosk | 16:28 | — | — | still waiting at close (abandoned) | — |

Window 1 (张三) signed in 09:00–16:30 (450 min), paused 09:15–09:25 (休息); window 4 (赵六) signed in
09:00–17:20 (500 min), closed 17:20: 20 minutes past closing.

The guide desk (周导) answers three enquiries (咨询): two about matter A01 (户口迁移, service A) at
09:10 and 10:00, one about service C with no matter at 16:40.

Idle with people waiting (a window open and idle while a ticket of a service it serves waits; window 1
serves A and C, window 4 A, B and C): window 1 09:00–09:05 (A001, A002), 09:25–09:30 (the continuation
in C, A003), 16:25–16:30 (A004): 15 min; window 4 09:00–09:20 (A001…, B001), 09:25–09:40 (the
continuation), 16:25–17:05 (A004, C001), 17:15–17:20 (C001): 80 min; 95 in all.

Totals: issued 6 (the continuation is no new ticket), called 6, served 4, no-show 1, transferred 1,
abandoned 1, recalls 1. Waits 5 5 12 15 20 40 min: mean 970 s; nearest-rank median (3rd) 12 min,
p90 and p95 (6th) 40 min. Handling 7 10 10 10 min: mean 555 s, median 10 min. Within target: five of
the six called (not A004); service level 5 ÷ (6 called + 1 abandoned) = 5/7. Serving 37 min of 950
signed in.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from sqlalchemy import text

from harness.factories import SHANGHAI, HallFixture
from queue_server.api import create_app
from queue_server.protocol.messages import AppointmentCheckinArgs, RatingEvent
from queue_server.services.ports import Actor, Role
from queue_server.services.queue.guide_models import EnquiryRequest
from queue_server.services.queue.models import TransferRequest
from queue_server.stats.rebuild import rebuild
from tests.api.conftest import Api

with warnings.catch_warnings():
    # as in tests/api/conftest.py: Starlette warns at import when it finds plain httpx
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

HOURS = {str(d): [["09:00", "12:00"], ["13:30", "17:00"]] for d in range(5)}
DAY = "date_from=2025-03-12&date_to=2025-03-12"
CLERK = Actor(Role.GUIDE, "daoban")


def _at(hour: int, minute: int, day: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=SHANGHAI)


def _play_the_day(hall: HallFixture) -> None:  # noqa: PLR0915  (the day, in the order it happened)
    s, code, clock = hall.services, hall.code, hall.clock
    zhang, zhao = hall.staff("zhang"), hall.staff("zhao")

    def at(hour: int, minute: int) -> None:
        clock.set(_at(hour, minute))

    at(9, 0)
    booking = s.book_appointment(code, "A", _at(9, 30), _at(10, 0))
    hall.issue("A")  # A001
    hall.issue("A")  # A002
    hall.issue("B", device_id=None)  # B001 at the guide desk
    hall.open_window("1", "zhang")
    hall.open_window("4", "zhao")
    at(9, 5)
    s.call_next(code, "1", actor=zhang, request_id=hall.rid())
    s.start(code, "1", actor=zhang, request_id=hall.rid())
    at(9, 10)
    s.guide_enquiry(code, EnquiryRequest(matter="A01"), actor=CLERK, request_id=hall.rid())
    at(9, 12)
    s.finish(code, "1", "immediate", actor=zhang, request_id=hall.rid())
    s.record_rating(code, "1", RatingEvent(id="pad-1", score=1), device_id="agent-1")
    s.call_next(code, "1", actor=zhang, request_id=hall.rid())  # A002
    at(9, 13)
    s.recall(code, "1", actor=zhang, request_id=hall.rid())
    at(9, 15)
    s.no_show(code, "1", actor=zhang, request_id=hall.rid())
    s.pause(code, "1", "休息", actor=zhang, request_id=hall.rid())
    at(9, 20)
    s.call_next(code, "4", actor=zhao, request_id=hall.rid())  # B001
    s.start(code, "4", actor=zhao, request_id=hall.rid())
    at(9, 25)
    s.resume(code, "1", actor=zhang, request_id=hall.rid())
    s.transfer(code, "4", TransferRequest(to_service="C"), actor=zhao, request_id=hall.rid())
    s.checkin_appointment(
        code, AppointmentCheckinArgs(code=booking.code), request_id=hall.rid(), device_id="kiosk-1"
    )
    at(9, 30)
    assert s.call_next(code, "1", actor=zhang, request_id=hall.rid()).ticket is not None  # A003 (slot begun)
    s.start(code, "1", actor=zhang, request_id=hall.rid())
    at(9, 40)
    s.finish(code, "1", None, actor=zhang, request_id=hall.rid())
    s.call_next(code, "1", actor=zhang, request_id=hall.rid())  # B001's continuation in C
    s.start(code, "1", actor=zhang, request_id=hall.rid())
    at(9, 50)
    s.finish(code, "1", None, actor=zhang, request_id=hall.rid())
    at(10, 0)
    s.guide_enquiry(code, EnquiryRequest(matter="A01"), actor=CLERK, request_id=hall.rid())
    at(16, 25)
    hall.issue("A")  # A004, just before the 16:30 cut-off
    at(16, 28)
    hall.issue("C")  # C001, never called
    at(16, 30)
    s.close_window(code, "1", actor=zhang, request_id=hall.rid())
    s.sign_out(code, actor=zhang)
    at(16, 40)
    s.guide_enquiry(code, EnquiryRequest(service="C"), actor=CLERK, request_id=hall.rid())
    at(17, 5)
    s.call_next(code, "4", actor=zhao, request_id=hall.rid())  # A004 (older than C001)
    s.start(code, "4", actor=zhao, request_id=hall.rid())
    at(17, 15)
    s.finish(code, "4", None, actor=zhao, request_id=hall.rid())
    at(17, 20)
    s.close_window(code, "4", actor=zhao, request_id=hall.rid())
    s.sign_out(code, actor=zhao)
    clock.set(_at(9, 0, day=13))  # the next morning: C001 was left waiting at close


@pytest.fixture
def day_api(make_hall: Callable[..., HallFixture]) -> Any:
    hall = make_hall(schedule=HOURS)
    _play_the_day(hall)
    with TestClient(create_app(hall.settings, hall.services)) as client:
        yield Api(client, hall)


TOTAL = {
    "issued": 6,
    "visits": 6,
    "served": 4,
    "no_show": 1,
    "transferred": 1,
    "voided": 0,
    "abandoned": 1,
    "waiting": 0,
    "recalls": 1,
    "called_in_target": 5,
    "wait_mean_s": 970.0,
    "wait_median_s": 720.0,
    "wait_p90_s": 2400.0,
    "wait_p95_s": 2400.0,
    "handling_mean_s": 555.0,
    "handling_median_s": 600.0,
    "handling_p90_s": 600.0,
    "handling_p95_s": 600.0,
    "weekend_issued": 0,
    "extended_tickets": 1,
    "extended_minutes": 20,
    "signed_in_minutes": 950.0,
    "serving_minutes": 37.0,
    "pauses": 1,
    "pause_minutes": 10.0,
    "pauses_by_reason": {"休息": {"count": 1, "minutes": 10.0}},
    "idle_waiting_minutes": 95.0,
    "ratings": 1,
    "ratings_by_level": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0},
    "bad_ratings": 1,
    "satisfaction": 0.0,
    "rectifications_closed": 0,
    "rectifications_in_time": 0,
    "appointments_booked": 1,
    "appointments_kept": 1,
    "appointments_late": 0,
    "appointments_missed": 0,
    "cases": 1,
    "cases_by_type": {"immediate": 1},
    "promised_due": 0,
    "promised_overdue": 0,
    "enquiries": 3,
    "enquiries_by_matter": {"A01": 2, "": 1},
}


def _get(api: Api, path: str) -> Any:
    reply = api.client.get(f"{api.base}{path}", headers=api.token("manager"))
    assert reply.status_code == 200, reply.text
    return reply


def test_every_total_matches_the_hand_computed_day(day_api: Api) -> None:
    body = _get(day_api, f"/stats?{DAY}&group=day").json()
    total = body["total"]
    assert {k: total[k] for k in TOTAL} == TOTAL
    assert total["service_level"] == pytest.approx(5 / 7)
    assert total["utilisation"] == pytest.approx(37 / 950)
    assert [(r["key"], r["issued"]) for r in body["rows"]] == [("2025-03-12", 6)]
    assert {k: body["rows"][0][k] for k in TOTAL} == TOTAL


def test_rows_by_window_staff_channel_hour_service(day_api: Api) -> None:
    def rows(group: str) -> dict[str, dict[str, Any]]:
        return {r["label"]: r for r in _get(day_api, f"/stats?{DAY}&group={group}").json()["rows"]}

    windows = rows("window")
    one, four, nobody = windows["1号窗口"], windows["4号窗口"], windows["未叫号"]
    assert (one["visits"], one["served"], one["no_show"], one["recalls"]) == (4, 3, 1, 1)
    assert (one["signed_in_minutes"], one["serving_minutes"], one["pause_minutes"]) == (450.0, 27.0, 10.0)
    assert (one["ratings"], one["bad_ratings"], one["extended_minutes"]) == (1, 1, 0)
    assert (four["visits"], four["served"], four["transferred"], four["extended_minutes"]) == (2, 1, 1, 20)
    assert four["wait_mean_s"] == (20 + 40) / 2 * 60 and four["utilisation"] == pytest.approx(10 / 500)
    assert (nobody["issued"], nobody["abandoned"], nobody["visits"]) == (1, 1, 0)
    assert (one["idle_waiting_minutes"], four["idle_waiting_minutes"]) == (15.0, 80.0)
    assert (one["enquiries"], nobody["idle_waiting_minutes"]) == (None, 0.0)
    staff = rows("staff")
    assert (staff["张三"]["idle_waiting_minutes"], staff["赵六"]["idle_waiting_minutes"]) == (15.0, 80.0)
    assert staff["周导"]["enquiries"] == 3 and staff["周导"]["enquiries_by_matter"] == {"A01": 2, "": 1}
    assert (staff["张三"]["handling_mean_s"], staff["赵六"]["handling_mean_s"]) == (
        (7 + 10 + 10) / 3 * 60,
        600.0,
    )
    channels = rows("channel")
    assert {k: v["issued"] for k, v in channels.items()} == {"自助取号": 4, "预约签到": 1, "导办台": 1}
    assert channels["导办台"]["visits"] == 2  # B001 and its continuation
    hours = rows("hour")
    assert {k: v["issued"] for k, v in hours.items()} == {"09:00–10:00": 4, "16:00–17:00": 2}
    services = rows("service")
    assert services["C 社保业务"]["abandoned"] == 1 and services["C 社保业务"]["service_level"] == 0.5
    assert (
        services["A 户籍业务"]["appointments_kept"] == 1 and services["A 户籍业务"]["service_level"] == 0.75
    )
    assert (services["A 户籍业务"]["enquiries"], services["C 社保业务"]["enquiries"]) == (2, 1)
    assert services["B 企业开办"]["enquiries"] is None
    departments = rows("department")
    assert departments["民政局"]["issued"] == 5 and departments["民政局"]["cases"] is None
    assert departments["市场监管局"]["transferred"] == 1


def test_heatmap_and_evaluation(day_api: Api) -> None:
    heat = _get(day_api, f"/stats/heatmap?{DAY}&measure=arrivals").json()
    assert heat["weekdays"][2] == "周三" and heat["hours"] == [9, 16]
    assert heat["cells"] == [[2, 9, 4.0], [2, 16, 2.0]]
    waits = _get(day_api, f"/stats/heatmap?{DAY}&measure=wait_mean").json()
    assert waits["cells"] == [[2, 9, (5 + 12 + 20 + 5 + 15) / 5 * 60], [2, 16, 2400.0]]
    people = {r["login"]: r for r in _get(day_api, f"/stats/evaluation?{DAY}").json()["rows"]}
    assert set(people) == {"zhang", "zhao", "daoban"}  # the guide desk's clerk: her enquiries
    assert (people["daoban"]["enquiries"], people["daoban"]["visits"]) == (3, 0)
    assert (people["zhang"]["idle_waiting_minutes"], people["zhao"]["idle_waiting_minutes"]) == (15.0, 80.0)
    zhang = people["zhang"]
    assert (zhang["visits"], zhang["no_show"], zhang["handling_median_s"], zhang["bad_ratings"]) == (
        4,
        1,
        600.0,
        1,
    )
    assert (
        zhang["pauses_by_reason"] == {"休息": {"count": 1, "minutes": 10.0}} and zhang["overdue_cases"] == 0
    )


def test_downloads_hold_the_same_rows_and_total(day_api: Api) -> None:
    json_body = _get(day_api, f"/stats?{DAY}&group=window").json()
    raw = _get(day_api, f"/stats?{DAY}&group=window&format=csv")
    assert raw.headers["content-type"].startswith("text/csv") and raw.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    header = lines[0]
    assert header[0] == "项目" and "取号数" in header and "评价:非常不满意" in header
    assert [line[0] for line in lines[1:]] == [*(r["label"] for r in json_body["rows"]), "合计"]
    assert lines[-1][header.index("取号数")] == str(json_body["total"]["issued"])
    book = openpyxl.load_workbook(io.BytesIO(_get(day_api, f"/stats?{DAY}&group=window&format=xlsx").content))
    sheet = book.active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == header and cells[-1][0] == "合计"
    assert cells[-1][header.index("办结数")] == json_body["total"]["served"] == 4
    assert cells[-1][header.index("暂停:休息(分钟)")] == 10.0
    assert cells[-1][header.index("空闲有人等候(分钟)")] == json_body["total"]["idle_waiting_minutes"] == 95.0
    assert (cells[-1][header.index("咨询数")], cells[-1][header.index("咨询:A01")]) == (3, 2)


def test_rotation_and_qualifications(day_api: Api) -> None:
    rotation = _get(day_api, "/stats/rotation").json()
    assert rotation["years"] == 2 and rotation["rows"] == []  # everyone signed in for the first time today
    qualifications = {r["login"]: r for r in _get(day_api, "/stats/qualifications").json()["rows"]}
    assert qualifications["wang"]["status"] == "expired" and qualifications["zhang"]["status"] == "valid"
    assert qualifications["li"]["status"] == "none"


def test_only_managers_and_valid_ranges(day_api: Api) -> None:
    c, base = day_api.client, day_api.base
    assert c.get(f"{base}/stats?{DAY}", headers=day_api.token("zhang")).status_code == 403
    assert c.get(f"{base}/stats?{DAY}").status_code == 401
    manager = day_api.token("manager")
    for bad in ("date_from=2025-03-13&date_to=2025-03-12", "date_from=2024-01-01&date_to=2025-03-12"):
        reply = c.get(f"{base}/stats?{bad}", headers=manager)
        assert reply.status_code == 422 and reply.json()["code"] == "bad_request"
    assert c.get(f"{base}/stats?{DAY}&group=nonsense", headers=manager).status_code == 422


def test_halls_compared_are_the_hall_and_the_halls_below_it(
    day_api: Api, make_hall: Callable[..., HallFixture]
) -> None:
    other = make_hall()  # another hall in the same database, whose manager has the same login
    other.clock.set(_at(10, 0))
    other.issue("A")
    other.issue("B")
    keys = {r["key"] for r in _get(day_api, f"/stats?{DAY}&group=hall").json()["rows"]}
    assert keys == {str(day_api.hall.hall_id)}  # a login of the same name in another hall widens nothing
    with other.engine.begin() as conn:  # the other hall becomes a township under the day's hall
        conn.execute(
            text("UPDATE hall SET level = 'township', parent = :parent WHERE id = :id"),
            {"parent": day_api.hall.code, "id": other.hall_id},
        )
    rows = {r["key"]: r for r in _get(day_api, f"/stats?{DAY}&group=hall").json()["rows"]}
    assert rows[str(day_api.hall.hall_id)]["issued"] == 6
    assert rows[str(other.hall_id)]["issued"] == 2 and rows[str(other.hall_id)]["waiting"] == 0
    assert rows[str(other.hall_id)]["abandoned"] == 2  # its day is over too
    alone = _get(day_api, f"/stats?{DAY}&group=day").json()
    assert alone["total"]["issued"] == 6  # every other grouping covers the hall in the path only


def test_evaluation_downloads(day_api: Api) -> None:
    raw = _get(day_api, f"/stats/evaluation?{DAY}&format=csv")
    lines = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert lines[0][:2] == ["项目", "工号"] and "超期办件" in lines[0]
    assert sorted(line[1] for line in lines[1:]) == ["daoban", "zhang", "zhao"]
    idle = lines[0].index("空闲有人等候(分钟)")
    assert {line[1]: line[idle] for line in lines[1:]}["zhao"] == "80.0"
    book = openpyxl.load_workbook(io.BytesIO(_get(day_api, f"/stats/evaluation?{DAY}&format=xlsx").content))
    assert book.active is not None and book.active.max_row == 4  # header and three people, no total


def test_idle_time_stored_by_the_rebuild_reads_the_same(day_api: Api) -> None:
    """Once the day is stored (``hallq stats rebuild``: the day is over), the report reads it from
    ``stats_idle`` instead of replaying it, with the same figures."""
    rebuild(day_api.hall.engine, day_api.hall.code)
    hall = {"h": day_api.hall.hall_id}
    with day_api.hall.engine.connect() as conn:
        days = conn.execute(text("SELECT COUNT(*) FROM stats_idle_day WHERE hall_id = :h"), hall)
        assert days.scalar_one() >= 1
        stored = conn.execute(text("SELECT SUM(idle_waiting_ms) FROM stats_idle WHERE hall_id = :h"), hall)
        assert stored.scalar_one() == 95 * 60_000
    for group in ("window", "staff", "day", "week"):
        body = _get(day_api, f"/stats?{DAY}&group={group}").json()
        assert body["total"]["idle_waiting_minutes"] == 95.0, group
    windows = {r["label"]: r for r in _get(day_api, f"/stats?{DAY}&group=window").json()["rows"]}
    assert (windows["1号窗口"]["idle_waiting_minutes"], windows["4号窗口"]["idle_waiting_minutes"]) == (
        15.0,
        80.0,
    )
    service = _get(day_api, f"/stats?{DAY}&group=service").json()
    assert service["total"]["idle_waiting_minutes"] == 95.0
    assert {r["idle_waiting_minutes"] for r in service["rows"]} == {None}  # not kept per service
