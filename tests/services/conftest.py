"""Fixtures of the services' tests, on top of the hall fixtures of tests/conftest.py.

- ``hall`` (from tests/conftest.py): the small hall with its ``Services``, once on SQLite and once on
  PostgreSQL, in the session's shared database of that backend, under a hall code of its own.
- ``dh``: the same hall as a ``DeskHall`` (tests/services/helpers.py) with the window shortcuts, its
  announcements recorded; ``dh_sqlite``: SQLite only, for tests about rules, paper and pages rather
  than the database.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services.helpers import DeskHall, make_desk_hall


@pytest.fixture
def dh(shared_url: str, hall_code: str) -> Iterator[DeskHall]:
    h = make_desk_hall(shared_url, hall_code)
    yield h
    h.hall.close()


@pytest.fixture
def dh_sqlite(shared_sqlite_url: str, hall_code: str) -> Iterator[DeskHall]:
    h = make_desk_hall(shared_sqlite_url, hall_code)
    yield h
    h.hall.close()
