"""The window's HTTP API as a browser uses it: cookie sign-in, the console, finishing as a case,
documents, citizen page, ratings, rectification, special tickets, door-to-door visits, permissions and
the problem responses."""

from __future__ import annotations

import httpx

from tests.services.helpers import citizen_token, page_text
from tests.web.conftest import Web


def _serve(web: Web, client: httpx.Client, window: str = "1", **issue: object) -> dict[str, object]:
    ticket = web.dh.issue("A", **issue)
    base = f"/api/halls/{web.code}/windows/{window}"
    assert client.post(base + "/sign-in").status_code == 200
    assert client.post(base + "/open").status_code == 200
    assert client.post(base + "/next").status_code == 200
    assert client.post(base + "/start").status_code == 200
    return {"token": citizen_token(ticket), "number": ticket.number}


def test_console_needs_a_signed_in_person_of_the_hall(web: Web) -> None:
    url = f"/api/halls/{web.code}/windows/1/console"
    response = web.anonymous().get(url)
    assert response.status_code == 401 and response.json()["code"] == "not_authorized"
    zhang = web.login("zhang")
    zhang.post(f"/api/halls/{web.code}/windows/1/sign-in")
    view = zhang.get(url).json()
    # The staff number is opaque (the login is the pinyin of the full name): 8 digits.
    assert view["window"]["staff_id"].isdigit() and view["hall_name"] == "测试市民大厅"
    assert [t["label"] for t in view["case_types"]] == [
        "即办件",
        "承诺件",
        "联办件",
        "报批件",
        "退回件",
        "补办件",
        "特办件",
    ]
    assert web.login("li").get(url).status_code == 403


def test_the_licensing_window_refuses_staff_without_a_valid_qualification(web: Web) -> None:
    for login in ("li", "wang"):  # none, expired
        response = web.login(login).post(f"/api/halls/{web.code}/windows/2/sign-in")
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "not_eligible" and "执法资格" in body["detail"]
    assert web.login("zhao").post(f"/api/halls/{web.code}/windows/2/sign-in").status_code == 200


