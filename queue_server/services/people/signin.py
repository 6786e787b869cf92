"""Password sign-in and password changes: the hash read in a read transaction, checked on the caller's
thread, and only the outcome written.

scrypt costs tens of milliseconds by design. Run inside a write, ten wrong passwords at once held the
writer thread that ticket issues share for half a second; here the writer sees only the short writes
around a check (the token's audit row, a failure's audit row, a new hash). Failed attempts are
counted in memory per login and per address (``throttle.py``); an unknown login hashes a dummy so it
answers as slowly as a wrong password.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from queue_server.errors import BadRequestError, HallqError, NotAuthorizedError
from queue_server.services.engine.access import require_admin
from queue_server.services.engine.models import Ack
from queue_server.services.engine.runner import Clock, Runner
from queue_server.services.people import accounts
from queue_server.services.people.accounts import Credential
from queue_server.services.people.models import LoginResult
from queue_server.services.people.security import Passwords
from queue_server.services.people.throttle import LoginThrottle, LoginThrottledError
from queue_server.services.ports import Actor
from queue_server.services.usecases import UseCase
from queue_server.settings import Settings

log = logging.getLogger(__name__)

WRONG = "用户名或密码错误。"


class SignIn:
    def __init__(self, runner: Runner, passwords: Passwords, key: bytes, settings: Settings, clock: Clock):
        self.runner = runner
        self.passwords = passwords
        self.key = key
        self.clock = clock
        self.throttle = LoginThrottle(
            settings.login_failures_per_login, settings.login_failures_per_address, settings.login_lockout_s
        )

    def authenticate(self, hall: str, login: str, password: str, address: str | None) -> LoginResult:
        """A token for the right password; NotAuthorizedError (the same for an unknown login) or
        LoginThrottledError otherwise."""
        cred = self._checked(hall, login, password, address)
        return self.runner.write(
            hall,
            UseCase.LOG_IN,
            lambda tx: accounts.logged_in(tx, login, _known(cred), self.key),
            LoginResult,
            request_id=None,
        )

    def change_password(
        self, hall: str, login: str, current: str, new: str, address: str | None
    ) -> LoginResult:
        """The person's own change: the current password checked like a sign-in; the reply is a new
        token (every older one stops working)."""
        if new == current:
            raise BadRequestError("新密码不能与原密码相同。", field="new_password")
        cred = self._checked(hall, login, current, address)
        new_hash = self.passwords.hash(new)
        return self.runner.write(
            hall,
            UseCase.CHANGE_PASSWORD,
            lambda tx: accounts.change_password(tx, login, _known(cred), new_hash, self.key),
            LoginResult,
            request_id=None,
        )

    def reset_password(self, hall: str, login: str, new: str, actor: Actor, request_id: str | None) -> Ack:
        require_admin(actor)  # before the hash: a refused caller costs no scrypt
        new_hash = self.passwords.hash(new)
        return self.runner.write(
            hall,
            UseCase.RESET_PASSWORD,
            lambda tx: accounts.reset_password(tx, login, new_hash, actor),
            Ack,
            request_id=request_id,
            actor=actor,
        )

    def _checked(self, hall: str, login: str, password: str, address: str | None) -> Credential:
        key = f"{hall}/{login}"
        now = self.clock().timestamp()
        try:
            self.throttle.check(key, address, now)
        except LoginThrottledError as exc:
            if exc.first:
                self._audit(hall, login, address, throttled=True)
            raise
        cred = self.runner.read(hall, lambda tx: accounts.credential(tx, login))
        if not self.passwords.verify(password, cred.password_hash):
            self.throttle.failed(key, address, now)
            self._audit(hall, login, address, throttled=False)
            raise NotAuthorizedError(WRONG)
        self.throttle.succeeded(key)
        return cred

    def _audit(self, hall: str, login: str, address: str | None, *, throttled: bool) -> None:
        """The failure's audit row, queued: the answer does not wait for the writer."""

        def done(_result: BaseModel | None, exc: BaseException | None) -> None:
            if isinstance(exc, HallqError):  # no such hall: nothing to audit it in
                log.warning("failed sign-in to %s not audited: %s", hall, exc)
            elif exc is not None:
                log.error("audit of a failed sign-in to %s not written", hall, exc_info=exc)

        self.runner.write_async(
            hall,
            UseCase.LOG_IN_FAILED,
            lambda tx: accounts.login_failed(tx, login, address, throttled),
            Ack,
            done,
            request_id=None,
        )


def _known(cred: Credential) -> str:
    assert cred.password_hash is not None  # a check passed against it
    return cred.password_hash
