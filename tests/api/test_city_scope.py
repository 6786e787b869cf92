"""City and county managers over HTTP (市/县/乡, a city, two counties, three townships): every managers'
read route opens the halls at or below the manager's own and refuses the others with 403
``not_authorized``; acknowledging an alert stays with the hall's own managers; the city's comparison
of halls comes grouped by county with subtotals, in the JSON and in its downloads. SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from harness.factories import PASSWORD, HallFixture
from queue_server.api import create_app
from tests.web.server import serve

DAY = "date_from=2025-03-12&date_to=2025-03-12"
# Every route a manager reads a hall by (the overview page, statistics, evaluation, supervision).
READS = (
    "overview",
    f"stats?{DAY}",
    f"stats?{DAY}&group=hall",
    f"stats?{DAY}&group=hall&format=csv",
    f"stats?{DAY}&group=service&format=xlsx",
    f"stats/heatmap?{DAY}&measure=arrivals",
    f"stats/heatmap?{DAY}&measure=wait_mean",
    f"stats/evaluation?{DAY}",
    f"stats/evaluation?{DAY}&format=csv",
    f"stats/evaluation?{DAY}&format=xlsx",
    "stats/rotation",
    "stats/qualifications",
    "alerts?state=open",
    "alerts?state=all",
    "devices/status",
)
# Who sees what: the hall signed in at and every hall below it.
REACH = {
    "city": {"city", "east", "west", "east1", "east2", "west1"},
    "east": {"east", "east1", "east2"},
    "west": {"west", "west1"},
    "east1": {"east1"},
    "east2": {"east2"},
    "west1": {"west1"},
}
COUNTS = ("issued", "visits", "served", "no_show", "transferred", "voided", "abandoned", "waiting")


@dataclass
class City:
    app: FastAPI
    client: TestClient
    halls: dict[str, HallFixture]  # city; counties east, west; townships east1, east2, west1

    def code(self, name: str) -> str:
        return self.halls[name].code

    def token(self, name: str, login: str = "manager") -> dict[str, str]:
        body = {"hall": self.code(name), "login": login, "password": PASSWORD}
        reply = self.client.post("/api/auth/token", json=body)
        assert reply.status_code == 200, reply.text
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    def get(self, who: str, where: str, path: str, login: str = "manager") -> httpx.Response:
        reply: httpx.Response = self.client.get(
            f"/api/halls/{self.code(where)}/{path}", headers=self.token(who, login)
        )
        return reply


@pytest.fixture
def city(make_hall: Callable[..., HallFixture]) -> Iterator[City]:
    top = make_hall(level="city", name="江城市政务服务中心")
    east = make_hall(level="county", parent=top.code, name="东县政务服务中心")
    west = make_hall(level="county", parent=top.code, name="西县政务服务中心")
    halls = {
        "city": top,
        "east": east,
        "west": west,
        "east1": make_hall(level="township", parent=east.code, name="东一乡便民服务中心"),
        "east2": make_hall(level="township", parent=east.code, name="东二乡便民服务中心"),
        "west1": make_hall(level="township", parent=west.code, name="西一乡便民服务中心"),
    }
    for n, hall in enumerate(halls.values(), start=1):
        for _ in range(n):  # 1 … 6 tickets: each hall's figures tell it apart
            hall.issue("A")
    app = create_app(top.settings, top.services)
    with TestClient(app) as client:
        yield City(app, client, halls)


def test_each_manager_reads_every_hall_at_or_below_theirs_and_no_other(city: City) -> None:
    opened: dict[str, set[str]] = {}
    for who in REACH:
        headers = city.token(who)
        for where in city.halls:
            codes = set()
            for path in READS:
                reply = city.client.get(f"/api/halls/{city.code(where)}/{path}", headers=headers)
                codes.add(reply.status_code)
                if reply.status_code == 403:
                    assert reply.json()["code"] == "not_authorized", (who, where, path)
            assert codes in ({200}, {403}), (who, where, codes)  # every route follows the one rule
            if codes == {200}:
                opened.setdefault(who, set()).add(where)
    assert opened == REACH


def test_what_a_lower_hall_shows_is_that_halls(city: City) -> None:
    overview = city.get("city", "east2", "overview").json()
    assert (overview["hall"], overview["totals"]["issued"]) == (city.code("east2"), 5)
    heat = city.get("east", "east1", f"stats/heatmap?{DAY}&measure=arrivals")
    assert heat.status_code == 200
    report = city.get("city", "west1", f"stats?{DAY}").json()
    assert (report["hall"], report["total"]["issued"]) == (city.code("west1"), 6)
    evaluation = city.get("west", "west1", f"stats/evaluation?{DAY}").json()
    assert evaluation["hall"] == city.code("west1")


def test_only_managers_read_lower_halls_and_a_login_never_widens_the_reach(city: City) -> None:
    # The city's clerk and administrator read no lower hall; the township's "manager" (the same login
    # as the city's) reads nothing above it.
    for login in ("zhang", "admin"):
        assert city.get("city", "east1", "overview", login).status_code == 403
        assert city.get("city", "east1", f"stats/evaluation?{DAY}", login).status_code == 403
    assert city.get("east1", "city", "overview").status_code == 403
    assert city.get("east1", "east", "alerts").status_code == 403


def test_the_hall_list_gives_each_manager_their_home_and_reach(city: City) -> None:
    names = {code: name for name, code in ((n, city.code(n)) for n in city.halls)}
    for who, reach in REACH.items():
        body = city.client.get("/api/halls", headers=city.token(who)).json()
        assert body["home"] == city.code(who)
        assert {names[c] for c in body["visible"]} == reach
    anonymous = city.client.get("/api/halls").json()
    assert (anonymous["home"], anonymous["visible"]) == (None, None)


def test_the_live_channel_opens_for_the_hall_and_the_managers_above(city: City) -> None:
    refused = [("east", "west1", "manager"), ("east1", "east", "manager"), ("city", "east1", "zhang")]
    for who, where, login in refused:
        assert city.get(who, where, "live", login).status_code == 403, (who, where, login)
    server = serve(city.app)
    try:
        for who, where, login in [
            ("city", "east1", "manager"),
            ("east", "east2", "manager"),
            ("east1", "east1", "zhang"),
        ]:
            headers = city.token(who, login)
            url = f"{server.url}/api/halls/{city.code(where)}/live"
            with httpx.stream("GET", url, headers=headers, timeout=10) as reply:
                assert reply.status_code == 200, (who, where, login)
                assert reply.headers["content-type"].startswith("text/event-stream")
                first = next(reply.iter_text())
                assert "retry:" in first
    finally:
        server.stop()


def _raise_pause_alert(hall: HallFixture) -> None:
    hall.services.pause(
        hall.code, "1", "临时离开", actor=hall.open_window("1", "zhang"), request_id=hall.rid()
    )
    hall.clock.advance(minutes=16)
    hall.services.supervision.evaluate(hall.code)


def test_alerts_of_a_township_are_read_above_and_acknowledged_by_its_own_managers(city: City) -> None:
    _raise_pause_alert(city.halls["east1"])
    [alert] = city.get("city", "east1", "alerts?state=open").json()["alerts"]
    assert alert["kind"] == "window_paused_too_long"
    assert city.get("east", "east1", "alerts?state=open").json()["alerts"] == [alert]
    url = f"/api/halls/{city.code('east1')}/alerts/{alert['id']}/acknowledge"
    for who in ("city", "east"):
        refused = city.client.post(url, json={"note": "市里看过"}, headers=city.token(who))
        assert (refused.status_code, refused.json()["code"]) == (403, "not_authorized"), who
    acked = city.client.post(url, json={"note": "已提醒"}, headers=city.token("east1")).json()
    assert (acked["acknowledged_by"], acked["note"]) == ("manager", "已提醒")
    [seen] = city.get("city", "east1", "alerts?state=open").json()["alerts"]
    assert seen["note"] == "已提醒"


def _counts(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in COUNTS}


def test_the_city_comparison_groups_halls_by_county_with_subtotals(city: City) -> None:
    body = city.get("city", "city", f"stats?{DAY}&group=hall").json()
    ids = {name: str(hall.hall_id) for name, hall in city.halls.items()}
    # The city's own hall, then each county followed by its townships.
    assert [r["key"] for r in body["rows"]] == [
        ids[n] for n in ("city", "east", "east1", "east2", "west", "west1")
    ]
    rows = {r["key"]: r for r in body["rows"]}
    subtotals = {s["label"]: s for s in body["subtotals"]}
    assert set(subtotals) == {"东县政务服务中心 小计", "西县政务服务中心 小计"}
    east, west = subtotals["东县政务服务中心 小计"], subtotals["西县政务服务中心 小计"]
    assert east["halls"] == [ids["east"], ids["east1"], ids["east2"]]
    assert west["halls"] == [ids["west"], ids["west1"]]
    for sub in (east, west):
        for k in COUNTS:
            assert sub[k] == sum(rows[key][k] for key in sub["halls"]), k
        assert sub["wait_median_s"] is None  # not derivable from the rows
    assert (east["issued"], west["issued"]) == (2 + 4 + 5, 3 + 6)
    assert body["total"]["issued"] == 21  # the city total stays the report's own
    # A county's comparison has no subtotals; neither has any other grouping of the city.
    assert city.get("east", "east", f"stats?{DAY}&group=hall").json()["subtotals"] == []
    assert city.get("city", "city", f"stats?{DAY}&group=service").json()["subtotals"] == []


def test_the_downloads_carry_the_subtotals_in_place(city: City) -> None:
    reply = city.get("city", "city", f"stats?{DAY}&group=hall&format=csv")
    lines = list(csv.reader(io.StringIO(reply.content.decode("utf-8-sig"))))
    header, body = lines[0], lines[1:]
    issued = header.index("取号数")
    labels = [line[0] for line in body]
    assert labels == [
        "江城市政务服务中心",
        "东县政务服务中心",
        "东一乡便民服务中心",
        "东二乡便民服务中心",
        "东县政务服务中心 小计",
        "西县政务服务中心",
        "西一乡便民服务中心",
        "西县政务服务中心 小计",
        "合计",
    ]
    figures = {line[0]: int(line[issued]) for line in body}
    assert figures["东县政务服务中心 小计"] == 2 + 4 + 5
    assert figures["西县政务服务中心 小计"] == 3 + 6
    assert figures["合计"] == 21
    xlsx = city.get("city", "city", f"stats?{DAY}&group=hall&format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    column = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert column == labels
