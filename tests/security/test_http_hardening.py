"""The HTTP door's guards (queue_server/api/hardening.py) on a real uvicorn: security headers on pages
and API answers, bodies capped while they stream, Secure cookies over HTTPS, live streams capped."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

from harness.factories import PASSWORD
from harness.waiting import eventually
from queue_server.api.hardening import MAX_BODY_BYTES
from queue_server.web.sse import StreamCaps
from tests.web.conftest import Web

WAIT = 5.0


def test_pages_and_api_answers_carry_the_security_headers(web: Web) -> None:
    client = web.anonymous()
    for path in ("/console", f"/api/halls/{web.code}", "/api/no-such-route", "/static/window/common.js"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-content-type-options"] == "nosniff", path
        policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
        assert policy["script-src"].split()[0] == "'self'", path
        assert "'unsafe-inline'" not in policy["script-src"], path
        assert policy["frame-ancestors"] == "'none'", path
        assert "strict-transport-security" not in headers  # plain HTTP


def test_a_declared_body_over_the_cap_is_refused_before_it_is_sent(web: Web) -> None:
    with socket.create_connection(("127.0.0.1", web.server.port), timeout=WAIT) as sock:
        sock.sendall(
            b"POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000\r\n\r\n{"
        )
        # Nothing more is sent: the answer comes from the declared length alone.
        head = _read_head(sock)
    assert head.startswith(b"HTTP/1.1 413"), head
    assert b"application/problem+json" in head


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_cap(web: Web) -> None:
    chunk = b"x" * 16384
    with socket.create_connection(("127.0.0.1", web.server.port), timeout=WAIT) as sock:
        sock.sendall(
            b"POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(MAX_BODY_BYTES // len(chunk) + 1):  # one chunk past the cap, and no last chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        head = _read_head(sock)
    assert head.startswith(b"HTTP/1.1 413"), head


def test_a_body_at_the_cap_reaches_the_route(web: Web) -> None:
    body = b'{"hall": "' + b"x" * (MAX_BODY_BYTES - 12) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    reply = web.anonymous().post(
        "/api/auth/token", content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 422  # the route's own validation, not the cap
    assert (
        web.anonymous()
        .post("/api/auth/token", content=body + b" ", headers={"content-type": "application/json"})
        .status_code
        == 413
    )


def test_cookies_are_secure_over_https_only(web: Web) -> None:
    sign_in = {"hall": web.code, "login": "zhang", "password": PASSWORD}
    plain = web.anonymous().post("/api/auth/token", json=sign_in)
    assert plain.status_code == 200
    assert "secure" not in plain.headers["set-cookie"].lower()
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1: what a TLS-terminating proxy on the machine sends.
    https = web.anonymous().post("/api/auth/token", json=sign_in, headers={"X-Forwarded-Proto": "https"})
    assert https.status_code == 200
    assert "; secure" in https.headers["set-cookie"].lower()
    assert https.headers["strict-transport-security"].startswith("max-age=")


def test_live_streams_are_capped_per_token_per_address_and_in_all(web: Web) -> None:
    caps: StreamCaps = web.app.state.live_streams
    caps.per_token, caps.per_address, caps.total = 2, 3, 4
    url = f"/api/halls/{web.code}/live"
    zhang, li = web.login("zhang"), web.login("li")
    with ExitStack() as streams:
        assert streams.enter_context(_open(zhang, url)) == 200
        assert streams.enter_context(_open(zhang, url)) == 200
        assert streams.enter_context(_open(zhang, url)) == 429  # per token
        assert streams.enter_context(_open(li, url)) == 200
        assert streams.enter_context(_open(li, url)) == 429  # per address: 3 from 127.0.0.1
        assert streams.enter_context(_open(li, url, "127.0.0.2")) == 200
        assert streams.enter_context(_open(li, url, "127.0.0.2")) == 429  # in all: 4
        assert caps.count() == 4
    eventually(lambda: caps.count() == 0, WAIT, what="closed streams no longer counted")
    with _open(zhang, url) as status:
        assert status == 200


def test_a_refused_stream_is_a_problem_answer(web: Web) -> None:
    caps: StreamCaps = web.app.state.live_streams
    caps.per_token = 0
    reply = web.login("zhang").get(f"/api/halls/{web.code}/live")
    assert reply.status_code == 429
    assert reply.json()["code"] == "too_many_requests"


@contextmanager
def _open(client: httpx.Client, url: str, address: str = "127.0.0.1") -> Iterator[int]:
    """Open a live stream from ``address`` on a connection of its own; its status while it stays open."""
    transport = httpx.HTTPTransport(local_address=address)
    with (
        httpx.Client(
            base_url=client.base_url, cookies=client.cookies, timeout=WAIT, transport=transport
        ) as own,
        own.stream("GET", url) as response,
    ):
        yield response.status_code


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return data
