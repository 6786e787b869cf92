"""A test is marked ``broker``, ``postgres``, ``screen`` or ``browser`` by the fixtures it uses
(tests/conftest.py), so ``-m "not postgres"`` deselects exactly the tests that need a PostgreSQL server."""

from __future__ import annotations

import pytest

from harness.broker import MosquittoBroker
from tests.conftest import markers_for

NEEDS = ("broker", "postgres", "screen", "browser")


def carried(request: pytest.FixtureRequest) -> set[str]:
    return {name for name in NEEDS if request.node.get_closest_marker(name) is not None}


def test_a_test_using_the_broker_is_marked_broker(
    broker: MosquittoBroker, request: pytest.FixtureRequest
) -> None:
    assert carried(request) == {"broker"}


def test_only_the_postgresql_half_of_db_url_is_marked_postgres(
    db_url: str, request: pytest.FixtureRequest
) -> None:
    assert carried(request) == ({"postgres"} if db_url.startswith("postgresql") else set())


def test_a_test_using_the_hall_is_marked_through_the_fixtures_under_it(
    request: pytest.FixtureRequest, hall_code: str
) -> None:
    # ``hall`` is not requested here (it would build a hall): its closure is what the hook reads.
    closure = ["hall", "shared_url", "shared_databases", "hall_code"]
    assert markers_for(closure, {"shared_url": "postgresql"}) == {"postgres"}
    assert markers_for(closure, {"shared_url": "sqlite"}) == set()
    assert carried(request) == set()  # hall_code alone needs nothing


def test_each_fixture_that_needs_something_names_its_marker() -> None:
    assert markers_for(["fresh_broker"], {}) == {"broker"}
    assert markers_for(["pg_url"], {"db_url": "postgresql"}) == {"postgres"}
    assert markers_for(["xvfb_run"], {}) == {"screen"}
    assert markers_for(["browser", "broker"], {}) == {"browser", "broker"}
    assert markers_for(["tmp_path"], {"db_url": "sqlite"}) == set()


def test_minus_m_deselects_the_tests_whose_fixtures_need_the_thing(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n" + "".join(f"    {name}: needs it\n" for name in NEEDS))
    pytester.makeconftest("from tests.conftest import broker, pytest_collection_modifyitems  # noqa: F401\n")
    pytester.makepyfile(
        test_sample="""
        import pytest

        @pytest.fixture
        def served(broker):  # needs the broker one fixture down
            return broker

        def test_served(served): pass
        def test_plain(): pass
        """
    )
    result = pytester.runpytest("--collect-only", "-q", "-m", "not broker")
    result.stdout.fnmatch_lines(["test_sample.py::test_plain", "*1 deselected*"])
    assert "test_served" not in result.stdout.str()
