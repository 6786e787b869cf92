"""Property: whatever happens in a hall, the rollups the triggers keep equal a recomputation from the
raw rows: the ticket rollup against an independent one in Python, every rollup against ``rebuild``.

Random histories are played through the services (the running server's code path); each example is a
service day of its own in one hall, so the hall's history grows across examples and the property is
checked over all of it.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, col, select

from harness.factories import DEFAULT_START, SHANGHAI, HallFixture
from queue_server.errors import HallqError
from queue_server.protocol.messages import RatingEvent
from queue_server.services.ports import Actor, Role
from queue_server.services.queue.guide_models import EnquiryRequest
from queue_server.services.queue.models import TransferRequest
from queue_server.stats import idle
from queue_server.stats.buckets import bucket_of
from queue_server.stats.rebuild import rebuild
from queue_server.stats.rollups import CALL_SLOT_MIN, ROLLUPS, TICKETS, hist_columns
from queue_server.store.tables import Service, Ticket

WINDOWS = {"1": "zhang", "4": "zhao"}
VISITS = ["finish", "no_show", "transfer", "recall_finish", "leave_called", "leave_serving"]
OPS = st.one_of(
    st.tuples(
        st.just("issue"), st.sampled_from(["A", "B", "C"]), st.sampled_from(["kiosk", "desk", "elderly"])
    ),
    st.tuples(st.just("issue"), st.sampled_from(["A", "C"]), st.just("kiosk")),
    st.tuples(st.just("special"), st.sampled_from(["A", "C"])),
    st.tuples(
        st.just("visit"), st.sampled_from(sorted(WINDOWS)), st.sampled_from(VISITS), st.integers(0, 30)
    ),
    st.tuples(st.sampled_from(["pause", "resume", "close", "open"]), st.sampled_from(sorted(WINDOWS))),
    st.tuples(st.just("rate"), st.just("1"), st.integers(1, 5)),
    st.tuples(st.just("advance"), st.integers(0, 45)),
    st.tuples(st.just("enquiry"), st.sampled_from(["A01", "B01", None]), st.sampled_from(["A", "C"])),
    st.tuples(st.sampled_from(["hold", "unhold"]), st.integers(0, 5)),
)
CLERK = Actor(Role.GUIDE, "daoban")


def _visit(hall: HallFixture, window: str, outcome: str, minutes: int) -> None:
    """A call at the window and what became of it, ``minutes`` after the call."""
    s, code, actor = hall.services, hall.code, hall.staff(WINDOWS[window])
    s.call_next(code, window, actor=actor, request_id=hall.rid())
    hall.clock.advance(minutes=minutes // 3)
    if outcome == "leave_called":
        return
    if outcome == "no_show":
        s.no_show(code, window, actor=actor, request_id=hall.rid())
        return
    if outcome == "recall_finish":
        s.recall(code, window, actor=actor, request_id=hall.rid())
    s.start(code, window, actor=actor, request_id=hall.rid())
    hall.clock.advance(minutes=minutes, seconds=minutes % 7)
    if outcome == "transfer":
        s.transfer(code, window, TransferRequest(to_service="C"), actor=actor, request_id=hall.rid())
    elif outcome != "leave_serving":
        s.finish(code, window, None, actor=actor, request_id=hall.rid())


def _apply(hall: HallFixture, op: tuple[Any, ...]) -> None:
    s, code, kind = hall.services, hall.code, op[0]
    if kind == "advance":
        hall.clock.advance(minutes=op[1], seconds=op[1] % 7)
    elif kind == "issue":
        device = None if op[2] == "desk" else "kiosk-1"
        birth = date(1950, 1, 1) if op[2] == "elderly" else None
        hall.issue(op[1], device_id=device, birth_date=birth)
    elif kind == "special":
        s.issue_special(code, op[1], "急", actor=hall.manager)
    elif kind == "visit":
        _visit(hall, op[1], op[2], op[3])
    elif kind == "rate":
        s.record_rating(code, "1", RatingEvent(id=hall.rid(), score=op[2]), device_id="agent-1")
    elif kind == "open":
        hall.open_window(op[1], WINDOWS[op[1]])
    elif kind == "enquiry":
        request = EnquiryRequest(matter=op[1]) if op[1] else EnquiryRequest(service=op[2])
        s.guide_enquiry(code, request, actor=CLERK, request_id=hall.rid())
    elif kind in ("hold", "unhold"):
        _hold(hall, kind, op[1])
    else:
        actor, rid = hall.staff(WINDOWS[op[1]]), hall.rid()
        if kind == "pause":
            s.pause(code, op[1], "休息", actor=actor, request_id=rid)
        elif kind == "resume":
            s.resume(code, op[1], actor=actor, request_id=rid)
        else:
            s.close_window(code, op[1], actor=actor, request_id=rid)


def _hold(hall: HallFixture, kind: str, nth: int) -> None:
    """Hold the nth waiting ticket of the day, or put the nth held one back in the queue."""
    state = "waiting" if kind == "hold" else "held"
    with Session(hall.engine) as session:
        found = session.exec(
            select(Ticket.public_id)
            .where(Ticket.hall_id == hall.hall_id, Ticket.state == state)
            .order_by(col(Ticket.id))
        ).all()
    if not found:
        return
    ticket, s = found[nth % len(found)], hall.services
    if kind == "hold":
        s.hold_ticket(hall.code, ticket, actor=hall.manager, request_id=hall.rid())
    else:
        s.resume_ticket(hall.code, ticket, actor=hall.manager, request_id=hall.rid())


_REPLAYED: set[tuple[str, date]] = set()


def _replay_matches_the_rows(hall: HallFixture, day: date) -> None:
    """The idle figure's replay of the event log ends where the rows are: every window the day's events
    moved in its status, the same tickets waiting (so no event that moves a window or a ticket escapes
    its kind tables). Checked once per day of the hall (examples may fall on the same day)."""
    if (hall.code, day) in _REPLAYED or hall.clock.now.astimezone(SHANGHAI).date() != day:
        return  # the day was played before, or the history ran past midnight
    _REPLAYED.add((hall.code, day))
    with hall.engine.connect() as conn:
        serves = idle.window_services(conn, hall.hall_id)
        happened = idle.happenings(conn, hall.hall_id, day, SHANGHAI)
        statuses, waiting = idle.final_state(happened, serves)
        windows = conn.execute(
            text('SELECT id, status FROM "window" WHERE hall_id = :h'), {"h": hall.hall_id}
        ).all()
        rows = conn.execute(
            text("SELECT id FROM ticket WHERE hall_id = :h AND service_day = :d AND state = 'waiting'"),
            {"h": hall.hall_id, "d": day},
        ).all()
    busy = {"calling": idle.BUSY, "serving": idle.BUSY}
    moved = {w: busy.get(st, st) for w, st in windows if w in statuses}
    assert statuses == moved
    assert waiting == {r[0] for r in rows}


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000)


def _channel(t: Ticket, device_of: dict[int | None, str | None]) -> str:
    if t.special:
        return "special"
    if t.appointment_id is not None:
        return "appointment"
    device = t.device_id or device_of.get(t.parent_ticket_id)
    return "kiosk" if device is not None else "desk"


def _contribution(t: Ticket, target_ms: int) -> dict[str, int]:
    wait = _ms(t.issued_at, t.first_called_at)
    hand = _ms(t.started_at, t.finished_at) if t.state == "done" else None
    left = _ms(t.issued_at, t.finished_at)
    out = defaultdict(
        int,
        issued=int(t.parent_ticket_id is None),
        visits=int(wait is not None),
        served=int(t.state == "done"),
        no_show=int(t.state == "no_show"),
        transferred=int(t.state == "transferred"),
        voided=int(t.state == "void"),
        waiting=int(t.state in ("waiting", "held")),
        recalls=t.recall_count,
        in_target=int(wait is not None and wait <= target_ms),
        late_uncalled=int(wait is None and t.state not in ("waiting", "held") and (left or 0) > target_ms),
        wait_ms=wait or 0,
        handled=int(hand is not None),
        hand_ms=hand or 0,
    )
    if wait is not None:
        out[hist_columns("w")[bucket_of(wait)]] += 1
    if hand is not None:
        out[hist_columns("h")[bucket_of(hand)]] += 1
    return out


def _expected_tickets(hall: HallFixture) -> dict[tuple[str, str, str], dict[str, int]]:
    """stats_ticket recomputed in Python from the ticket rows."""
    expected: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with Session(hall.engine) as session:
        tickets = session.exec(select(Ticket).where(Ticket.hall_id == hall.hall_id)).all()
        targets = {s.id: s.target_wait_min * 60_000 for s in session.exec(select(Service))}
    device_of = {t.id: t.device_id for t in tickets}
    zone = hall.clock.now.tzinfo
    for t in tickets:
        called = None if t.first_called_at is None else t.first_called_at.astimezone(zone)
        slot = (
            "-"
            if called is None
            else f"{(called.hour * 60 + called.minute) // CALL_SLOT_MIN * CALL_SLOT_MIN:04d}"
        )
        keys = {
            "hour": str(t.issued_at.astimezone(zone).hour),
            "service": str(t.service_id),
            "window": str(t.window_id or 0),
            "staff": str(t.staff_id or 0),
            "channel": _channel(t, device_of),
            "priority": t.priority_class or "",
            "call_slot": slot,
        }
        for name, value in _contribution(t, targets[t.service_id]).items():
            for dim, key in keys.items():
                expected[dim, t.service_day.isoformat(), key][name] += value
    return {k: {m: v for m, v in row.items() if v} for k, row in expected.items() if any(row.values())}


def _stored(hall: HallFixture, table: str) -> set[tuple[Any, ...]]:
    """A rollup table's non-zero rows of the hall, days as ISO text."""
    with hall.engine.connect() as conn:
        rows = (
            conn.execute(text(f"SELECT * FROM {table} WHERE hall_id = :h"), {"h": hall.hall_id})  # noqa: S608
            .mappings()
            .all()
        )
    names = {r.table: r for r in ROLLUPS}[table].measure_names
    return {tuple(str(v) for v in row.values()) for row in rows if any(row[m] for m in names)}


