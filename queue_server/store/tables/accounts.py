"""Accounts beside the staff rows: the token version (sign-out and password change revoke tokens), the
forced password change, and the windows the hall file lets a person sign in to.

A person without a row here has the defaults: version 0, no change forced, any window. The row is
kept apart from ``staff`` so the hall loader and the sign-in checks own it alone.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from queue_server.store.tables import _meta  # noqa: F401  (naming convention first)
from queue_server.store.types import json_field, utc_field


class StaffAccount(SQLModel, table=True):
    __tablename__ = "staff_account"

    staff_id: int = Field(foreign_key="staff.id", primary_key=True)
    hall_id: int = Field(foreign_key="hall.id", index=True)
    token_version: int = Field(default=0, description="tokens signed with an older version are refused")
    must_change_password: bool = Field(default=False, description="set by a reset or a production load")
    windows: list[str] | None = json_field()  # window numbers; NULL (empty in the file): any window
    password_changed_at: datetime | None = utc_field()
