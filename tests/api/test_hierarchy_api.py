"""Managers at each level of a city (市/县/乡) over HTTP: which halls they see, the comparison of halls
and its roll-up, and the halls beside or above them refused. SQLite and PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import Session

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from harness.factories import PASSWORD, HallFixture, password_hash
from queue_server.api import create_app
from queue_server.store import tables as t

DAY = "date_from=2025-03-12&date_to=2025-03-12"
COUNTS = ("issued", "visits", "served", "no_show", "waiting", "abandoned", "transferred")


@dataclass
class City:
    """A city hall, its counties east and west, and a township under east; a manager at each."""

    client: TestClient
    halls: dict[str, HallFixture]  # by role in the city: city, east, west, town

    def code(self, name: str) -> str:
        return self.halls[name].code

    def token(self, name: str, login: str | None = None) -> dict[str, str]:
        hall = self.halls[name]
        body = {"hall": hall.code, "login": login or f"boss-{hall.code}", "password": PASSWORD}
        reply = self.client.post("/api/auth/token", json=body)
        assert reply.status_code == 200, reply.text
        self.client.cookies.clear()
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    def stats(self, who: str, where: str, group: str = "hall") -> Any:
        url = f"/api/halls/{self.code(where)}/stats?{DAY}&group={group}"
        reply = self.client.get(url, headers=self.token(who))
        assert reply.status_code == 200, reply.text
        return reply.json()


def _add_manager(hall: HallFixture) -> None:
    """A manager whose login is this hall's alone (``manager`` exists in every test hall)."""
    with Session(hall.engine) as session, session.begin():
        session.add(
            t.Staff(
                hall_id=hall.hall_id, login=f"boss-{hall.code}", name="主任", role="manager",
                password_hash=password_hash(),
            )
        )  # fmt: skip


@pytest.fixture
def city(make_hall: Callable[..., HallFixture]) -> Iterator[City]:
    top = make_hall(level="city")
    east = make_hall(level="county", parent=top.code)
    west = make_hall(level="county", parent=top.code)
    town = make_hall(level="township", parent=east.code)
    halls = {"city": top, "east": east, "west": west, "town": town}
    for n, hall in enumerate(halls.values(), start=1):
        _add_manager(hall)
        for _ in range(n):  # 1, 2, 3, 4 tickets: each hall's figures tell it apart
            hall.issue("A")
    with TestClient(create_app(top.settings, top.services)) as client:
        yield City(client, halls)


def test_the_hall_list_shows_the_tree_and_each_managers_reach(city: City) -> None:
    c, code = city.client, city.code
    anonymous = c.get("/api/halls").json()
    entries = {h["code"]: h for h in anonymous["halls"]}
    assert anonymous["visible"] is None
    assert (entries[code("east")]["level"], entries[code("east")]["parent"]) == ("county", code("city"))
    assert (entries[code("town")]["level"], entries[code("town")]["parent"]) == ("township", code("east"))
    assert entries[code("city")]["parent"] is None
    reach = {who: c.get("/api/halls", headers=city.token(who)).json()["visible"] for who in city.halls}
    assert reach["city"] == sorted(code(n) for n in ("city", "east", "west", "town"))
    assert reach["east"] == sorted([code("east"), code("town")])
    assert reach["west"] == [code("west")]
    assert reach["town"] == [code("town")]
    clerk = c.get("/api/halls", headers=city.token("city", "zhang")).json()
    assert clerk["visible"] is None  # not a manager
    assert c.get(f"/api/halls/{code('east')}").json()["parent"] == code("city")


def test_the_comparison_covers_the_halls_below_and_rolls_them_up(city: City) -> None:
    ids = {name: str(hall.hall_id) for name, hall in city.halls.items()}
    own = {name: city.stats(name, name, "service")["total"] for name in city.halls}
    assert [own[n]["issued"] for n in ("city", "east", "west", "town")] == [1, 2, 3, 4]
    seen = {}
    for who in city.halls:
        body = city.stats(who, who)
        rows = {r["key"]: r for r in body["rows"]}
        seen[who] = {name for name, hall_id in ids.items() if hall_id in rows}
        for name in seen[who]:
            # A hall's row is its own report (the figures a row carries: some are the total's alone).
            row = {k: v for k, v in rows[ids[name]].items() if k not in ("key", "label") and v is not None}
            assert len(row) > len(COUNTS) and row == {k: own[name][k] for k in row}, name
        for k in COUNTS:  # the roll-up (total) is the sum of the halls' own reports
            assert body["total"][k] == sum(own[name][k] for name in seen[who]), k
    assert seen == {
        "city": {"city", "east", "west", "town"},
        "east": {"east", "town"},
        "west": {"west"},
        "town": {"town"},
    }
    assert city.stats("city", "city")["total"]["issued"] == 10


def test_a_manager_opens_the_halls_below_and_no_other(city: City) -> None:
    c, code = city.client, city.code
    assert city.stats("city", "town", "service")["total"]["issued"] == 4  # the city reads a township
    assert city.stats("east", "town", "service")["total"]["issued"] == 4
    overview = c.get(f"/api/halls/{code('town')}/overview", headers=city.token("city"))
    assert overview.status_code == 200 and overview.json()["hall"] == code("town")
    refused = [
        ("east", "west"),  # a sibling county
        ("east", "city"),  # the hall above
        ("town", "east"),
        ("west", "town"),  # a township of another county
    ]
    for who, where in refused:
        for path in (f"stats?{DAY}&group=hall", f"stats?{DAY}", "overview"):
            reply = c.get(f"/api/halls/{code(where)}/{path}", headers=city.token(who))
            assert reply.status_code == 403, (who, where, path)
            assert reply.json()["code"] == "not_authorized"
    # Not a manager: no hall's reports, not even below their own; other routes keep their own hall.
    clerk = city.token("city", "zhang")
    assert c.get(f"/api/halls/{code('town')}/stats?{DAY}", headers=clerk).status_code == 403
    assert c.get(f"/api/halls/{code('city')}/stats?{DAY}", headers=clerk).status_code == 403
    # Every managers' read follows the same rule (tests/api/test_city_scope.py goes through them all).
    heatmap = f"/api/halls/{code('town')}/stats/heatmap?{DAY}&measure=arrivals"
    assert c.get(heatmap, headers=city.token("city")).status_code == 200
    assert c.get(heatmap, headers=city.token("west")).status_code == 403
