"""Pages captured at the kiosk over HTTP: the upload's limits (size, type by the bytes, the ticket's
matter), who may see a page (the serving window, managers, the citizen by token; not another window,
not another ticket), the wrong-page mark reaching the one-time notice, and retention deleting pages."""

from __future__ import annotations

import logging
from functools import cache

import httpx
import pytest
from sqlmodel import Session, select

from devices.camera import process, sample_page
from queue_server.store.tables.materials import MaterialImage, MaterialImageData
from tests.api.conftest import Api
from tests.services.helpers import citizen_token, page_text

JPEG = "image/jpeg"


@cache
def jpeg_page(seed: int = 1) -> bytes:
    """A page as the kiosk sends it: a camera frame de-skewed and encoded under 300 KB."""
    return process(sample_page(seed), 300_000).jpeg


def upload(
    api: Api, token: str, material: str, page: int = 1, body: bytes | None = None, media: str = JPEG
) -> httpx.Response:
    reply: httpx.Response = api.client.post(
        f"/api/materials/{token}",
        params={"material": material, "page": page},
        content=jpeg_page() if body is None else body,
        headers={"Content-Type": media},
    )
    return reply


def issue_with_pages(api: Api) -> tuple[str, list[int]]:
    """A kiosk ticket for 户口迁移 (A01) and two uploaded pages: its token and the pages' ids."""
    token = citizen_token(api.hall.issue("A", matter="A01", materials=["A01-M1", "A01-M2"]))
    ids = []
    for material, seed in (("A01-M1", 1), ("A01-M2", 2)):
        reply = upload(api, token, material, body=jpeg_page(seed))
        assert reply.status_code == 200, reply.text
        ids.append(reply.json()["id"])
    return token, ids


def test_upload_checks_size_type_and_ticket(api: Api) -> None:
    token = citizen_token(api.hall.issue("A", matter="A01"))
    page = jpeg_page()
    ok = upload(api, token, "A01-M1")
    assert ok.status_code == 200
    assert ok.json() | {"id": 0, "uploaded_at": ""} == {
        "id": 0, "material": "A01-M1", "material_name": "居民户口簿", "page": 1,
        "content_type": JPEG, "size": len(page), "uploaded_at": "", "wrong_reason": None,
    }  # fmt: skip
    too_big = upload(api, token, "A01-M1", body=page + b"\0" * (api.hall.settings.material_image_max_bytes))
    assert too_big.status_code == 413
    # The type is what the bytes say: a PNG declared as JPEG, text declared as JPEG, a cut-off JPEG.
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    for body, media in ((png, JPEG), (b"hello, not a picture", JPEG), (page[: len(page) // 2], JPEG)):
        refused = upload(api, token, "A01-M2", body=body, media=media)
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "bad_request"
    assert upload(api, token, "B01-M1").status_code == 422  # not a material of this ticket's matter
    assert upload(api, "no-such-ticket-token", "A01-M1").status_code == 404
    assert upload(api, token, "A01-M1", page=99).status_code == 422
    retake = upload(api, token, "A01-M1", body=jpeg_page(2))  # the same page again replaces it
    assert retake.json()["id"] == ok.json()["id"]
    mine = api.client.get(f"/api/materials/{token}").json()
    assert [(p["material"], p["page"]) for p in mine["pages"]] == [("A01-M1", 1)]
    assert api.client.get(f"/api/materials/{token}/{ok.json()['id']}").content == jpeg_page(2)


def test_only_the_serving_window_managers_and_the_citizen_see_the_pages(api: Api) -> None:
    hall = api.hall
    token, (first, second) = issue_with_pages(api)
    other_token = citizen_token(hall.issue("A", matter="A01"))
    image = f"{api.base}/materials/{first}"
    zhang = api.token("zhang")
    before = api.client.get(image, headers=zhang)
    assert before.status_code == 403  # not yet called to any window

    hall.open_window("1", "zhang")
    hall.open_window("4", "zhao")
    hall.services.call_next(hall.code, "1", actor=hall.staff("zhang"), request_id=hall.rid())
    at_window = api.client.get(f"{api.base}/windows/1/materials", headers=zhang).json()
    assert [(p["id"], p["material_name"]) for p in at_window["pages"]] == [
        (first, "居民户口簿"), (second, "居民身份证"),
    ]  # fmt: skip
    seen = api.client.get(image, headers=zhang)
    assert seen.status_code == 200 and seen.content == jpeg_page(1)
    assert seen.headers["content-type"] == JPEG and "no-store" in seen.headers["cache-control"]

    zhao = api.token("zhao")
    assert api.client.get(image, headers=zhao).status_code == 403  # another window
    assert api.client.get(f"{api.base}/windows/1/materials", headers=zhao).status_code == 403
    manager = api.token("manager")
    assert api.client.get(image, headers=manager).status_code == 200
    assert api.client.get(image).status_code == 401

    assert api.client.get(f"/api/materials/{token}/{first}").content == jpeg_page(1)
    assert api.client.get(f"/api/materials/{other_token}/{first}").status_code == 404  # not their page
    assert (
        api.client.post(f"{api.base}/materials/{first}/wrong", json={"reason": "x"}, headers=zhao).status_code
        == 403
    )


def test_a_page_marked_wrong_is_named_in_the_one_time_notice(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hall = api.hall
    token, (_, second) = issue_with_pages(api)
    zhang = api.token("zhang")
    hall.open_window("1", "zhang")
    hall.services.call_next(hall.code, "1", actor=hall.staff("zhang"), request_id=hall.rid())
    hall.services.start(hall.code, "1", actor=hall.staff("zhang"), request_id=hall.rid())
    marked = api.client.post(
        f"{api.base}/materials/{second}/wrong", json={"reason": "复印不清晰"}, headers=zhang
    )
    assert marked.status_code == 200 and marked.json()["wrong_reason"] == "复印不清晰"
    # 补办件 with no material ticked as missing: the wrong page's material is missing all the same.
    finished = api.client.post(
        f"{api.base}/windows/1/finish", json={"case_type": "supplement"}, headers=zhang
    )
    assert finished.status_code == 200, finished.text
    case = finished.json()["case"]
    assert [m["name"] for m in case["missing"]] == ["居民身份证"]
    notice = next(d for d in case["documents"] if d["kind"] == "one_time_notice")
    text = page_text(hall.services.document_page(hall.code, notice["id"]))
    assert "居民身份证第1页：复印不清晰" in text
    with Session(hall.engine) as session:
        rows = session.exec(select(MaterialImage).where(MaterialImage.hall_id == hall.hall_id)).all()
        assert {r.case_id for r in rows} != {None}  # attached to the case the visit became
    # Nothing of a page in the logs: neither its bytes nor any part of them.
    assert all(jpeg_page(2)[:16] not in r.getMessage().encode("latin-1", "replace") for r in caplog.records)
    assert api.client.get(f"/api/materials/{token}").json()["pages"][1]["wrong_reason"] == "复印不清晰"


def test_retention_deletes_pages_after_their_days(api: Api) -> None:
    hall = api.hall
    _, ids = issue_with_pages(api)
    keep_days = hall.settings.material_image_days
    hall.clock.advance(days=keep_days - 1)
    assert hall.services.purge_personal_data(hall.code).material_images == 0
    hall.clock.advance(days=2)
    assert hall.services.purge_personal_data(hall.code).material_images == 2
    with Session(hall.engine) as session:
        assert [session.get(MaterialImage, i) for i in ids] == [None, None]
        assert [session.get(MaterialImageData, i) for i in ids] == [None, None]
