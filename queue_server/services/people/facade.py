"""The facade's people and devices: sign-in tokens, shifts at a window, device status."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlmodel import Session

from queue_server.services.engine.base import FacadePart
from queue_server.services.engine.lookup import staff_by_login
from queue_server.services.engine.models import Ack
from queue_server.services.people import accounts, devices, scope, staff
from queue_server.services.people.accounts import SessionState
from queue_server.services.people.models import LoginResult, SignInResult, StaffInfo
from queue_server.services.people.security import TokenClaims, verify_token
from queue_server.services.people.signin import SignIn
from queue_server.services.ports import Actor
from queue_server.services.usecases import UseCase
from queue_server.settings import Settings
from queue_server.store.engine import reader

R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


class PeopleUseCases(FacadePart):
    _token_key: bytes  # signs and verifies sign-in tokens
    sign_ins: SignIn  # password checks off the writer, the failed-sign-in throttle
    settings: Settings

    # --- people -----------------------------------------------------------------------------------

    def authenticate(
        self, hall: str, login: str, password: str, *, address: str | None = None
    ) -> LoginResult:
        return self.sign_ins.authenticate(hall, login, password, address)

    def change_password(
        self, hall: str, login: str, current: str, new: str, *, address: str | None = None
    ) -> LoginResult:
        return self.sign_ins.change_password(hall, login, current, new, address)

    def reset_password(
        self, hall: str, login: str, new: str, *, actor: Actor, request_id: str | None = None
    ) -> Ack:
        return self.sign_ins.reset_password(hall, login, new, actor, request_id)

    def log_out(self, hall: str, *, actor: Actor) -> Ack:
        return self._write(hall, UseCase.LOG_OUT, lambda tx: accounts.log_out(tx, actor), Ack, actor)

    def verify_token(self, token: str) -> TokenClaims:
        """The claims of a valid, unexpired token; BadTokenError otherwise."""
        return verify_token(token, self._token_key, self.clock(), self.settings.token_ttl_s)

    def session_state(self, hall: str, login: str) -> SessionState:
        """The signed-in person and the token version still honoured (NotFoundError once retired)."""
        return self._read(hall, lambda tx: accounts.session_state(tx, login))

    def staff_info(self, hall: str, login: str) -> StaffInfo:
        return self._read(hall, lambda tx: staff.info(tx, staff_by_login(tx, login)))

    def sign_in(self, hall: str, window: str, *, actor: Actor, request_id: str | None = None) -> SignInResult:
        return self._write(
            hall,
            UseCase.SIGN_IN,
            lambda tx: staff.sign_in(tx, window, actor),
            SignInResult,
            actor,
            request_id,
        )

    def sign_out(self, hall: str, *, actor: Actor, request_id: str | None = None) -> StaffInfo:
        return self._write(
            hall, UseCase.SIGN_OUT, lambda tx: staff.sign_out(tx, actor), StaffInfo, actor, request_id
        )

    def record_device_status(self, hall: str, device_id: str, payload: bytes) -> None:
        ack = self._write(
            hall,
            UseCase.RECORD_DEVICE_STATUS,
            lambda tx: devices.record_status(tx, device_id, payload),
            Ack,
            device_id=device_id,
        )
        if ack.ok:  # the managers' overview shows every device: tell it at once (live event "device")
            self.hub.notify(hall, "device", {"device": device_id})

    # --- the hierarchy of halls (scope.py) ---------------------------------------------------------

    def require_hall_below(self, home: str, hall: str) -> None:
        """NotAuthorizedError unless ``hall`` is ``home`` or a hall below it (a manager's reach)."""
        self._read(home, lambda tx: scope.require_below(tx.session, home, hall))

    def hall_list(self, home: str | None = None) -> scope.HallList:
        """Every hall with level and parent; ``home``: where a manager signed in (their reach)."""
        with Session(reader(self.engine)) as session:
            return scope.hall_list(session, home)
