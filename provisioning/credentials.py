"""Broker credentials: one random password per device (username = device id) and one for the server.

The broker stores only a PBKDF2 hash (Mosquitto's ``$7$`` format, FIELD-NOTES); the passwords
themselves go into each device's bundle and into ``credentials.toml``, the secret list provisioning
keeps so the next run changes nothing for devices that already have one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from queue_server.protocol.topics import check_id

SERVER_USER = "hallq-server"
"""The queue server's broker username; device ids may not start with ``hallq-`` (hall file rule)."""

# Mosquitto re-hashes the password on every CONNECT: 10k rounds keep a reconnect storm of a whole
# hall cheap while meeting FIELD-NOTES (>= 10000); the passwords are random, not guessable words.
PBKDF2_ITERATIONS = 10_000
SALT_BYTES = 12
PASSWORD_BYTES = 24  # token_urlsafe: 32 characters of [A-Za-z0-9_-], safe inside mqtt:// URLs


@dataclass(frozen=True, slots=True)
class Credential:
    """A broker account. ``salt`` is kept so rendering the password file again gives the same bytes."""

    username: str
    password: str
    salt: bytes

    def __post_init__(self) -> None:
        if self.username != SERVER_USER:
            check_id(self.username, "username")
        if len(self.salt) != SALT_BYTES:
            raise ValueError(f"salt must be {SALT_BYTES} bytes")
        if not self.password or any(c in self.password for c in ":@/ \n"):
            raise ValueError(f"{self.username}: the password must be non-empty and URL-safe")

    def __repr__(self) -> str:  # never log a password by accident
        return f"Credential(username={self.username!r}, password=***)"


def new_credential(username: str) -> Credential:
    return Credential(username, secrets.token_urlsafe(PASSWORD_BYTES), secrets.token_bytes(SALT_BYTES))


def ensure_credentials(usernames: Iterable[str], existing: Mapping[str, Credential]) -> dict[str, Credential]:
    """A credential for each of ``usernames``: kept when it exists, new otherwise; others are dropped."""
    return {u: existing[u] if u in existing else new_credential(u) for u in usernames}


def mosquitto_hash(password: str, salt: bytes, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``$7$ITER$b64(salt)$b64(pbkdf2_hmac_sha512)``, the format of ``mosquitto_passwd`` 2.x."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def render_password_file(credentials: Iterable[Credential], iterations: int = PBKDF2_ITERATIONS) -> str:
    """Mosquitto's ``password_file``: one ``user:hash`` line per account, sorted."""
    lines = [f"{c.username}:{mosquitto_hash(c.password, c.salt, iterations)}" for c in credentials]
    return "\n".join(sorted(lines)) + "\n"


def render_credentials_toml(hall: str, credentials: Iterable[Credential]) -> str:
    out = [
        f"# hallq broker credentials of hall {hall!r}. SECRET: keep mode 0600, never commit.",
        "# `hallq provision` reads this file back and keeps these passwords; delete a table to rotate one.",
        "",
    ]
    for c in sorted(credentials, key=lambda c: c.username):
        out += [
            f"[users.{json.dumps(c.username)}]",
            f"password = {json.dumps(c.password)}",
            f"salt = {json.dumps(base64.b64encode(c.salt).decode())}",
            "",
        ]
    return "\n".join(out)


def parse_credentials_toml(text: str) -> dict[str, Credential]:
    data: dict[str, Any] = tomllib.loads(text)
    users: dict[str, Any] = data.get("users", {})
    return {
        name: Credential(name, str(entry["password"]), base64.b64decode(str(entry["salt"])))
        for name, entry in users.items()
    }
