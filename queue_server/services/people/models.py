"""Replies of the people's use cases: sign-in, the signed-in person."""

from __future__ import annotations

from pydantic import Field

from queue_server.protocol.messages import (
    WindowState,
)
from queue_server.services.engine.models import Reply, Request


class StaffInfo(Reply):
    login: str
    name: str
    role: str
    window: str | None = Field(None, description="the window the person is signed in at")
    qualification_no: str | None = None
    qualification_valid: bool = False
    must_change_password: bool = Field(
        False, description="a new or reset password: only a password change is allowed until then"
    )


class LoginResult(Reply):
    access_token: str
    token_type: str = "bearer"  # noqa: S105  (the OAuth2 token type, not a secret)
    expires_at: float
    staff: StaffInfo


class SignInResult(Reply):
    window: WindowState
    staff: StaffInfo
    rotation_due: bool = Field(description="at this window for 2 years or more: due to rotate (轮岗)")
    days_at_window: int


class PasswordChangeRequest(Request):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=8, max_length=256, description="at least 8 characters")


class PasswordResetRequest(Request):
    new_password: str = Field(
        min_length=8, max_length=256, description="a temporary password the person must change"
    )