def test_finish_as_supplement_through_the_api_and_read_the_documents(web: Web) -> None:
    zhang = web.login("zhang")
    visit = _serve(web, zhang, matter="A01")
    body = {"case_type": "supplement", "missing_materials": ["A01-M1", "A01-M3"], "applicant_name": "李雷"}
    response = zhang.post(
        f"/api/halls/{web.code}/windows/1/finish", json=body, headers={"Idempotency-Key": "fin-1"}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    case = result["case"]
    assert [m["name"] for m in case["missing"]] == ["居民户口簿", "准予迁入证明"]
    assert result["printing"] == [
        {"document_id": case["documents"][0]["id"], "kind": "one_time_notice", "printed": False,
         "error": "该窗口未配置打印机，请打印A4文书。"}
    ]  # fmt: skip
    again = zhang.post(
        f"/api/halls/{web.code}/windows/1/finish", json=body, headers={"Idempotency-Key": "fin-1"}
    )
    assert again.json()["case"]["case_number"] == case["case_number"]
    document = case["documents"][0]
    page = zhang.get(document["url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "准予迁入证明" in page_text(page.text)
    assert web.anonymous().get(document["url"]).status_code == 401
    citizen = web.anonymous()
    own = citizen.get(f"/t/{visit['token']}/documents/{document['id']}")
    assert own.status_code == 200 and "居民户口簿" in page_text(own.text)
    stranger = web.dh.issue("A")
    assert citizen.get(f"/t/{stranger.ticket_id}/documents/{document['id']}").status_code == 404
    assert (
        zhang.get(f"/api/halls/{web.code}/cases/{case['case_number']}").json()["case_type_label"] == "补办件"
    )


def test_validation_and_state_errors_are_problems(web: Web) -> None:
    zhang = web.login("zhang")
    _serve(web, zhang, matter="A01")
    base = f"/api/halls/{web.code}/windows/1"
    unknown = zhang.post(base + "/finish", json={"case_type": "whatever"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "bad_request"
    extra = zhang.post(base + "/finish", json={"case_type": "immediate", "surprise": 1})
    assert extra.status_code == 422
    both = zhang.post(base + "/finish", json={"case_type": "immediate", "outcome": "immediate"})
    assert both.status_code == 422  # the keypad's body or the case's, not a mix
    missing = zhang.post(base + "/finish", json={"case_type": "supplement"})
    assert missing.status_code == 422 and "材料清单" in missing.json()["detail"]
    assert zhang.post(base + "/next").status_code == 409  # serving: no call now
    assert zhang.get(f"/api/halls/{web.code}/cases/NOPE-20250312-0001").status_code == 404


def test_transfer_to_a_person_and_call_by_number(web: Web) -> None:
    zhang, zhao = web.login("zhang"), web.login("zhao")
    for _ in range(2):
        web.dh.issue("A")
    zhao.post(f"/api/halls/{web.code}/windows/3/sign-in")
    zhao.post(f"/api/halls/{web.code}/windows/3/open")
    base = f"/api/halls/{web.code}/windows/1"
    zhang.post(base + "/sign-in")
    zhang.post(base + "/open")
    called = zhang.post(base + "/call", json={"number": "A002", "reason": "预约群众"})
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A002"
    moved = zhang.post(base + "/transfer", json={"to_staff": "zhao"})
    assert moved.status_code == 200 and moved.json()["window"]["status"] == "idle"
    at_three = [
        t["number"] for t in zhao.get(f"/api/halls/{web.code}/windows/3/console").json()["next_tickets"]
    ]
    at_one = [t["number"] for t in zhang.get(base + "/console").json()["next_tickets"]]
    assert (at_three, at_one) == (["A001", "A002"], ["A001"])  # A002 now waits for zhao's window only


def test_citizen_status_and_rating(web: Web) -> None:
    zhang = web.login("zhang")
    visit = _serve(web, zhang, matter="A01")
    citizen = web.anonymous()
    status = citizen.get(f"/api/citizen/{visit['token']}").json()
    assert status["state"] == "serving" and status["message"] == "正在 1 号窗口为您办理"
    zhang.post(f"/api/halls/{web.code}/windows/1/finish", json={"case_type": "immediate"})
    rated = citizen.post(f"/api/citizen/{visit['token']}/rating", json={"score": 1})
    assert rated.status_code == 200 and rated.json()["bad"] is True
    assert citizen.post(f"/api/citizen/{visit['token']}/rating", json={"score": 5}).status_code == 409
    assert citizen.post(f"/api/citizen/{visit['token']}/rating", json={"score": 7}).status_code == 422
    assert citizen.get("/api/citizen/unknown-token-xyz").status_code == 404
    assert citizen.get("/api/citizen/bad!token").status_code in (404, 422)
    manager = web.login("manager")
    items = manager.get(f"/api/halls/{web.code}/rectifications").json()
    assert items["open"] == 1 and items["items"][0]["assignee"] == "zhang"
    item = items["items"][0]["id"]
    assert (
        zhang.post(f"/api/halls/{web.code}/rectifications/{item}/assign", json={"assignee": "li"}).status_code
        == 403
    )
    close = f"/api/halls/{web.code}/rectifications/{item}/close"
    # The rated person does the work but does not close their own item: a manager does.
    assert zhang.post(close, json={"measures": "当面致歉并改进"}).status_code == 403
    key = {"Idempotency-Key": "close-1"}
    closed = manager.post(close, json={"measures": "当面致歉并改进"}, headers=key)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    # A repeat with the same key gets the same reply; a new request finds the item closed.
    assert manager.post(close, json={"measures": "当面致歉并改进"}, headers=key).json() == closed.json()
    assert manager.post(close, json={"measures": "再次关闭"}).status_code == 409
    ratings = manager.get(f"/api/halls/{web.code}/ratings").json()
    assert [(r["label"], r["source"]) for r in ratings] == [("非常不满意", "citizen_page")]
    assert zhang.get(f"/api/halls/{web.code}/ratings").status_code == 403


def test_special_tickets_door_visits_promised_lists_and_printers(web: Web) -> None:
    zhang, manager = web.login("zhang"), web.login("manager")
    url = f"/api/halls/{web.code}/tickets/special"  # what the managers' page posts
    assert zhang.post(url, json={"service": "A", "reason": "急事"}).status_code == 403
    special = manager.post(url, json={"service": "A", "reason": "抢险救灾人员"})
    assert special.status_code == 200 and special.json()["number"] == "A001"
    grants = manager.get(f"/api/halls/{web.code}/special-tickets", params={"day": "2025-03-12"}).json()
    assert [(g["number"], g["reason"], g["granted_by"]) for g in grants] == [
        ("A001", "抢险救灾人员", "值班长")
    ]
    visit = {
        "service": "A", "applicant_name": "刘奶奶", "phone": "13800001111", "address": "南城路12号",
        "start": "2025-03-13T09:00:00+08:00", "end": "2025-03-13T10:00:00+08:00",
    }  # fmt: skip
    booked = zhang.post(f"/api/halls/{web.code}/door-visits", json=visit)
    assert booked.status_code == 200, booked.text
    naive = zhang.post(f"/api/halls/{web.code}/door-visits", json={**visit, "start": "2025-03-13T09:00:00"})
    assert naive.status_code == 422
    recorded = zhang.post(
        f"/api/halls/{web.code}/door-visits/{booked.json()['id']}/record", json={"case_type": "approval"}
    )
    assert recorded.status_code == 200 and recorded.json()["case"]["case_type_label"] == "报批件"
    promised = zhang.get(f"/api/halls/{web.code}/cases/promised").json()
    assert [c["case_type_label"] for d in promised["departments"] for c in d["pending"] + d["due"]] == [
        "报批件"
    ]
    # Window printers are settings: administrators only (tests/api/test_rights.py has the allow-list).
    admin = web.login("admin")
    printer = {"transport": {"kind": "network", "host": "127.0.0.1"}, "width_mm": 80}
    assert zhang.put(f"/api/halls/{web.code}/windows/1/printer", json=printer).status_code == 403
    assert manager.put(f"/api/halls/{web.code}/windows/1/printer", json=printer).status_code == 403
    assert admin.put(f"/api/halls/{web.code}/windows/1/printer", json=printer).status_code == 200
    assert zhang.get(f"/api/halls/{web.code}/windows/1/printer").json()["transport"]["host"] == "127.0.0.1"
    assert admin.delete(f"/api/halls/{web.code}/windows/1/printer").status_code == 204
    assert zhang.get(f"/api/halls/{web.code}/windows/1/printer").status_code == 404


def test_pages_and_their_static_files_are_served_locally(web: Web) -> None:
    client = web.anonymous()
    console = client.get("/console")
    assert console.status_code == 200 and f'data-hall="{web.dh.hall.settings.hall}"' in console.text
    assert (
        '<script src="/static/window/console.js' in console.text
        and "http" not in console.text.split("<body")[1]
    )
    assert 'data-hall="other-hall"' in client.get("/console", params={"hall": "other-hall"}).text
    assert client.get("/console", params={"hall": "<x>"}).status_code == 422
    assert "承诺件" in client.get("/console/manage").text
    page = client.get("/t/abcdEFGH1234")
    assert page.status_code == 200 and 'data-token="abcdEFGH1234"' in page.text
    for name, kind in (
        ("console.js", "text/javascript"),
        ("common.css", "text/css"),
        ("citizen.js", "text/javascript"),
    ):
        response = client.get(f"/static/window/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
    assert client.get("/static/window/nothing.js").status_code == 404
    assert client.get("/static/window/..%2F..%2Fpages.py").status_code == 404
    assert client.get("/static/window/console.html").status_code == 404


def test_the_openapi_document_lists_the_window_routes(web: Web) -> None:
    paths = web.app.openapi()["paths"]
    for path in (
        "/api/halls/{hall}/windows/{window}/finish",
        "/api/halls/{hall}/cases/promised",
        "/api/citizen/{token}/rating",
        "/api/halls/{hall}/rectifications/{item}/close",
        "/api/halls/{hall}/door-visits",
        "/api/halls/{hall}/special-tickets",
        "/api/halls/{hall}/live",
    ):
        assert path in paths, path
    assert "/console" not in paths  # pages stay out of the API description
