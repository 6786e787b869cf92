"""The casework routes a keypad-finished visit goes through afterwards (details, a co-department's
part, closing, printing a document), a rating entered at the window, a rectification note, and the
day's door-to-door visits with a cancellation."""

from __future__ import annotations

import httpx

from tests.services.helpers import citizen_token
from tests.web.conftest import Web


def _serve_at_window_2(web: Web, zhang: httpx.Client) -> str:
    """The visit's citizen token (the QR code's; the console shows only the public id)."""
    token = citizen_token(web.dh.issue("B", matter="B01"))
    base = f"/api/halls/{web.code}/windows/2"
    for action in ("sign-in", "open", "next", "start"):
        assert zhang.post(f"{base}/{action}").status_code == 200, action
    return token


def test_a_keypad_finished_joint_case_gets_its_details_its_part_done_and_is_closed(web: Web) -> None:
    zhang, li = web.login("zhang"), web.login("li")
    _serve_at_window_2(web, zhang)
    hall = f"/api/halls/{web.code}"
    finished = zhang.post(f"{hall}/windows/2/finish", json={"outcome": "joint"})
    assert finished.status_code == 200 and finished.json()["window"]["status"] == "idle"
    number = finished.json()["ticket"]["case_number"]
    assert zhang.get(f"{hall}/cases/{number}").json()["has_details"] is False

    details = {"case_type": "joint", "co_departments": ["civil"]}
    key = {"Idempotency-Key": "details-1"}
    view = zhang.post(f"{hall}/cases/{number}/details", json=details, headers=key)
    assert view.status_code == 200, view.text
    assert [(p["department"], p["state"]) for p in view.json()["parts"]] == [("civil", "pending")]
    assert zhang.post(f"{hall}/cases/{number}/details", json=details, headers=key).json() == view.json()
    assert zhang.post(f"{hall}/cases/{number}/close", json={"result": ""}).status_code == 409  # a part open

    assert li.post(f"{hall}/windows/1/sign-in").status_code == 200  # 民政局's window: its part
    done = li.post(f"{hall}/cases/{number}/parts/civil/done", json={"note": "已出具意见"})
    assert done.status_code == 200
    assert [(p["state"], p["done_by"], p["note"]) for p in done.json()["parts"]] == [
        ("done", "李四", "已出具意见")
    ]
    closed = zhang.post(f"{hall}/cases/{number}/close", json={"result": "已核发营业执照"})
    assert closed.status_code == 200
    assert (closed.json()["due_state"], closed.json()["result"]) == ("closed", "已核发营业执照")

    document = closed.json()["documents"][0]
    printed = zhang.post(f"{hall}/documents/{document['id']}/print")
    assert printed.status_code == 200
    assert printed.json() == {
        "document_id": document["id"], "kind": document["kind"], "printed": False,
        "error": "该窗口未配置打印机，请打印A4文书。",
    }  # fmt: skip


def test_a_rating_entered_at_the_window_counts_once_per_id(web: Web) -> None:
    zhang, manager = web.login("zhang"), web.login("manager")
    _serve_at_window_2(web, zhang)
    hall = f"/api/halls/{web.code}"
    zhang.post(f"{hall}/windows/2/finish", json={"case_type": "immediate"})
    rate = f"{hall}/windows/2/rating"
    # Not by the person who served the visit (tests/api/test_rights.py): the duty manager keys it in.
    assert zhang.post(rate, json={"score": 5, "id": "pad-0"}).status_code == 403
    first = manager.post(rate, json={"score": 5, "id": "pad-1"})
    assert first.status_code == 200, first.text
    assert manager.post(rate, json={"score": 5, "id": "pad-1"}).json() == first.json()
    assert manager.post(rate, json={"score": 9, "id": "pad-2"}).status_code == 422
    ratings = manager.get(f"{hall}/ratings").json()
    assert [(r["window"], r["score"], r["bad"]) for r in ratings] == [("2", 5, False)]


def test_a_rectification_item_gets_a_note(web: Web) -> None:
    zhang, manager = web.login("zhang"), web.login("manager")
    ticket = _serve_at_window_2(web, zhang)
    hall = f"/api/halls/{web.code}"
    zhang.post(f"{hall}/windows/2/finish", json={"case_type": "immediate"})
    assert web.anonymous().post(f"/api/citizen/{ticket}/rating", json={"score": 1}).json()["bad"] is True
    item = manager.get(f"{hall}/rectifications").json()["items"][0]
    noted = zhang.post(f"{hall}/rectifications/{item['id']}/notes", json={"text": "已约谈，调整窗口引导"})
    assert noted.status_code == 200, noted.text
    assert noted.json()["steps"][-1]["text"] == "已约谈，调整窗口引导"
    assert noted.json()["state"] == "in_progress"  # a step taken: no longer untouched


def test_the_days_door_visits_and_a_cancellation(web: Web) -> None:
    zhang = web.login("zhang")
    url = f"/api/halls/{web.code}/door-visits"
    visit = {
        "service": "A", "applicant_name": "刘奶奶", "phone": "13800001111", "address": "南城路12号",
        "start": "2025-03-13T09:00:00+08:00", "end": "2025-03-13T10:00:00+08:00",
    }  # fmt: skip
    booked = zhang.post(url, json=visit).json()
    assert [v["id"] for v in zhang.get(url, params={"day": "2025-03-13"}).json()] == [booked["id"]]
    assert zhang.get(url, params={"day": "2025-03-12"}).json() == []
    cancelled = zhang.post(f"{url}/{booked['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state_label"] == "已取消"
