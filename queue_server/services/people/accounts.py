"""Accounts: the reads and writes around a password check (the check itself runs off the writer, in
``signin.py``), token versions (revocation), the forced change.

Every use case here is short: no password is hashed or checked inside a transaction, so a burst of
wrong passwords never holds the writer that ticket issues share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from queue_server.errors import NotAuthorizedError
from queue_server.services.engine.access import require_admin
from queue_server.services.engine.lookup import staff_by_login
from queue_server.services.engine.models import Ack
from queue_server.services.engine.tx import Tx
from queue_server.services.people.models import LoginResult, StaffInfo
from queue_server.services.people.security import TokenClaims, sign_token
from queue_server.services.people.staff import account, info
from queue_server.services.ports import Actor
from queue_server.store.tables import Staff
from queue_server.store.tables.accounts import StaffAccount


@dataclass(frozen=True, slots=True)
class Credential:
    """What a password check needs, read before it (None hash: no such active person)."""

    login: str
    password_hash: str | None


@dataclass(frozen=True, slots=True)
class SessionState:
    """The signed-in person as every request sees them, and the token version still honoured."""

    info: StaffInfo
    token_version: int


def credential(tx: Tx, login: str) -> Credential:
    staff = tx.session.exec(
        select(Staff).where(Staff.hall_id == tx.hall_id, Staff.login == login, col(Staff.active))
    ).first()
    return Credential(login, None if staff is None else staff.password_hash)


def session_state(tx: Tx, login: str) -> SessionState:
    """The read behind every signed-in request (NotFoundError once the person is retired)."""
    staff = staff_by_login(tx, login)
    return SessionState(info(tx, staff), account(tx, staff).token_version)


def logged_in(tx: Tx, login: str, password_hash: str, key: bytes) -> LoginResult:
    """The token of a person whose password was just checked against ``password_hash``."""
    staff = staff_by_login(tx, login)
    if staff.password_hash != password_hash:  # changed between the check and now
        raise NotAuthorizedError("用户名或密码错误。")
    tx.event("login", staff_id=staff.id)
    return _token(tx, staff, account(tx, staff), key)


def login_failed(tx: Tx, login: str, address: str | None, throttled: bool) -> Ack:
    """The audit row of a refused sign-in (unknown login or wrong password, or throttled)."""
    staff = tx.session.exec(select(Staff.id).where(Staff.hall_id == tx.hall_id, Staff.login == login)).first()
    tx.event("login_failed", staff_id=staff, login=login[:64], address=address, throttled=throttled)
    return Ack()


def log_out(tx: Tx, actor: Actor) -> Ack:
    """Sign out everywhere: every token issued so far stops working."""
    staff = staff_by_login(tx, actor.id)
    row = account(tx, staff, lock=True)
    row.token_version += 1
    tx.event("logout", staff_id=staff.id)
    return Ack()


def change_password(tx: Tx, login: str, old_hash: str, new_hash: str, key: bytes) -> LoginResult:
    """Set the person's own new password (checked against ``old_hash`` off the writer); the old tokens
    stop working and the reply carries a new one."""
    staff = staff_by_login(tx, login)
    if staff.password_hash != old_hash:
        raise NotAuthorizedError("原密码错误。")
    staff.password_hash = new_hash
    row = account(tx, staff, lock=True)
    row.token_version += 1
    row.must_change_password = False
    row.password_changed_at = tx.now
    tx.event("password_changed", staff_id=staff.id)
    return _token(tx, staff, row, key)


def reset_password(tx: Tx, login: str, new_hash: str, actor: Actor) -> Ack:
    """An administrator sets a temporary password: the person must change it at the next sign-in."""
    require_admin(actor)
    staff = staff_by_login(tx, login)
    staff.password_hash = new_hash
    row = account(tx, staff, lock=True)
    row.token_version += 1
    row.must_change_password = True
    row.password_changed_at = tx.now
    tx.event("password_reset", staff_id=staff.id, login=login)
    return Ack()


def _token(tx: Tx, staff: Staff, row: StaffAccount, key: bytes) -> LoginResult:
    expires = tx.now + timedelta(seconds=tx.settings.token_ttl_s)
    claims = TokenClaims(
        hall=tx.hall.code,
        sub=staff.login,
        role=staff.role,
        exp=int(expires.timestamp()),
        iat=int(tx.now.timestamp()),
        ver=row.token_version,
    )
    return LoginResult(
        access_token=sign_token(claims, key), expires_at=expires.timestamp(), staff=info(tx, staff)
    )
