"""The hall fixtures under their old import path: they are defined in tests/conftest.py, which offers
them to every test; a conftest that still imports them from here registers the same fixtures again."""

from tests.conftest import hall, make_hall, shared_databases, shared_url

__all__ = ["hall", "make_hall", "shared_databases", "shared_url"]
