"""Provisioning fixtures: the demo hall and a fixed set of credentials for it."""

from __future__ import annotations

import pytest

from provisioning import Credential, ensure_credentials, usernames
from queue_server.halls import DEMO_HALL_PATH, HallFile, read_hall_file


@pytest.fixture(scope="session")
def demo_hall() -> HallFile:
    return read_hall_file(DEMO_HALL_PATH)


@pytest.fixture
def demo_credentials(demo_hall: HallFile) -> dict[str, Credential]:
    return ensure_credentials(usernames(demo_hall), {})
