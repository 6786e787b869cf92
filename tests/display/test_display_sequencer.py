"""The call sequencer: every call exactly once, in seq order, whatever arrives and in what order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from display.sequencer import MAX_BUFFER, CallSequencer, Replay
from queue_server.protocol.messages import CallEvent, CallsSinceResult
from tests.display.helpers import call


def seqs_of(calls: list[CallEvent]) -> list[int]:
    return [c.seq for c in calls]


def test_first_state_sets_the_baseline_and_history_is_not_delivered() -> None:
    s = CallSequencer()
    out = s.on_state_seq(41)
    assert not out
    assert s.last == 41
    assert seqs_of(s.on_call(call(42)).deliver) == [42]


def test_calls_in_order_are_delivered_once_and_duplicates_ignored() -> None:
    s = CallSequencer()
    s.on_state_seq(0)
    delivered = []
    for seq in (1, 2, 2, 3, 1, 3):  # QoS 1 redeliveries
        out = s.on_call(call(seq))
        assert out.replay is None
        delivered += seqs_of(out.deliver)
    assert delivered == [1, 2, 3]


def test_a_gap_buffers_and_asks_for_a_replay_once() -> None:
    s = CallSequencer()
    s.on_state_seq(10)
    out = s.on_call(call(13))
    assert out.deliver == []
    assert out.replay == Replay(10)
    # a second early call while the replay is in flight does not ask again
    out = s.on_call(call(14))
    assert out.deliver == [] and out.replay is None
    assert s.buffered == [13, 14]
    out = s.on_replay(10, CallsSinceResult(calls=[call(11), call(12), call(13)]))
    assert seqs_of(out.deliver) == [11, 12, 13, 14]
    assert s.last == 14 and not s.gap_open


def test_a_newer_retained_state_means_calls_were_missed() -> None:
    s = CallSequencer()
    s.on_state_seq(5)
    s.on_call(call(6))
    out = s.on_state_seq(9)  # e.g. the retained state after a reconnect
    assert out.replay == Replay(6)
    out = s.on_replay(6, CallsSinceResult(calls=[call(7), call(8), call(9)]))
    assert seqs_of(out.deliver) == [7, 8, 9]


def test_an_older_or_equal_state_changes_nothing() -> None:
    s = CallSequencer()
    s.on_state_seq(5)
    s.on_call(call(6))
    assert not s.on_state_seq(6)
    assert not s.on_state_seq(3)
    assert s.last == 6


def test_replay_in_pages_follows_more() -> None:
    s = CallSequencer()
    s.on_state_seq(0)
    assert s.on_call(call(5)).replay == Replay(0)
    out = s.on_replay(0, CallsSinceResult(calls=[call(1), call(2)], more=True))
    assert seqs_of(out.deliver) == [1, 2]
    assert out.replay == Replay(2)
    out = s.on_replay(2, CallsSinceResult(calls=[call(3), call(4), call(5)]))
    assert seqs_of(out.deliver) == [3, 4, 5]


def test_calls_the_server_no_longer_has_are_skipped_not_waited_for_forever() -> None:
    s = CallSequencer()
    s.on_state_seq(0)
    s.on_call(call(1))
    s.on_call(call(5))
    out = s.on_replay(1, CallsSinceResult(calls=[call(3), call(5)]))  # 2 and 4 are gone
    assert seqs_of(out.deliver) == [3, 5]
    assert s.last == 5 and s.buffered == []


def test_a_failing_replay_is_retried_then_the_buffer_is_delivered() -> None:
    s = CallSequencer(max_attempts=3)
    s.on_state_seq(0)
    assert s.on_call(call(3)).replay == Replay(0)
    assert s.on_replay_failed(0).replay == Replay(0)
    assert s.on_replay_failed(0).replay == Replay(0)
    out = s.on_replay_failed(0)
    assert seqs_of(out.deliver) == [3] and out.replay is None
    assert s.gaps_given_up == 1


def test_missed_calls_told_by_a_state_are_asked_for_until_the_server_answers() -> None:
    s = CallSequencer(max_attempts=3)
    s.on_state_seq(0)
    assert s.on_state_seq(2).replay == Replay(0)  # calls 1 and 2 were made while we were away
    for _ in range(10):  # the server is away far longer than max_attempts: nothing is held, keep asking
        assert s.on_replay_failed(0).replay == Replay(0)
    assert s.gaps_given_up == 0
    out = s.on_replay(0, CallsSinceResult(calls=[call(1), call(2)]))
    assert seqs_of(out.deliver) == [1, 2] and s.last == 2


def test_reconnect_asks_what_was_missed() -> None:
    s = CallSequencer()
    assert not s.on_reconnect()  # nothing seen yet: nothing to ask
    s.on_state_seq(7)
    assert s.on_reconnect().replay == Replay(7)


def test_a_huge_gap_stops_buffering() -> None:
    s = CallSequencer()
    s.on_state_seq(0)
    out = None
    for seq in range(2, MAX_BUFFER + 3):
        out = s.on_call(call(seq))
    assert out is not None and out.deliver and out.deliver[0].seq == 2
    assert s.buffered == []


def test_a_renumbered_series_after_a_server_reset_is_followed() -> None:
    s = CallSequencer()
    s.on_state_seq(0)
    for seq in (1, 2, 3):
        s.on_call(call(seq, ts=1000.0 + seq))
    # an old duplicate of 2 stays ignored …
    assert not s.on_call(call(2, ts=1002.0))
    # … but a new call numbered 1 with a newer timestamp starts a new series
    out = s.on_call(call(1, ticket="B001", ts=2000.0))
    assert seqs_of(out.deliver) == [1]
    assert s.rebased == 1


@settings(max_examples=200)
@given(
    n=st.integers(min_value=1, max_value=40),
    base=st.integers(min_value=0, max_value=5),
    data=st.data(),
)
def test_any_arrival_order_with_losses_and_duplicates_delivers_each_call_once_in_order(
    n: int, base: int, data: st.DataObject
) -> None:
    """Live calls arrive shuffled, duplicated, some lost; retained states come in between; replays
    are answered from the server's full record, in pages. Result: base+1..base+n, once, in order."""
    record = [call(base + i) for i in range(1, n + 1)]
    arrivals = data.draw(st.lists(st.sampled_from(record), max_size=3 * n), label="arrivals")
    states = data.draw(st.lists(st.integers(min_value=base, max_value=base + n), max_size=5), label="states")
    s = CallSequencer()
    s.on_state_seq(base)
    delivered: list[int] = []
    pending: list[Replay] = []

    def apply(out_deliver: list[CallEvent], replay: Replay | None) -> None:
        delivered.extend(c.seq for c in out_deliver)
        if replay is not None:
            pending.append(replay)

    events: list[tuple[str, int]] = [("call", c.seq) for c in arrivals] + [("state", x) for x in states]
    order = data.draw(st.permutations(events), label="order")
    for kind, value in order:
        out = s.on_call(record[value - base - 1]) if kind == "call" else s.on_state_seq(value)
        apply(out.deliver, out.replay)
        while pending:
            answer_now: bool = data.draw(st.booleans(), label="answer now")
            if not answer_now:
                break
            r = pending.pop(0)
            newer = [c for c in record if c.seq > r.since]
            out = s.on_replay(r.since, CallsSinceResult(calls=newer[:7], more=len(newer) > 7))
            apply(out.deliver, out.replay)
    # the hall's final retained state, then replays until quiet
    out = s.on_state_seq(base + n)
    apply(out.deliver, out.replay)
    while pending:
        r = pending.pop(0)
        newer = [c for c in record if c.seq > r.since]
        out = s.on_replay(r.since, CallsSinceResult(calls=newer[:7], more=len(newer) > 7))
        apply(out.deliver, out.replay)
    assert delivered == list(range(base + 1, base + n + 1))
