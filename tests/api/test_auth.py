"""Sign-in over HTTP: tokens no longer-lived than the TTL, failed sign-ins throttled (429) and audited,
an unknown login as costly as a wrong password, the password check off the writer, sign-out and
password changes revoking tokens, an administrator's reset forcing a change."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from harness.factories import PASSWORD, HallFixture, build_hall, make_settings
from harness.waiting import eventually, scaled
from queue_server.api import create_app
from queue_server.services import Services
from queue_server.services.people.security import Passwords, TokenClaims, sign_token
from queue_server.store import tables as t
from tests.web.server import serve

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def sqlite_hall(shared_sqlite_url: str, hall_code: str) -> Iterator[HallFixture]:
    """Rules about sign-in, not about the database: scrypt is dear, so SQLite alone."""
    h = build_hall(shared_sqlite_url, code=hall_code, migrate=False)
    yield h
    h.close()


@contextmanager
def client_of(hall: HallFixture, passwords: Passwords | None = None, **settings: Any) -> Iterator[TestClient]:
    """The HTTP API over services of their own on the hall's database (settings overridden)."""
    services = Services(
        hall.engine, make_settings(hall=hall.code, **settings), hall.clock, passwords=passwords
    )
    with TestClient(create_app(services.settings, services)) as client:
        yield client
    services.runner.wait_idle(10)


def login(client: TestClient, hall: HallFixture, name: str, password: str = PASSWORD) -> httpx.Response:
    reply: httpx.Response = client.post(
        "/api/auth/token", json={"hall": hall.code, "login": name, "password": password}
    )
    client.cookies.clear()  # each request below says which token it uses
    return reply


def bearer(reply: httpx.Response) -> dict[str, str]:
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def events(hall: HallFixture, kind: str) -> list[dict[str, Any]]:
    with Session(hall.engine) as session:
        rows = session.exec(
            select(t.Event)
            .where(t.Event.hall_id == hall.hall_id, t.Event.kind == kind)
            .order_by(col(t.Event.id))
        ).all()
        return [dict(row.data or {}) for row in rows]


def test_a_token_living_longer_than_the_ttl_is_refused(hall: HallFixture) -> None:
    key = hall.settings.derive_key("token")
    now = int(hall.clock().timestamp())
    ttl = hall.settings.token_ttl_s

    def token(lifetime: int) -> dict[str, str]:
        claims = TokenClaims(hall=hall.code, sub="admin", role="admin", exp=now + lifetime, iat=now, ver=0)
        return {"Authorization": f"Bearer {sign_token(claims, key)}"}

    with client_of(hall) as client:
        assert client.get("/api/auth/me", headers=token(ttl)).status_code == 200
        # Well signed and unexpired, but made to live ten times the TTL: refused.
        assert client.get("/api/auth/me", headers=token(10 * ttl)).status_code == 401


def test_failed_sign_ins_are_throttled_per_login_and_audited(sqlite_hall: HallFixture) -> None:
    hall = sqlite_hall
    with client_of(hall, login_failures_per_login=3, login_lockout_s=300) as client:
        assert [login(client, hall, "zhang", "wrong").status_code for _ in range(3)] == [401] * 3
        throttled = login(client, hall, "zhang")  # even the right password waits now
        assert throttled.status_code == 429
        assert 0 < int(throttled.headers["Retry-After"]) <= 300
        assert throttled.json()["data"]["retry_after_s"] == int(throttled.headers["Retry-After"])
        assert login(client, hall, "zhang", "wrong").status_code == 429  # refused again: audited once
        assert login(client, hall, "zhao").status_code == 200  # another login is not held up
        hall.clock.advance(seconds=301)
        assert login(client, hall, "zhang").status_code == 200
    audited = eventually(lambda: events(hall, "login_failed"), what="the failures' audit rows")
    assert [(e["login"], e["address"], e["throttled"]) for e in audited] == [
        ("zhang", "testclient", False),
        ("zhang", "testclient", False),
        ("zhang", "testclient", False),
        ("zhang", "testclient", True),
    ]


def test_an_address_guessing_many_logins_is_throttled_and_unknown_logins_cost_a_hash(
    sqlite_hall: HallFixture,
) -> None:
    hall = sqlite_hall
    passwords = Passwords()
    with client_of(hall, passwords, login_failures_per_address=4) as client:
        before = passwords.checks
        for name in ("nobody-1", "nobody-2", "nobody-3"):  # unknown logins
            assert login(client, hall, name, "guess").status_code == 401
        # An unknown login runs the hasher as a wrong password does: no timing tells them apart.
        assert passwords.checks - before == 3
        assert login(client, hall, "zhang", "wrong").status_code == 401
        assert passwords.checks - before == 4
        assert login(client, hall, "zhao").status_code == 429  # the address is at its limit
        assert passwords.checks - before == 4  # a throttled attempt costs no hash


