"""The city's ingest over real HTTP: a batch is applied once however often it arrives, in whatever
order; a batch that cannot be applied writes nothing; only the hall's own credential is taken."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from harness.factories import PASSWORD, HallFixture
from queue_server.city.batch import read_batch, table
from queue_server.city.credential import PURPOSE, make_credential
from queue_server.city.generations import current_generation, revoke
from queue_server.city.shipper import INGEST_PATH, CityClient, CityLinkError, make_shipper
from tests.city.conftest import City
from tests.city.test_outage_day import _figures
from tests.stats.test_fixed_day import _play_the_day


def _city_rows(city: City, name: str) -> int:
    t = table(name)
    with city.hall.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(t.c.hall_id == city.hall.hall_id)).scalar_one())


@pytest.fixture
def played(appliance: HallFixture, city: City) -> HallFixture:
    _play_the_day(appliance)
    city.hall.clock.set(appliance.clock())
    city.start()
    return appliance


def test_a_batch_delivered_twice_and_resent_after_a_lost_ack_is_applied_once(
    played: HallFixture, city: City, credential_file: Path
) -> None:
    batch = read_batch(played.engine, played.code, 10_000)
    assert batch is not None
    client = CityClient(city.url, credential_file.read_text().strip())
    first = client.post(batch.payload())
    assert first["applied"] == len(batch.rows) and first["seq"] == batch.last
    # The shipper died after the city's commit, before its own acknowledgement: the same positions come
    # again (the same batch, then a fresh read of them by a restarted shipper).
    again = client.post(batch.payload())
    assert again == {"seq": batch.last, "applied": 0, "skipped": len(batch.rows)}
    shipper = make_shipper(played.engine, played.code, city.url, credential_file)
    assert shipper.drain() == batch.count
    assert _city_rows(city, "ticket") == 7 and _city_rows(city, "rating") == 1
    assert _figures(city.hall) == _figures(played)


def test_a_stale_batch_after_a_newer_one_changes_nothing(
    played: HallFixture, city: City, credential_file: Path
) -> None:
    stale = read_batch(played.engine, played.code, 20)  # the morning's first changes, as then
    assert stale is not None
    make_shipper(played.engine, played.code, city.url, credential_file).drain()
    answer = CityClient(city.url, credential_file.read_text().strip()).post(stale.payload())
    assert answer["applied"] == 0
    assert _figures(city.hall) == _figures(played)


def test_a_batch_that_cannot_be_applied_writes_nothing_and_stays_on_the_hall(
    played: HallFixture, city: City, credential_file: Path
) -> None:
    batch = read_batch(played.engine, played.code, 10_000)
    assert batch is not None
    payload: dict[str, Any] = batch.payload()
    # The last ticket of the batch names a window the city's copy of the hall file does not have.
    tickets = [row for row in payload["rows"] if row["t"] == "ticket" and row["v"]["window_id"]]
    tickets[-1]["v"]["window_id"] = "99"
    client = CityClient(city.url, credential_file.read_text().strip())
    with pytest.raises(CityLinkError) as refused:
        client.post(payload)
    assert refused.value.status == 409 and "window" in str(refused.value)
    assert _city_rows(city, "ticket") == 0 and _city_rows(city, "event") == 0  # the earlier rows too
    tickets[-1]["v"]["window_id"] = "4"
    tickets[-1]["v"]["issued_at"] = "not a time"  # a value of the wrong kind: 422, nothing written
    with pytest.raises(CityLinkError) as malformed:
        client.post(payload)
    assert malformed.value.status == 422 and _city_rows(city, "ticket") == 0
    shipper = make_shipper(played.engine, played.code, city.url, credential_file)
    assert shipper.drain() == batch.count  # nothing was acknowledged: all of it goes now
    assert _figures(city.hall) == _figures(played)


def test_only_the_halls_own_credential_is_taken(played: HallFixture, city: City) -> None:
    batch = read_batch(played.engine, played.code, 50)
    assert batch is not None
    key = city.hall.settings.derive_key(PURPOSE)
    other = city.others[0].code
    url = city.url + INGEST_PATH

    def post(authorization: str | None) -> httpx.Response:
        headers = {} if authorization is None else {"Authorization": authorization}
        return httpx.post(url, json=batch.payload(), headers=headers, timeout=30)

    assert post(None).status_code == 401
    assert post(f"Bearer {played.code}.forged").status_code == 401
    assert post(f"Bearer {make_credential(b'x' * 32, played.code)}").status_code == 401  # another key
    refused = post(f"Bearer {make_credential(key, other)}")  # a real credential, of another hall
    assert refused.status_code == 403 and refused.json()["code"] == "not_authorized"
    staff = httpx.post(
        city.url + "/api/auth/token", json={"hall": played.code, "login": "manager", "password": PASSWORD}
    ).json()["access_token"]
    assert post(f"Bearer {staff}").status_code == 401  # a person's token is no hall credential
    assert _city_rows(city, "ticket") == 0
    assert post(f"Bearer {make_credential(key, played.code)}").status_code == 200
    assert _city_rows(city, "ticket") > 0


def test_a_revoked_credential_is_refused_and_the_new_one_taken(played: HallFixture, city: City) -> None:
    batch = read_batch(played.engine, played.code, 50)
    assert batch is not None
    key = city.hall.settings.derive_key(PURPOSE)

    def post(credential: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {credential}"}
        return httpx.post(city.url + INGEST_PATH, json=batch.payload(), headers=headers, timeout=30)

    old = make_credential(key, played.code)
    with city.hall.engine.begin() as conn:
        assert revoke(conn, played.code, datetime.now(UTC)) == 1
        assert revoke(conn, "no-such-hall", datetime.now(UTC)) is None
        others = [current_generation(conn, h.code) for h in city.others]
    assert others == [0, 0]  # the other halls' credentials go on
    refused = post(old)
    assert refused.status_code == 401 and "吊销" in refused.json()["detail"]
    assert _city_rows(city, "ticket") == 0
    assert post(make_credential(key, played.code, 1)).status_code == 200
    assert _city_rows(city, "ticket") > 0


def test_the_shipper_takes_the_new_credential_written_after_a_revocation(
    played: HallFixture, city: City, credential_file: Path
) -> None:
    shipper = make_shipper(played.engine, played.code, city.url, credential_file, batch_size=50)
    with city.hall.engine.begin() as conn:
        generation = revoke(conn, played.code, datetime.now(UTC))
    assert generation is not None
    with pytest.raises(CityLinkError) as refused:  # the file still holds the revoked one
        shipper.ship_once()
    assert refused.value.status == 401
    key = city.hall.settings.derive_key(PURPOSE)
    credential_file.write_text(make_credential(key, played.code, generation) + "\n")
    assert shipper.drain() > 0  # refused once more, the file read again, taken: no restart
    assert _figures(city.hall) == _figures(played)


def test_the_link_status_shows_the_lag_to_managers_only(
    played: HallFixture, city: City, credential_file: Path
) -> None:
    anonymous = httpx.get(f"{city.url}/api/halls/{played.code}/city")
    assert anonymous.status_code == 401
    make_shipper(played.engine, played.code, city.url, credential_file).drain()
    with httpx.Client(base_url=city.url, timeout=30) as client:
        login = {"hall": played.code, "login": "manager", "password": PASSWORD}
        assert client.post("/api/auth/token", json=login).status_code == 200
        seen = client.get(f"/api/halls/{played.code}/city").json()
    assert seen["received_seq"] > 0 and seen["received_rows"] > 0 and seen["received_at"] is not None
    assert seen["shipping"] is False and seen["pending"] == 0  # the city ships nothing itself
