"""The public booking calls over real HTTP: the three refusals found in the issue, the resident ID
hashed at once and never stored or logged, code and QR, find / cancel / reschedule, 429 per address,
and the page itself (relative URLs only)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select

from devices.privacy import id_hash
from queue_server.domain.idcard import check_character
from queue_server.services.queue.booking_facade import REQUESTS_PER_ADDRESS
from queue_server.store.tables import Appointment, Event, RequestLog
from tests.web.conftest import Web

FIRST17 = "11010519491231002"
ID_NUMBER = FIRST17 + check_character(FIRST17)
OTHER17 = "44030519800101123"
OTHER_ID = OTHER17 + check_character(OTHER17)


def _slot(day: int, hour: int, minute: int = 0, minutes: int = 30) -> dict[str, str]:
    end_minute = hour * 60 + minute + minutes
    return {
        "slot_start": f"2025-03-{day:02d}T{hour:02d}:{minute:02d}:00+08:00",
        "slot_end": f"2025-03-{day:02d}T{end_minute // 60:02d}:{end_minute % 60:02d}:00+08:00",
    }


def _book(client: httpx.Client, web: Web, **body: Any) -> httpx.Response:
    form = {"service": "A", "id_number": ID_NUMBER, "phone": "13812345678", "name": "张三", **body}
    return client.post(
        f"/api/halls/{web.code}/appointments",
        json=form,
        headers={"Idempotency-Key": httpx.__name__ + str(body)},
    )


def test_the_three_refusals_of_the_unauthenticated_call(web: Web) -> None:
    c = web.anonymous()
    sunday = _book(c, web, **_slot(16, 3))  # Sunday 03:00: service A takes no rest-day bookings
    assert (sunday.status_code, sunday.json()["data"]["reason"]) == (409, "slot_closed")
    year = {"slot_start": "2025-03-13T09:00:00+08:00", "slot_end": "2026-03-13T09:00:00+08:00"}
    one_year = _book(c, web, **year)
    assert (one_year.status_code, one_year.json()["data"]["reason"]) == (409, "slot_closed")
    for day in (13, 14, 17):
        assert _book(c, web, **_slot(day, 9)).status_code == 200
    fourth = _book(c, web, **_slot(18, 9))
    assert (fourth.status_code, fourth.json()["data"]["reason"]) == (429, "id_open_limit")
    assert "预约" in fourth.json()["detail"]
    no_id = c.post(f"/api/halls/{web.code}/appointments", json={"service": "A", **_slot(19, 9)})
    assert no_id.status_code == 422


def test_the_resident_id_is_hashed_at_once_and_never_kept(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    c = web.anonymous()
    with caplog.at_level(logging.DEBUG):
        booked = _book(c, web, **_slot(13, 9), matter="A01")
        wrong = _book(
            c, web, **_slot(14, 9), id_number=FIRST17 + ("0" if check_character(FIRST17) != "0" else "1")
        )
    assert booked.status_code == 200, booked.text
    assert wrong.status_code == 422 and FIRST17 not in wrong.text
    view = booked.json()
    assert view["qr_payload"] == "YY" + view["code"] and view["qr_svg"].startswith("<svg")
    hall = web.dh.hall
    with Session(hall.engine) as s:
        row = s.exec(select(Appointment).where(Appointment.hall_id == hall.hall_id)).one()
        stored = [repr(r) for r in s.exec(select(Event).where(Event.hall_id == hall.hall_id))]
        stored += [repr(r) for r in s.exec(select(RequestLog))]
    assert row.id_hash == id_hash(ID_NUMBER, hall.settings.derive_key("id-hash"))  # the kiosks' key
    assert ID_NUMBER not in repr(row) and not any(ID_NUMBER in text for text in stored)
    assert ID_NUMBER not in caplog.text and FIRST17 not in caplog.text


def test_find_cancel_and_reschedule_by_code_and_id(web: Web) -> None:
    c = web.anonymous()
    base = f"/api/halls/{web.code}/appointments"
    code = _book(c, web, **_slot(13, 9)).json()["code"]
    assert c.post(f"{base}/find", json={"code": "YY" + code, "id_number": OTHER_ID}).status_code == 404
    found = c.post(f"{base}/find", json={"code": "YY" + code, "id_number": ID_NUMBER})
    assert found.json()["state"] == "booked"
    moved = c.post(
        f"{base}/reschedule",
        json={"code": code, "id_number": ID_NUMBER, **_slot(14, 10)},
        headers={"Idempotency-Key": "move-1"},
    )
    assert moved.status_code == 200, moved.text
    assert (
        moved.json()["code"] == code
        and moved.json()["slot_start"] == found.json()["slot_start"] + 86400 + 3600
    )
    cancelled = c.post(
        f"{base}/cancel", json={"code": code, "id_number": ID_NUMBER}, headers={"Idempotency-Key": "c-1"}
    )
    assert cancelled.json()["state"] == "cancelled"
    slots = c.get(f"{base}/slots", params={"service": "A", "from": "2025-03-13", "days": 3}).json()
    assert [d["day"] for d in slots["days"]] == ["2025-03-13", "2025-03-14", "2025-03-15"]
    assert c.get(f"{base}/services").json() == ["A", "B", "C"]


def test_too_many_requests_from_one_address_get_429(web: Web) -> None:
    c = web.anonymous()
    base = f"/api/halls/{web.code}/appointments"
    answers = [
        c.post(f"{base}/find", json={"code": "12345678", "id_number": ID_NUMBER}).status_code
        for _ in range(REQUESTS_PER_ADDRESS + 1)
    ]
    assert answers == [404] * REQUESTS_PER_ADDRESS + [429]
    refused = c.post(f"{base}/find", json={"code": "12345678", "id_number": ID_NUMBER})
    assert refused.json()["code"] == "too_many_requests" and int(refused.headers.get("Retry-After", "1")) >= 1


def test_the_booking_page_uses_relative_urls_only(web: Web) -> None:
    page = web.anonymous().get("/book", params={"hall": web.code})
    assert page.status_code == 200 and 'data-hall="' + web.code + '"' in page.text
    assert 'href="/' not in page.text and 'src="/' not in page.text and "http://" not in page.text
    script = web.anonymous().get("/static/window/booking.js").text
    assert '"/api' not in script and 'localStorage.setItem("hallq-large"' in script
