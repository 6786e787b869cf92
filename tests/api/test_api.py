"""The HTTP door: sign-in and roles (401/403), staff limited to their window, RFC 7807 problems,
a counter's whole day through HTTP, and an OpenAPI document that names every model."""

from __future__ import annotations

from typing import Any

from harness.factories import PASSWORD
from tests.api.conftest import Api

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "data"}


def _problem(reply: Any, status: int, code: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = reply.json()
    assert set(body) == PROBLEM_KEYS
    assert (body["status"], body["code"], body["type"]) == (status, code, f"urn:hallq:problem:{code}")
    assert body["title"] and body["detail"]
    return body


def test_authentication_and_roles(api: Api) -> None:
    c, base = api.client, api.base
    unauth = _problem(c.get(f"{base}/stats?date_from=2025-03-12&date_to=2025-03-12"), 401, "not_authorized")
    assert unauth["detail"] == "请先登录。"
    assert c.get(f"{base}/stats", headers={"Authorization": "Bearer forged.token"}).status_code == 401
    wrong = c.post("/api/auth/token", json={"hall": api.hall.code, "login": "zhang", "password": "nope"})
    assert _problem(wrong, 401, "not_authorized")["detail"] == "用户名或密码错误。"
    assert wrong.headers["www-authenticate"] == "Bearer"

    staff = api.token("zhang")
    me = c.get("/api/auth/me", headers=staff).json()
    assert (me["login"], me["role"], me["window"]) == ("zhang", "staff", None)
    query = f"{base}/stats?date_from=2025-03-12&date_to=2025-03-12"
    _problem(c.get(query, headers=staff), 403, "not_authorized")
    manager = api.token("manager")
    stats = c.get(query, headers=manager)
    assert stats.status_code == 200 and stats.json()["total"]["issued"] == 0
    elsewhere = "/api/halls/other-hall/stats?date_from=2025-03-12&date_to=2025-03-12"
    _problem(c.get(elsewhere, headers=manager), 403, "not_authorized")
    special = c.post(f"{base}/tickets/special", json={"service": "A", "reason": "急"}, headers=staff)
    _problem(special, 403, "not_authorized")
    # The sign-in cookie works for browser pages.
    c.post(
        "/api/auth/token",
        json={"hall": api.hall.code, "login": "manager", "password": "correct horse battery"},
    )
    assert c.get("/api/auth/me").json()["login"] == "manager"


def test_staff_act_only_at_their_own_window(api: Api) -> None:
    c, base = api.client, api.base
    zhang, zhao = api.token("zhang"), api.token("zhao")
    assert c.post(f"{base}/windows/1/sign-in", headers=zhang).status_code == 200
    assert c.post(f"{base}/windows/4/sign-in", headers=zhao).status_code == 200
    _problem(c.post(f"{base}/windows/1/open", headers=zhao), 403, "not_authorized")
    assert c.post(f"{base}/windows/1/open", headers=zhang).json()["window"]["status"] == "idle"
    c.post(f"{base}/tickets", json={"service": "A"}, headers=zhang)
    _problem(c.post(f"{base}/windows/1/next", headers=zhao), 403, "not_authorized")
    called = c.post(f"{base}/windows/1/next", headers=zhang).json()
    assert called["call"]["say"] == "请A001号到1号窗口办理"
    # The licensing window refuses an unqualified person.
    li = api.token("li")
    refused = _problem(c.post(f"{base}/windows/2/sign-in", headers=li), 403, "not_eligible")
    assert refused["data"] == {"window": "2"}


def test_a_counter_day_through_http(api: Api) -> None:
    c, base = api.client, api.base
    zhang = api.token("zhang")
    issued = c.post(
        f"{base}/tickets", json={"matter": "B01"}, headers={**zhang, "Idempotency-Key": "k-1"}
    ).json()
    again = c.post(
        f"{base}/tickets", json={"matter": "B01"}, headers={**zhang, "Idempotency-Key": "k-1"}
    ).json()
    assert issued == again and issued["number"] == "B001"
    _problem(
        c.post(f"{base}/tickets", json={"service": "A", "colour": "red"}, headers=zhang), 422, "bad_request"
    )
    _problem(c.post(f"{base}/tickets", json={"service": "Z"}, headers=zhang), 404, "unknown_service")

    c.post(f"{base}/windows/2/sign-in", headers=zhang)
    c.post(f"{base}/windows/2/open", headers=zhang)
    status = c.get(f"{base}/tickets/{issued['ticket_id']}").json()  # public: the token is the secret
    assert (status["state"], status["position"]) == ("waiting", 1)
    assert c.post(f"{base}/windows/2/next", headers=zhang).json()["ticket"]["number"] == "B001"
    assert c.post(f"{base}/windows/2/recall", headers=zhang).json()["call"]["kind"] == "recall"
    assert c.post(f"{base}/windows/2/start", headers=zhang).json()["window"]["status"] == "serving"
    done = c.post(f"{base}/windows/2/finish", json={"outcome": "promised"}, headers=zhang).json()
    assert done["ticket"]["state"] == "done" and done["ticket"]["case_number"].endswith("-20250312-0001")
    empty = _problem(c.post(f"{base}/windows/2/next", headers=zhang), 409, "queue_empty")
    assert empty["detail"] == "当前没有等候的号码。"
    _problem(c.post(f"{base}/windows/2/start", headers=zhang), 409, "invalid_state")
    paused = c.post(f"{base}/windows/2/pause", json={"reason": "午休"}, headers=zhang).json()
    assert (paused["window"]["status"], paused["window"]["pause_reason"]) == ("paused", "午休")
    assert c.post(f"{base}/windows/2/resume", headers=zhang).status_code == 200

    state = c.get(f"{base}/state").json()
    assert state["seq"] == 2 and state["windows"]["2"] == {"status": "idle", "ticket": None, "staff": "张*"}
    calls = c.get(f"{base}/calls?since=1").json()
    assert [call["seq"] for call in calls["calls"]] == [2]
    catalog = c.get(f"{base}/catalog").json()
    assert {m["code"] for m in catalog["matters"]} == {"A01", "B01", "C01"}
    assert c.get(f"{base}/catalog?etag={catalog['etag']}").json()["not_modified"] is True
    assert [w["window"] for w in c.get(f"{base}/windows").json()] == ["1", "2", "3", "4"]
    assert c.get("/api/health").json()["ok"] is True
    _problem(c.get(f"{base}/tickets/no-such-ticket"), 404, "not_found")
    assert c.post(f"{base}/sign-out", headers=zhang).json()["window"] is None


def test_openapi_documents_every_route_with_its_models(api: Api) -> None:
    doc = api.client.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for model in ("WindowOpResult", "TicketResult", "HallState", "StatsResult", "SignInResult", "Problem"):
        assert model in schemas
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            ok = operation["responses"].get("200") or operation["responses"].get("204")
            assert ok is not None, (method, path)
            if path.startswith("/api/halls/"):
                assert "409" in operation["responses"], (method, path)
    next_call = doc["paths"]["/api/halls/{hall}/windows/{window}/next"]["post"]
    assert next_call["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WindowReply"
    }
    # The action's result, or with ?view=console the console's reply.
    assert schemas["WindowReply"]["anyOf"] == [
        {"$ref": "#/components/schemas/WindowOpResult"},
        {"$ref": "#/components/schemas/ConsoleReply"},
    ]


def test_call_a_ticket_out_of_order_by_its_id_or_by_its_number(api: Api) -> None:
    c, base = api.client, api.base
    zhang = api.token("zhang")
    tickets = [c.post(f"{base}/tickets", json={"service": "A"}, headers=zhang).json() for _ in range(3)]
    c.post(f"{base}/windows/1/sign-in", headers=zhang)
    c.post(f"{base}/windows/1/open", headers=zhang)
    call = f"{base}/windows/1/call"
    by_id = c.post(call, json={"ticket_id": tickets[2]["ticket_id"], "reason": "预约群众"}, headers=zhang)
    assert by_id.status_code == 200 and by_id.json()["ticket"]["number"] == "A003"
    c.post(f"{base}/windows/1/no-show", headers=zhang)
    by_number = c.post(call, json={"number": "A002", "reason": "老年人"}, headers=zhang).json()
    assert by_number["call"]["ticket"] == "A002"
    both = {"ticket_id": tickets[0]["ticket_id"], "number": "A001", "reason": "急"}
    _problem(c.post(call, json=both, headers=zhang), 422, "bad_request")
    _problem(c.post(call, json={"number": "A001", "reason": " "}, headers=zhang), 422, "bad_request")
    # The keypad's finish: an empty body (no outcome) works as it does over MQTT.
    c.post(f"{base}/windows/1/start", headers=zhang)
    done = c.post(f"{base}/windows/1/finish", json={}, headers=zhang).json()
    assert done["ticket"]["state"] == "done" and done["window"]["status"] == "idle"


# Writes whose key is something else: printing is printer I/O before its record (asking again prints
# again), and a rating's own id is its key (as a rating pad's event id is over MQTT).
KEYLESS_WRITES = {
    ("post", "/api/halls/{hall}/appointments/find"),  # a look-up by code and ID: a read in a body
    ("post", "/api/halls/{hall}/documents/{document_id}/print"),
    ("post", "/api/halls/{hall}/windows/{window}/rating"),
}


def test_every_write_to_a_hall_takes_an_idempotency_key_the_same_way(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    writes = [
        (method, path)
        for path, operations in paths.items()
        for method in operations
        if method in ("post", "put", "delete") and path.startswith(("/api/halls/", "/api/citizen/"))
    ]
    assert len(writes) > 30
    for method, path in writes:
        headers = [p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"]
        expected = [] if (method, path) in KEYLESS_WRITES else ["Idempotency-Key"]
        assert headers == expected, (method, path)


def test_book_an_appointment_online_and_check_it_in_at_reception(api: Api) -> None:
    c, base = api.client, api.base
    slot = {
        "service": "A", "slot_start": "2025-03-12T11:00:00+08:00", "slot_end": "2025-03-12T11:30:00+08:00",
        "id_hash": "a" * 64,
    }  # fmt: skip
    key = {"Idempotency-Key": "book-1"}
    booked = c.post(f"{base}/appointments", json={**slot, "name": "张三"}, headers=key)  # public
    assert booked.status_code == 200, booked.text
    assert booked.json()["state"] == "booked"
    assert c.post(f"{base}/appointments", json={**slot, "name": "张三"}, headers=key).json() == booked.json()
    naive = {**slot, "slot_start": "2025-03-12T11:00:00"}
    _problem(c.post(f"{base}/appointments", json=naive), 422, "bad_request")

    checkin = f"{base}/appointments/checkin"
    _problem(c.post(checkin, json={"code": booked.json()["code"]}), 401, "not_authorized")
    zhang = api.token("zhang")
    api.hall.clock.advance(minutes=45)  # 10:45: check-in is open from 30 min before the slot
    ticket = c.post(checkin, json={"code": booked.json()["code"]}, headers=zhang)
    assert ticket.status_code == 200, ticket.text
    status = c.get(f"{base}/tickets/{ticket.json()['ticket_id']}").json()
    assert (status["number"], status["state"]) == (ticket.json()["number"], "waiting")


def test_one_window_and_signing_out_of_the_browser(api: Api) -> None:
    c, base = api.client, api.base
    zhang = api.token("zhang")
    c.post(f"{base}/windows/1/sign-in", headers=zhang)
    window = c.get(f"{base}/windows/1").json()  # public, as screens read it
    # Screens get the person as an opaque number, never the login (whose pinyin undoes the masking).
    assert (window["window"], window["status"]) == ("1", "closed")
    assert window["staff_id"] is not None and window["staff_id"].isdigit() and "zhang" not in str(window)
    _problem(c.get(f"{base}/windows/99"), 404, "not_found")
    c.post("/api/auth/token", json={"hall": api.hall.code, "login": "zhang", "password": PASSWORD})
    assert c.get("/api/auth/me").status_code == 200  # the cookie
    out = c.post("/api/auth/logout")
    assert out.status_code == 204 and "hallq_token" not in c.cookies
    _problem(c.get("/api/auth/me"), 401, "not_authorized")
