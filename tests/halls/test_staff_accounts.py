"""From the hall file to the running API: ``staff.windows`` is kept and enforced at window sign-in,
and a production load makes every new person change the initial password before anything else."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from harness.factories import FakeClock, make_settings
from queue_server.api import create_app
from queue_server.halls.loader import load_hall
from queue_server.services import Services
from tests.halls.conftest import hall_of

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

INITIAL = {login: f"{login}-initial-1" for login in ("admin", "zhangli", "liuyang", "zhaolei")}


@pytest.fixture
def client(engine: Engine, small_raw: dict[str, Any]) -> Iterator[TestClient]:
    """The small demo hall loaded as production loads it (initial passwords given, no demo ones)."""
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday morning
    load_hall(engine, hall_of(small_raw), passwords=INITIAL, environ={}, now=now, allow_dev_passwords=False)
    services = Services(engine, make_settings(hall="demo"), FakeClock(now))
    with TestClient(create_app(services.settings, services)) as test_client:
        yield test_client
    services.runner.wait_idle(10)


def sign_in_with_own_password(client: TestClient, login: str) -> dict[str, str]:
    body = {"hall": "demo", "login": login, "password": INITIAL[login]}
    signed = client.post("/api/auth/token", json=body)
    assert signed.status_code == 200, signed.text
    client.cookies.clear()
    first = {"Authorization": f"Bearer {signed.json()['access_token']}"}
    # A new production account: nothing but the password change until it is done.
    assert signed.json()["staff"]["must_change_password"] is True
    refused = client.post("/api/halls/demo/windows/5/sign-in", headers=first)
    assert refused.status_code == 403 and refused.json()["data"]["password_change_required"] is True
    change = {"current_password": INITIAL[login], "new_password": f"{login}-chosen-pw"}
    changed = client.post("/api/auth/password", json=change, headers=first)
    assert changed.status_code == 200, changed.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {changed.json()['access_token']}"}


def test_staff_sign_in_only_at_the_windows_the_hall_file_lists(client: TestClient) -> None:
    liuyang = sign_in_with_own_password(client, "liuyang")  # windows = ["5", "7"]
    elsewhere = client.post("/api/halls/demo/windows/6/sign-in", headers=liuyang)
    assert elsewhere.status_code == 403, elsewhere.text
    assert elsewhere.json()["data"]["allowed"] == ["5", "7"]
    listed = client.post("/api/halls/demo/windows/5/sign-in", headers=liuyang)
    assert listed.status_code == 200, listed.text
    admin = sign_in_with_own_password(client, "admin")  # no windows listed: any window
    assert client.post("/api/halls/demo/windows/1/sign-in", headers=admin).status_code == 200


def test_a_development_load_forces_no_change(engine: Engine, small_raw: dict[str, Any]) -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    load_hall(engine, hall_of(small_raw), environ={"HALLQ_DEMO_PASSWORD": "demo-password-1"}, now=now)
    services = Services(engine, make_settings(hall="demo"), FakeClock(now))
    signed = services.authenticate("demo", "liuyang", "demo-password-1")
    assert signed.staff.must_change_password is False
    services.runner.wait_idle(10)
