"""The soak run: a simulated hall day against the system as deployed (harness/hall_day.py).

A ``hallq server`` process, a private Mosquitto, kiosks, window staff and hall displays on their own
MQTT links; mid-day the broker restarts and the server is stopped (SIGTERM) and started again on the
same database. At the end of the day:

- no ticket lost or doubled: every ticket a kiosk printed is in the database exactly once, under the
  request id the kiosk sent, and nothing else is; a request sent more than once (the server away, the
  broker restarting, a kiosk's cable pulled after its request reached the server) got the same ticket
  in every reply; every ticket was called and finished;
- every call shown in order: each display was given every call ``seq`` 1..N exactly once, in order,
  the same ticket at the same window as the database's call of that ``seq``, also the display that
  was off the network while calls were made (it replayed them with ``calls.since``);
- memory flat: the restarted server's RSS grew less than 10% from its warm-up to the end of the day
  (on SQLite the warm-up also fills the page cache of each pooled connection, a bounded few MB).

The short day (150 tickets, SQLite) runs in the default suite, in about 20 s; the whole day (2,400
tickets over 4 minutes, once on SQLite and once on PostgreSQL) is ``-m slow``. Each prints its figures
(``-s`` shows them).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from harness.broker import mosquitto_binary
from harness.hall_day import HALL, DayPlan, DayReport, run_day
from queue_server.services.queue.tickets import scoped_key
from queue_server.store import tables as t

pytestmark = pytest.mark.broker

SHORT = DayPlan(tickets=150, day_s=15, kiosks=6, windows=6, displays=2, server_restart_at=0.25)
WHOLE = DayPlan(
    tickets=2400, day_s=240, kiosks=12, windows=12, displays=3, broker_restart_at=0.1, server_restart_at=0.2,
    warm_at=0.45, cable_pulls=(0.35, 0.6, 0.85), screen_pulls=(0.5, 0.75),
)  # fmt: skip
RSS_GROWTH_LIMIT = 0.10


@pytest.fixture(autouse=True)
def _needs_mosquitto() -> None:
    if mosquitto_binary() is None:
        pytest.skip("mosquitto is not installed (scripts/bootstrap installs it)")


def test_a_short_hall_day_loses_no_ticket_shows_every_call_and_keeps_memory_flat(tmp_path: Path) -> None:
    check_day(run_day(SHORT, tmp_path))


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_whole_hall_day(tmp_path: Path, database: str, request: pytest.FixtureRequest) -> None:
    url = None if database == "sqlite" else request.getfixturevalue("pg_url")
    check_day(run_day(WHOLE, tmp_path, url))


def check_day(report: DayReport) -> None:
    print(report.summary())
    assert report.errors == []
    assert report.server_exit_codes == [0, 0], "each server stopped in order on SIGTERM"
    tickets, calls = read_database(report.database_url)
    check_tickets(report, tickets)
    check_calls(report, tickets, calls)
    assert report.memory.growth < RSS_GROWTH_LIMIT, report.summary()


@dataclass(frozen=True)
class Row:
    token: str  # the ticket_id of the protocol
    request_id: str | None
    number: str
    state: str
    issued_at: datetime


@dataclass(frozen=True)
class CallRow:
    seq: int
    token: str
    window: str
    kind: str
    at: float  # epoch s


def read_database(url: str) -> tuple[list[Row], list[CallRow]]:
    engine = sa.create_engine(url)
    try:
        with Session(engine) as session:
            hall = session.exec(select(t.Hall).where(t.Hall.code == HALL)).one()
            tickets = session.exec(select(t.Ticket).where(t.Ticket.hall_id == hall.id)).all()
            in_order = select(t.Call).where(t.Call.hall_id == hall.id).order_by(col(t.Call.seq))
            calls = session.exec(in_order).all()
            rows = [Row(x.public_id, x.request_id, x.number, x.state, x.issued_at) for x in tickets]
            made = [CallRow(c.seq, c.public_id, c.window_no, c.kind, c.ts.timestamp()) for c in calls]
            return rows, made
    finally:
        engine.dispose()


def check_tickets(report: DayReport, rows: list[Row]) -> None:
    # A ticket row keeps its kiosk's request id scoped (a digest): back to the kiosk's own ids.
    own = {scoped_key(f"device:{k.device_id}", rid): rid for k in report.kiosks for rid in k.issued()}
    rows = [replace(row, request_id=own.get(row.request_id or "", row.request_id)) for row in rows]
    not_issued = [(k.device_id, t) for k in report.kiosks for t in k.taken if t.request_id not in k.issued()]
    assert not_issued == [], "every citizen got a ticket"
    printed = {rid: ticket for k in report.kiosks for rid, ticket in k.issued().items()}
    assert len(printed) == report.plan.tickets
    by_token = Counter(row.token for row in rows)
    assert [token for token, n in by_token.items() if n > 1] == []
    in_db = {row.token: (row.request_id, row.number) for row in rows}
    assert {x.ticket_id: (rid, x.number) for rid, x in printed.items()} == in_db, "one row per printed ticket"
    assert Counter(row.state for row in rows) == {"done": len(rows)}, "every ticket served"
    resent = {rid: replies for k in report.kiosks for rid, replies in k.resent().items()}
    assert resent, "the outages made kiosks resend (else the day proved nothing about retries)"
    for rid, replies in resent.items():
        assert set(replies) == {printed[rid].ticket_id}, f"{rid}: every reply names the printed ticket"
    # A pulled cable lost the reply to a request the server had: the ticket was made before the
    # kiosk, back on the network, sent the same id again (the first copy that reached it, since the
    # cable lost the echo of the original), and that resend was answered with the same ticket.
    issued_at = {row.request_id: row.issued_at.timestamp() for row in rows}
    cut = [(rid, k) for k in report.kiosks for rid in k.cut_requests]
    assert len(cut) == len(report.plan.cable_pulls)
    for rid, k in cut:
        assert k.sent_at[rid], f"{rid}: the kiosk resent the request whose reply it lost"
        assert k.requested_at[rid] <= issued_at[rid] < k.sent_at[rid][0], f"{rid}: made by the first send"
        assert set(k.replies[rid]) == {printed[rid].ticket_id}, f"{rid}: the resend got the same ticket"
    for kiosk in report.kiosks:
        assert [t.ticket_id for t in kiosk.paper.tickets] == [t.ticket_id for t in kiosk.issued().values()]


def check_calls(report: DayReport, tickets: list[Row], calls: list[CallRow]) -> None:
    assert [c.seq for c in calls] == list(range(1, len(tickets) + 1)), "one call per ticket"
    assert {c.kind for c in calls} == {"call"}
    expected = [(c.seq, c.token, c.window) for c in calls]
    made = sorted((c.seq, c.ticket_id, c.window) for s in report.staff for c in s.calls)
    assert made == expected, "the windows' replies name the database's calls"
    for screen in report.screens:
        shown = [(c.seq, c.ticket_id, c.window) for c in screen.board.shown]
        assert shown == expected, f"{screen.device_id}: every call once, in order"
        assert screen.runtime.sequencer.gaps_given_up == 0
    # The screen taken off the network missed the calls made meanwhile: it showed them all the same,
    # replayed with calls.since once back.
    offline = report.screens[0].offline
    assert len(offline) == len(report.plan.screen_pulls)
    for start, end in offline:
        missed = [c.seq for c in calls if start < c.at < end]
        assert missed, "calls were made while the screen was off the network"
    assert report.screens[0].runtime.replays >= len(offline)
