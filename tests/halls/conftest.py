"""Hall file fixtures: the demo hall as raw TOML data to mutate, and small variants of it."""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from queue_server.halls import DEMO_HALL_PATH, HallFile, validate_data
from queue_server.store import init_db

_DEMO: dict[str, Any] = tomllib.loads(DEMO_HALL_PATH.read_text(encoding="utf-8"))

# The fewest staff that still cover every licensing window (2, 5, 6, 7): loads hash each password
# with scrypt, so the loader tests use this cut of the demo hall to stay fast.
SMALL_STAFF = ("admin", "zhangli", "liuyang", "zhaolei")


@pytest.fixture
def demo_raw() -> dict[str, Any]:
    """The demo hall file as parsed TOML, a fresh copy to change."""
    return copy.deepcopy(_DEMO)


@pytest.fixture
def small_raw(demo_raw: dict[str, Any]) -> dict[str, Any]:
    demo_raw["staff"] = [p for p in demo_raw["staff"] if p["login"] in SMALL_STAFF]
    return demo_raw


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An empty database with the newest schema (SQLite and PostgreSQL, through ``db_url``)."""
    eng = init_db(db_url)
    yield eng
    eng.dispose()


def hall_of(raw: dict[str, Any]) -> HallFile:
    """The hall file of ``raw`` TOML data, which must be valid."""
    hall = validate_data(raw)
    assert isinstance(hall, HallFile), hall
    return hall
