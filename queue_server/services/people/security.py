"""Passwords and sign-in tokens, stdlib only: scrypt hashes and HMAC-signed bearer tokens.

A token is ``base64url(json claims) "." base64url(HMAC-SHA256(key, claims))``; the key comes from the
hall's secret file (``Settings.derive_key("token")``). Claims: hall, sub (staff login), role, iat and
exp (a token whose lifetime exceeds the configured TTL is refused, whoever signed it), ver (the
account's token version: sign-out and a password change raise it, which revokes every older token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime

# scrypt cost: n=2**14, r=8 is the interactive-login setting (~16 MiB, tens of ms); the parameters
# travel with each hash, so raising them later keeps old hashes valid.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SCHEME = "scrypt"
# scrypt checks running at once. Off the writer is not enough: ten wrong passwords checked in parallel
# took both cores of a hall appliance and an HTTP ticket still waited ~420 ms for CPU. Half the cores
# (at least one) check passwords; the rest serve the hall, and further sign-ins wait their turn.
CONCURRENT_CHECKS = max(1, (os.cpu_count() or 2) // 2)
# A token signed by another instance whose clock runs a little ahead is still good.
CLOCK_SKEW_S = 60


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"{_SCHEME}${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _SCHEME:
            return False
        got = hashlib.scrypt(
            password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(_unb64(digest))
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, _unb64(digest))


class Passwords:
    """Hashing and checking passwords: the seam between sign-in and scrypt.

    ``checks`` counts the scrypt checks run (an unknown login checks against a dummy hash, so it counts
    too): a test reads it instead of timing answers. One object per ``Services``.
    """

    def __init__(self, concurrent: int = CONCURRENT_CHECKS) -> None:
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(concurrent)
        self._dummy: str | None = None
        self.checks = 0

    def hash(self, password: str) -> str:
        return hash_password(password)

    def verify(self, password: str, stored: str | None) -> bool:
        """Whether ``password`` matches ``stored``; with None (no such person) a dummy hash is checked, so
        an unknown login costs what a wrong password costs and the answer time reveals nothing."""
        if stored is None:
            self.check(password, self._dummy_hash())
            return False
        return self.check(password, stored)

    def check(self, password: str, stored: str) -> bool:
        """One scrypt check (the cost a sign-in pays), at most ``concurrent`` at once."""
        with self._lock:
            self.checks += 1
        with self._slots:
            return verify_password(password, stored)

    def _dummy_hash(self) -> str:
        with self._lock:
            if self._dummy is None:
                self._dummy = hash_password(secrets.token_urlsafe(16))
            return self._dummy


@dataclass(frozen=True, slots=True)
class TokenClaims:
    hall: str
    sub: str
    role: str
    exp: int  # unix seconds
    iat: int = 0  # unix seconds
    ver: int = 0  # the account's token version when it was signed


class BadTokenError(ValueError):
    """A token that is malformed, forged or expired."""


def sign_token(claims: TokenClaims, key: bytes) -> str:
    body = json.dumps(
        {
            "hall": claims.hall,
            "sub": claims.sub,
            "role": claims.role,
            "exp": claims.exp,
            "iat": claims.iat,
            "ver": claims.ver,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    sig = hmac.new(key, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(sig)}"


def verify_token(token: str, key: bytes, now: datetime, max_ttl_s: int) -> TokenClaims:
    """The claims of a well-signed token that is neither expired, nor issued in the future, nor made
    to live longer than ``max_ttl_s`` (a leaked key or a forged long-lived token stays bounded)."""
    try:
        body_b64, sig_b64 = token.split(".")
        body = _unb64(body_b64)
        sig = _unb64(sig_b64)
    except ValueError:
        raise BadTokenError("malformed token") from None
    if not hmac.compare_digest(sig, hmac.new(key, body, hashlib.sha256).digest()):
        raise BadTokenError("bad signature")
    try:
        raw = json.loads(body)
        claims = TokenClaims(
            hall=str(raw["hall"]),
            sub=str(raw["sub"]),
            role=str(raw["role"]),
            exp=int(raw["exp"]),
            iat=int(raw["iat"]),
            ver=int(raw["ver"]),
        )
    except (ValueError, KeyError, TypeError):
        raise BadTokenError("malformed claims") from None
    if claims.exp <= now.timestamp():
        raise BadTokenError("expired")
    if claims.exp - claims.iat > max_ttl_s or claims.iat > now.timestamp() + CLOCK_SKEW_S:
        raise BadTokenError("lifetime beyond the configured TTL")
    return claims


def new_citizen_token() -> str:
    """The public, unguessable id of a ticket (citizen page URL, ``ticket.status``)."""
    return secrets.token_urlsafe(16)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("bad base64") from exc
