"""The HTTP door's guards, in one ASGI middleware in front of every route (``create_app`` installs it).

- Security headers on every response: a Content-Security-Policy that allows only the server's own
  scripts (and the A4 page's print handler, by its hash), ``X-Frame-Options: DENY``,
  ``Referrer-Policy: no-referrer`` (a citizen page's URL carries its token), ``nosniff``.
- Over HTTPS, cookies get ``Secure`` and responses ``Strict-Transport-Security``.
- Request bodies are capped at the contract's 64 KiB unless a path says more (``LARGER_BODIES``):
  a declared ``Content-Length`` over the cap is refused before anything is read, and a body sent
  without one is refused as soon as it passes the cap (413), never read to its end first.
- Live streams (Server-Sent Events) are capped per token, per client address and in all (429,
  ``web/sse.py`` ``StreamCaps``); the count drops when the stream's response ends, however it ends.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from queue_server.documents.a4 import PRINT_SCRIPT
from queue_server.protocol.codec import MAX_PAYLOAD_BYTES
from queue_server.protocol.messages import ErrorCode
from queue_server.web.sse import StreamCaps

from .deps import TOKEN_COOKIE
from .problems import problem

MAX_BODY_BYTES = MAX_PAYLOAD_BYTES
"""No route takes more than an MQTT message may carry: JSON requests of a few hundred bytes."""

LARGER_BODIES: Mapping[str, int] = {}
"""Path prefix → cap, for a route that must accept bigger bodies (an upload); none does today."""


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


# Styles may be inline: the chart library writes style attributes into its tooltips, and a style
# cannot run code. Scripts may not: every page loads its scripts from /static.
CSP = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {_script_hash(PRINT_SCRIPT)}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# FastAPI's API explorer (/docs, /redoc) is an inline script loading its code from a CDN: it works
# only where the browser reaches the Internet, and gets its own, looser policy.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
DOCS_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "font-src https://fonts.gstatic.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "worker-src blob:",
        "frame-ancestors 'none'",
    ]
)
COMMON_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000")

# The live channels: a hall's (staff, by sign-in token) and a visit's (citizen, by ticket token).
LIVE_PATHS = re.compile(r"^/api/(?:halls/[^/]+|citizen/(?P<token>[^/]+))/live$")


class Hardening:
    """The guards above as one pure ASGI middleware (no body buffering beyond the cap)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = MAX_BODY_BYTES,
        larger: Mapping[str, int] = LARGER_BODIES,
        streams: StreamCaps | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.larger = dict(larger)
        self.streams = streams if streams is not None else StreamCaps()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(scope, send)
        limit = self._limit(scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(limit)(scope, receive, send)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await _too_large(limit)(scope, receive, send)
            return
        receive = _replay(body, receive)
        live = LIVE_PATHS.match(scope["path"])
        if live is None:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        keys = self.streams.open(live["token"] or _sign_in_token(scope), client[0] if client else None)
        if keys is None:
            response = problem(429, ErrorCode.TOO_MANY_REQUESTS, "打开的实时连接过多，请关闭其他页面后重试。")
            await response(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.streams.close(keys)

    def _limit(self, path: str) -> int:
        return max(
            (cap for prefix, cap in self.larger.items() if path.startswith(prefix)), default=self.max_body
        )


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None  # the HTTP parser refuses a malformed length before we are called


async def _read_body(receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, read up to ``limit`` bytes; None as soon as it passes the limit."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages  # the client went away: the app sees it as it would have
        size += len(message.get("body", b""))
        if size > limit:
            return None
        if not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """Hand the app the body already read, then the real channel (a stream waits on it for the end)."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _too_large(limit: int) -> ASGIApp:
    return problem(413, ErrorCode.BAD_REQUEST, f"请求内容过大（上限 {limit} 字节）。", {"limit": limit})


def _sign_in_token(scope: Scope) -> str | None:
    """The staff sign-in token of a request (Bearer header, else the browser's cookie), unverified:
    it only names whose streams to count; the route itself checks it."""
    auth = _header(scope, b"authorization")
    if auth is not None and auth[:7].lower() == b"bearer ":
        return auth[7:].decode("latin-1").strip() or None
    raw = _header(scope, b"cookie")
    if raw is None:
        return None
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(raw.decode("latin-1"))
    except CookieError:
        return None
    morsel = cookies.get(TOKEN_COOKIE)
    return morsel.value if morsel is not None else None


def _with_headers(scope: Scope, send: Send) -> Send:
    https = scope.get("scheme") == "https"
    csp = DOCS_CSP if scope["path"] in DOCS_PATHS else CSP

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (key, _secure_cookie(value) if https and key.lower() == b"set-cookie" else value)
                for key, value in message.get("headers", [])
            ]
            headers += [(b"content-security-policy", csp.encode()), *COMMON_HEADERS]
            if https:
                headers.append(HSTS)
            message = {**message, "headers": headers}
        await send(message)

    return send_with_headers


def _secure_cookie(value: bytes) -> bytes:
    attributes = {part.strip().lower() for part in value.split(b";")[1:]}
    return value if b"secure" in attributes else value + b"; Secure"
