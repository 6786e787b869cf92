"""The hall factories of the suite, kept importable as ``tests.factories``; they live in harness/factories.py.

See harness/factories.py for the API (``build_hall``, ``HallFixture``, ``FakeClock``, the small hall).
"""

from harness.factories import (
    DEFAULT_START,
    PASSWORD,
    SHANGHAI,
    FakeClock,
    HallFixture,
    RecordingAnnouncer,
    SharedDatabases,
    build_hall,
    make_settings,
    password_hash,
    seed_small_hall,
)

__all__ = [
    "DEFAULT_START",
    "PASSWORD",
    "SHANGHAI",
    "FakeClock",
    "HallFixture",
    "RecordingAnnouncer",
    "SharedDatabases",
    "build_hall",
    "make_settings",
    "password_hash",
    "seed_small_hall",
]
