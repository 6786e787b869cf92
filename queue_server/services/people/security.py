"""Passwords and sign-in tokens, stdlib only: scrypt hashes and HMAC-signed bearer tokens.

A token is ``base64url(json claims) "." base64url(HMAC-SHA256(key, claims))``; the key comes from the
hall's secret file (``Settings.derive_key("token")``). Claims: hall, sub (staff login), role, exp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

# scrypt cost: n=2**14, r=8 is the interactive-login setting (~16 MiB, tens of ms); the parameters
# travel with each hash, so raising them later keeps old hashes valid.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SCHEME = "scrypt"


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


@dataclass(frozen=True, slots=True)
class TokenClaims:
    hall: str
    sub: str
    role: str
    exp: int  # unix seconds


class BadTokenError(ValueError):
    """A token that is malformed, forged or expired."""


def sign_token(claims: TokenClaims, key: bytes) -> str:
    body = json.dumps(
        {"hall": claims.hall, "sub": claims.sub, "role": claims.role, "exp": claims.exp},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    sig = hmac.new(key, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(sig)}"


def verify_token(token: str, key: bytes, now: datetime) -> TokenClaims:
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
            hall=str(raw["hall"]), sub=str(raw["sub"]), role=str(raw["role"]), exp=int(raw["exp"])
        )
    except (ValueError, KeyError, TypeError):
        raise BadTokenError("malformed claims") from None
    if claims.exp <= now.timestamp():
        raise BadTokenError("expired")
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
