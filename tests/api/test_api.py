"""The HTTP door: sign-in and roles (401/403), staff limited to their window, RFC 7807 problems,
a counter's whole day through HTTP, and an OpenAPI document that names every model."""

from __future__ import annotations

from typing import Any

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
    assert stats.status_code == 200 and stats.json()["total"]["tickets"] == 0
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
        "$ref": "#/components/schemas/WindowOpResult"
    }