def _stored_tickets(hall: HallFixture) -> dict[tuple[str, str, str], dict[str, int]]:
    with hall.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT * FROM stats_ticket WHERE hall_id = :h"), {"h": hall.hall_id}
        ).mappings()
        out = {}
        for row in rows:
            measures = {m: int(row[m]) for m in TICKETS.measure_names if row[m]}
            if measures:
                out[row["dim"], str(row["service_day"]), row["dim_key"]] = measures
    return out


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(day=st.integers(0, 10_000), ops=st.lists(OPS, min_size=10, max_size=40))
def test_rollups_equal_a_recomputation_from_raw_rows(
    hall: HallFixture, day: int, ops: list[tuple[Any, ...]]
) -> None:
    start = DEFAULT_START + timedelta(days=day % 300)
    hall.clock.set(start)
    for op in [("open", "1"), ("open", "4"), *ops]:
        with contextlib.suppress(HallqError):  # not allowed in this state: the history goes on without it
            _apply(hall, op)
    assert _stored_tickets(hall) == _expected_tickets(hall)
    _replay_matches_the_rows(hall, start.astimezone(SHANGHAI).date())
    before = {r.table: _stored(hall, r.table) for r in ROLLUPS}
    rebuild(hall.engine, hall.code)
    assert {r.table: _stored(hall, r.table) for r in ROLLUPS} == before
