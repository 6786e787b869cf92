"""schemathesis over the server's own OpenAPI, against a real hall served by uvicorn on loopback: no
request it makes up (valid or not) gets a server error (5xx).

Requests are signed in as the hall's admin and aimed at the hall's real code, so they get past the
sign-in and not-found checks into the routes. The live streams are left out (a stream answers for 15 s).
The CI run makes a few examples per operation; ``-m slow`` runs many more.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err

from harness.factories import PASSWORD
from tests.services.helpers import make_desk_hall
from tests.web.server import RunningServer, make_app, serve

QUICK_EXAMPLES = 3
LONG_EXAMPLES = 100
ENDS_THE_TOKEN = frozenset(
    {"/api/auth/logout", "/api/auth/password", "/api/halls/{hall}/staff/{login}/password"}
)


@dataclass
class Target:
    code: str
    server: RunningServer
    headers: dict[str, str]
    schema: dict[str, Any]


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    code = "fuzz"
    dh = make_desk_hall(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'hallq.db'}", code, migrate=True)
    app = make_app(dh.hall)
    server = serve(app)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        reply = client.post("/api/auth/token", json={"hall": code, "login": "admin", "password": PASSWORD})
        assert reply.status_code == 200, reply.text
        token = reply.json()["access_token"]
    spec = app.openapi()
    spec["paths"] = {path: ops for path, ops in spec["paths"].items() if not path.endswith("/live")}
    yield Target(code, server, {"Authorization": f"Bearer {token}"}, spec)
    server.stop()
    dh.hall.close()


def _fuzz(target: Target, examples: int) -> list[str]:
    """Every operation with ``examples`` made-up requests; what each one that got a 5xx was."""
    found: list[str] = []
    operations = []
    for result in schemathesis.openapi.from_dict(target.schema).get_all_operations():
        if isinstance(result, Err):  # an operation schemathesis cannot read: worth knowing, not skipping
            found.append(f"schema: {result.err()}")
        else:
            operations.append(result.ok())
    # Signing out (or a reset of the admin's own password) ends the token every request carries: those
    # come last, so the other operations are fuzzed signed in.
    operations.sort(key=lambda op: op.path in ENDS_THE_TOKEN)
    for operation in operations:

        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck))
        @given(operation.as_strategy())
        def run(case: Any) -> None:
            _call(case, target)

        try:
            run()
        except (Exception, FailureGroup) as exc:  # every operation's failures are reported at the end
            causes = [repr(e)[:1000] for e in getattr(exc, "exceptions", ())]
            found.append(f"{operation.label}: {str(exc)[:2000]} {causes}")
    return found


def _call(case: Any, target: Target) -> None:
    if "hall" in (case.path_parameters or {}):
        case.path_parameters["hall"] = target.code
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # requests' and urllib3's own deprecation notes
        response = case.call(base_url=target.server.url, headers=target.headers, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])


def test_no_request_gets_a_server_error(target: Target) -> None:
    assert len(target.schema["paths"]) >= 40  # a run over an empty description would pass trivially
    failures = _fuzz(target, QUICK_EXAMPLES)
    assert not failures, "\n\n".join(failures)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_no_request_gets_a_server_error_long_run(target: Target) -> None:
    failures = _fuzz(target, LONG_EXAMPLES)
    assert not failures, "\n\n".join(failures)
