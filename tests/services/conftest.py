"""The services' tests run on a hall of their own (see tests/hall_fixtures.py)."""

from tests.hall_fixtures import hall, make_hall, shared_databases, shared_url

__all__ = ["hall", "make_hall", "shared_databases", "shared_url"]
