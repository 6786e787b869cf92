"""After commit the announcers hear calls, window changes and the hall state; seq survives restarts;
failures announce nothing; ratings and device statuses."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from harness.factories import HallFixture, RecordingAnnouncer, build_hall
from queue_server.errors import HallqError, InvalidStateError, QueueEmptyError
from queue_server.protocol.messages import CallKind, ErrorCode, RatingEvent, WindowStatus
from queue_server.services import Services
from queue_server.store.tables import Device, Rating


def test_calls_windows_and_state_are_announced_after_commit(shared_url: str, hall_code: str) -> None:
    hall = build_hall(shared_url, code=hall_code, migrate=False, record=True)
    try:
        seen = hall.announcer
        hall.issue("A")
        assert seen.states[-1].waiting["A"] == 1
        actor = hall.open_window("1", "zhang")
        call = hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid()).call
        recall = hall.services.recall(hall.code, "1", actor=actor, request_id=hall.rid()).call
        assert call is not None and recall is not None
        assert [(c.seq, c.kind) for c in seen.calls] == [(1, CallKind.CALL), (2, CallKind.RECALL)]
        assert seen.calls[0].say == "请A001号到1号窗口办理"
        assert seen.windows[-1].status is WindowStatus.CALLING and seen.windows[-1].ticket == "A001"
        state = seen.states[-1]
        assert (state.seq, state.waiting["A"], state.windows["1"].ticket) == (2, 0, "A001")
        assert [c.seq for c in state.recent_calls] == [1, 2]
        before = (len(seen.calls), len(seen.windows), len(seen.states))
        with pytest.raises(InvalidStateError):
            hall.services.finish(hall.code, "1", None, actor=actor, request_id=hall.rid())
        assert (len(seen.calls), len(seen.windows), len(seen.states)) == before
        # A restarted server continues the sequence from the database.
        restarted = Services(hall.engine, hall.settings, hall.clock, [RecordingAnnouncer()])
        hall.services.no_show(hall.code, "1", actor=actor, request_id=hall.rid())
        hall.issue("A")
        again = restarted.call_next(hall.code, "1", actor=actor, request_id=hall.rid()).call
        assert again is not None and again.seq == 3
        replay = restarted.calls_since(hall.code, 1, limit=1)
        assert ([c.seq for c in replay.calls], replay.more) == ([2], True)
    finally:
        hall.close()


def test_an_idempotent_replay_of_a_window_op_creates_nothing(hall: HallFixture) -> None:
    hall.issue("A")
    hall.issue("A")
    actor = hall.open_window("1", "zhang")
    first = hall.services.call_next(hall.code, "1", actor=actor, request_id="agent-1-7-1")
    again = hall.services.call_next(hall.code, "1", actor=actor, request_id="agent-1-7-1")
    assert again == first
    assert hall.services.calls_since(hall.code, 0, 10).calls == [first.call]
    hall.services.open_window(hall.code, "2", actor=hall.manager)
    with pytest.raises(QueueEmptyError):  # window 2 serves B: nobody waits
        hall.services.call_next(hall.code, "2", actor=hall.manager, request_id="x-1")


def test_ratings_one_per_visit_and_bad_ones_get_a_deadline(hall: HallFixture) -> None:
    hall.issue("A")
    actor = hall.open_window("1", "zhang")
    hall.services.call_next(hall.code, "1", actor=actor, request_id=hall.rid())
    hall.services.start(hall.code, "1", actor=actor, request_id=hall.rid())
    hall.services.finish(hall.code, "1", None, actor=actor, request_id=hall.rid())
    hall.services.record_rating(hall.code, "1", RatingEvent(id="r1", score=2), device_id="agent-1")
    hall.services.record_rating(hall.code, "1", RatingEvent(id="r1", score=2), device_id="agent-1")  # resent
    with pytest.raises(HallqError) as twice:
        hall.services.record_rating(hall.code, "1", RatingEvent(id="r2", score=5), device_id="agent-1")
    assert twice.value.code is ErrorCode.CONFLICT
    with Session(hall.engine) as s:
        rating = s.exec(select(Rating).where(Rating.hall_id == hall.hall_id)).one()
    # 15 working days after Wednesday 12 March 2025 (no holidays in between): Wednesday 2 April.
    assert (rating.score, rating.bad, str(rating.rectification_due)) == (2, True, "2025-04-02")


def test_device_status_keeps_the_newest_boot(hall: HallFixture) -> None:
    def status(state: str, boot: int) -> bytes:
        return json.dumps({"state": state, "boot": boot, "kind": "kiosk"}).encode()

    hall.services.record_device_status(hall.code, "kiosk-1", status("online", 8))
    hall.services.record_device_status(hall.code, "kiosk-1", status("offline", 7))  # a stale Last Will
    with Session(hall.engine) as s:
        device = s.exec(
            select(Device).where(Device.hall_id == hall.hall_id, Device.device_id == "kiosk-1")
        ).one()
    assert (device.state, device.boot) == ("online", 8)
    assert hall.services.device_window(hall.code, "agent-1") == "1"
    assert hall.services.device_window(hall.code, "kiosk-1") is None