class GatedPasswords(Passwords):
    """Checks wait at a gate: the test holds wrong logins in the middle of their password check."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = 0
        self.gate = threading.Event()
        self._count = threading.Lock()

    def check(self, password: str, stored: str) -> bool:
        with self._count:
            self.waiting += 1
        assert self.gate.wait(scaled(30)), "the test never opened the gate"
        return super().check(password, stored)


def test_wrong_passwords_being_checked_do_not_hold_a_ticket_issue(sqlite_hall: HallFixture) -> None:
    hall = sqlite_hall
    passwords = GatedPasswords()
    services = Services(hall.engine, hall.settings, hall.clock, passwords=passwords)
    server = serve(create_app(services.settings, services))
    try:
        with httpx.Client(base_url=server.url, timeout=scaled(30)) as manager:
            # The manager signs in first (the gate open for that one check), then the gate closes.
            passwords.gate.set()
            token = bearer(
                manager.post(
                    "/api/auth/token", json={"hall": hall.code, "login": "manager", "password": PASSWORD}
                )
            )
            passwords.gate.clear()
            passwords.waiting = 0
            answers: list[int] = []

            def wrong(n: int) -> None:
                with httpx.Client(base_url=server.url, timeout=scaled(30)) as client:
                    body = {"hall": hall.code, "login": "zhang", "password": f"wrong-{n}"}
                    answers.append(client.post("/api/auth/token", json=body).status_code)

            threads = [threading.Thread(target=wrong, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            eventually(lambda: passwords.waiting == 4, what="four wrong logins inside the password check")
            # With four password checks in flight, a ticket issue (the writer's work) completes.
            issued = manager.post(f"/api/halls/{hall.code}/tickets", json={"service": "A"}, headers=token)
            assert issued.status_code == 200, issued.text
            assert passwords.waiting == 4 and answers == []  # they were still waiting at the gate
            passwords.gate.set()
            for thread in threads:
                thread.join(scaled(30))
            assert answers == [401] * 4
    finally:
        passwords.gate.set()
        server.stop()
        services.runner.wait_idle(10)
    eventually(lambda: len(events(hall, "login_failed")) == 4, what="the four failures audited")


def test_sign_out_revokes_every_token_of_the_person(hall: HallFixture) -> None:
    with client_of(hall) as client:
        first, second = bearer(login(client, hall, "zhang")), bearer(login(client, hall, "zhang"))
        assert client.get("/api/auth/me", headers=first).status_code == 200
        assert client.post("/api/auth/logout", headers=first).status_code == 204
        assert client.get("/api/auth/me", headers=first).status_code == 401
        assert client.get("/api/auth/me", headers=second).status_code == 401  # the other browser too
        assert client.get("/api/auth/me", headers=bearer(login(client, hall, "zhang"))).status_code == 200
        assert client.post("/api/auth/logout").status_code == 204  # without a sign-in: nothing to revoke
    assert len(events(hall, "logout")) == 1


def test_a_password_change_revokes_the_old_tokens(sqlite_hall: HallFixture) -> None:
    hall = sqlite_hall
    with client_of(hall) as client:
        old = bearer(login(client, hall, "zhang"))
        change = {"current_password": "not-it", "new_password": "a new password 1"}
        assert client.post("/api/auth/password", json=change, headers=old).status_code == 403
        change["current_password"] = PASSWORD
        changed = client.post("/api/auth/password", json=change, headers=old)
        assert changed.status_code == 200, changed.text
        new = bearer(changed)
        assert client.get("/api/auth/me", headers=old).status_code == 401
        assert client.get("/api/auth/me", headers=new).status_code == 200
        assert login(client, hall, "zhang").status_code == 401
        assert login(client, hall, "zhang", "a new password 1").status_code == 200
    assert len(events(hall, "password_changed")) == 1


def test_an_administrators_reset_forces_a_change_at_sign_in(sqlite_hall: HallFixture) -> None:
    hall = sqlite_hall
    reset = f"/api/halls/{hall.code}/staff/zhang/password"
    mine = f"/api/halls/{hall.code}/rectifications"  # a signed-in person's own items
    with client_of(hall) as client:
        zhang = bearer(login(client, hall, "zhang"))
        temporary = {"new_password": "temporary-pw-1"}
        for who in ("manager", "zhao"):  # accounts are the administrators'
            assert (
                client.post(reset, json=temporary, headers=bearer(login(client, hall, who))).status_code
                == 403
            )
        admin = bearer(login(client, hall, "admin"))
        assert client.post(reset, json=temporary, headers=admin).status_code == 200
        assert client.get("/api/auth/me", headers=zhang).status_code == 401  # the reset revoked it

        signed = login(client, hall, "zhang", "temporary-pw-1")
        assert signed.json()["staff"]["must_change_password"] is True
        temp = bearer(signed)
        refused = client.get(mine, headers=temp)
        assert refused.status_code == 403 and refused.json()["data"]["password_change_required"] is True
        assert client.get("/api/auth/me", headers=temp).json()["must_change_password"] is True
        change = {"current_password": "temporary-pw-1", "new_password": "zhang's own pw"}
        changed = client.post("/api/auth/password", json=change, headers=temp)
        assert changed.json()["staff"]["must_change_password"] is False
        assert client.get(mine, headers=bearer(changed)).status_code == 200
    assert [e["login"] for e in events(hall, "password_reset")] == ["zhang"]


def test_session_tokens_carry_their_issue_time(hall: HallFixture) -> None:
    result = hall.services.authenticate(hall.code, "zhang", PASSWORD)
    claims = hall.services.verify_token(result.access_token)
    assert claims.exp - claims.iat == hall.settings.token_ttl_s
    assert claims.iat == int(hall.clock().timestamp())
