"""PostgreSQL behind a cable that can be pulled: a partition answers 503 instead of holding threads.

The database sits behind ``harness.proxy.CuttableProxy``; ``mute()`` drops every byte PostgreSQL sends
from then on, as a partition does, while the client's bytes still reach it (so TCP itself sees nothing
wrong). Without the connect timeout and the client's statement deadline the requests below never
return; ``eventually`` bounds how long the test waits for them, so such a hang fails the test.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from harness.factories import build_hall, make_settings
from harness.proxy import CuttableProxy
from harness.waiting import eventually
from queue_server.api import create_app
from queue_server.errors import UnavailableError
from queue_server.protocol.messages import TicketIssueArgs, TicketResult
from queue_server.services import Services
from queue_server.store import make_engine
from queue_server.store.engine import DbTimeouts
from queue_server.store.pg_timeouts import CLIENT_GRACE_S

with warnings.catch_warnings():
    # As tests/api/conftest.py: Starlette prefers the httpx2 fork for its TestClient and warns.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

TIMEOUTS = DbTimeouts(connect_s=2, statement_s=1)
# The longest a request may take under these timeouts: a pre-ping abandoned at the client's deadline,
# then a reconnect given up at the connect timeout; doubled for a loaded machine.
ANSWER_WITHIN_S = 2 * (1 + CLIENT_GRACE_S + 2) + 10
# Kiosks' issues queued during a partition: alone, each would wait as long as the first.
KIOSK_ISSUES = 6


@pytest.fixture
def proxied(pg_url: str, hall_code: str) -> Iterator[tuple[CuttableProxy, Engine]]:
    build_hall(pg_url, code=hall_code).close()  # schema and a small hall, straight to the database
    url = make_url(pg_url)
    proxy = CuttableProxy(url.port or 5432)
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    engine = make_engine(via_proxy, timeouts=TIMEOUTS)
    try:
        yield proxy, engine
    finally:
        proxy.close()
        engine.dispose()


def in_background(fn: Callable[[], Any]) -> Callable[[], list[Any]]:
    """Run ``fn`` in a thread; the returned probe gives ``[result or exception]`` once it returned."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except Exception as exc:
            outcome.append(exc)

    threading.Thread(target=run, daemon=True).start()
    return lambda: outcome


def test_a_statement_without_an_answer_becomes_unavailable(proxied: tuple[CuttableProxy, Engine]) -> None:
    proxy, engine = proxied
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        proxy.mute()
        done = in_background(lambda: conn.execute(text("SELECT 2")).scalar())
        (outcome,) = eventually(done, ANSWER_WITHIN_S, what="the muted statement to give up")
    assert isinstance(outcome, UnavailableError), outcome
    assert outcome.http_status == 503


def test_a_connection_attempt_without_an_answer_becomes_unavailable(
    proxied: tuple[CuttableProxy, Engine],
) -> None:
    proxy, engine = proxied
    proxy.mute()  # nothing pooled yet: the first connect meets the partition

    def connect() -> object:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar()

    (outcome,) = eventually(in_background(connect), ANSWER_WITHIN_S, what="the muted connect to give up")
    assert isinstance(outcome, UnavailableError), outcome


def test_the_server_cancels_a_statement_past_its_timeout(proxied: tuple[CuttableProxy, Engine]) -> None:
    _, engine = proxied
    with pytest.raises(UnavailableError), engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(30)"))  # statement_timeout is 1 s
    with engine.connect() as conn:  # the pool still works
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_the_http_api_answers_503_during_a_partition_and_recovers(
    proxied: tuple[CuttableProxy, Engine], hall_code: str
) -> None:
    proxy, engine = proxied
    services = Services(engine, make_settings(hall=hall_code))
    with TestClient(create_app(services.settings, services)) as client:
        state = f"/api/halls/{hall_code}/state"
        assert client.get(state).status_code == 200  # the pool holds a live connection now
        proxy.mute()
        (reply,) = eventually(
            in_background(lambda: client.get(state)), ANSWER_WITHIN_S, what="an answer during the partition"
        )
        assert isinstance(reply, httpx.Response), reply
        assert (reply.status_code, reply.json()["code"]) == (503, "unavailable")
        proxy.resume()
        eventually(lambda: client.get(state).status_code == 200, ANSWER_WITHIN_S, what="recovery")


def test_issues_queued_during_a_partition_are_all_answered_unavailable_at_once(
    proxied: tuple[CuttableProxy, Engine], hall_code: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The group commit's batch fails once for all its writes: none of them then waits for the
    database again alone (a batch of 16 waited sixteen times, one after the other)."""
    proxy, engine = proxied
    services = Services(engine, make_settings(hall=hall_code))
    args = TicketIssueArgs(service="A")
    services.issue_ticket(hall_code, args, request_id="before", device_id="kiosk-1")  # a pooled connection
    outcomes: list[Any] = []
    lock = threading.Lock()

    def done(reply: TicketResult | None, error: BaseException | None) -> None:
        with lock:
            outcomes.append(error if error is not None else reply)

    proxy.mute()
    with caplog.at_level(logging.INFO, logger="queue_server.services.engine.runner"):
        for i in range(KIOSK_ISSUES):
            services.issue_ticket_async(hall_code, args, done, request_id=f"during-{i}", device_id="kiosk-1")
        eventually(lambda: len(outcomes) == KIOSK_ISSUES, 2 * ANSWER_WITHIN_S, what="every issue answered")
    assert all(isinstance(outcome, UnavailableError) for outcome in outcomes), outcomes
    said = [r.getMessage() for r in caplog.records if r.name == "queue_server.services.engine.runner"]
    assert said and all(message.endswith("the database is unavailable") for message in said), said
    proxy.resume()
    again = services.issue_ticket(hall_code, args, request_id="during-0", device_id="kiosk-1")
    assert again.number == "A002"  # a retransmission after the partition: issued now, once
