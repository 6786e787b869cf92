"""Never miss, repeat or reorder a call: the ``seq`` bookkeeping of a display (pure, no I/O).

The server numbers every call and recall of a hall with ``seq`` (+1 each, never repeated). The
sequencer turns whatever arrives (live calls, the retained hall state, ``calls.since`` replies, in
any order, with duplicates) into one stream delivered exactly once, in ``seq`` order:

- the first thing seen sets the baseline: a retained state's ``seq`` (its calls are history, painted
  but not delivered), or a live call (delivered);
- ``seq <= last``: already delivered (a QoS 1 duplicate, a replay overlap) → ignored;
- ``seq == last + 1`` → delivered, with any buffered successors;
- ``seq > last + 1`` → a gap: the call is buffered and a replay ``calls.since(last)`` is asked;
- a retained state with ``seq > last`` → calls were missed (typically while disconnected) → replay;
- a replay reply fills the gap; if the server no longer has a missing ``seq`` (its history is
  bounded), what is buffered is delivered anyway, in order, once the reply says nothing is left;
- a replay that keeps failing (``give_up`` after ``max_attempts``) delivers the buffer the same way:
  a late call on screen beats a frozen screen; with nothing buffered (only a retained state told of
  missed calls) the replay is retried until the server answers, since nothing waits behind it.

A server whose database was reset starts numbering again: a call with ``seq <= last`` that is newer
(``ts``) than anything seen and not one we already have is taken as a new series (``rebased``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from queue_server.protocol.messages import CallEvent, CallsSinceResult

REMEMBER = 2000  # seqs whose identity is kept to tell a duplicate from a renumbered series
MAX_BUFFER = 500  # calls held behind a gap before giving up on the gap


@dataclass(frozen=True, slots=True)
class Replay:
    """Ask the server ``calls.since(since)``."""

    since: int


@dataclass(slots=True)
class Outcome:
    """What the caller must do after feeding the sequencer: show/announce ``deliver`` (in this
    order), then ask for ``replay`` if set."""

    deliver: list[CallEvent] = field(default_factory=list)
    replay: Replay | None = None

    def __bool__(self) -> bool:
        return bool(self.deliver) or self.replay is not None


class CallSequencer:
    def __init__(self, max_attempts: int = 5) -> None:
        self.last: int | None = None
        self.max_attempts = max_attempts
        self.replay_in_flight: int | None = None
        self.rebased = 0
        self.gaps_given_up = 0
        self._attempts = 0
        self._buffer: dict[int, CallEvent] = {}
        self._seen: OrderedDict[int, tuple[str, str, float]] = OrderedDict()
        self._newest_ts = 0.0

    # --- inputs ---------------------------------------------------------------------------------

    def on_state_seq(self, seq: int, ts: float = 0.0) -> Outcome:
        """The ``seq`` (and ``ts``) of a hall state (retained on start and after every reconnect)."""
        if self.last is None:
            self._newest_ts = max(self._newest_ts, ts)
            self.last = seq
            return self._drain()
        if seq > self.last:
            return self._want_replay()
        return Outcome()

    def on_call(self, call: CallEvent) -> Outcome:
        if self.last is None:
            self.last = call.seq - 1
        if call.seq <= self.last:
            if self._is_new_series(call):
                self._rebase(call.seq - 1)
            else:
                return Outcome()
        if call.seq in self._buffer:
            return Outcome()
        self._buffer[call.seq] = call
        out = self._drain()
        if self._buffer:  # still something beyond a gap
            if len(self._buffer) > MAX_BUFFER:
                return self._give_up(out)
            replay = self._want_replay()
            out.replay = replay.replay
        return out

    def on_reconnect(self) -> Outcome:
        """After the link came back: ask what was missed (the retained state may lag the calls)."""
        if self.last is None:
            return Outcome()
        self.replay_in_flight = None
        return self._want_replay()

    def on_replay(self, since: int, result: CallsSinceResult) -> Outcome:
        """The reply to ``calls.since(since)``."""
        self.replay_in_flight = None
        self._attempts = 0
        for call in result.calls:
            if self.last is not None and call.seq > self.last:
                self._buffer.setdefault(call.seq, call)
        out = self._drain()
        if result.more and result.calls:
            out.replay = self._want_replay().replay
        elif self._buffer:
            # The server has nothing more: the missing seqs are gone for good. Deliver what we hold.
            out.deliver += self._flush()
        return out

    def on_replay_failed(self, since: int) -> Outcome:
        """``calls.since`` got no answer (server away). Retry, up to ``max_attempts``, then give up.

        With nothing held behind the gap (a retained state told of missed calls) nothing is frozen on
        screen: the replay is retried for as long as the server is away, and nothing is given up."""
        self.replay_in_flight = None
        if not self._buffer:
            self._attempts = 0
            return self._want_replay()
        self._attempts += 1
        if self._attempts >= self.max_attempts:
            self._attempts = 0
            return self._give_up(Outcome())
        return self._want_replay()

    # --- state ----------------------------------------------------------------------------------

    @property
    def buffered(self) -> list[int]:
        return sorted(self._buffer)

    @property
    def gap_open(self) -> bool:
        return bool(self._buffer) or self.replay_in_flight is not None

    # --- internals ------------------------------------------------------------------------------

    def _want_replay(self) -> Outcome:
        assert self.last is not None
        if self.replay_in_flight is not None:
            return Outcome()
        self.replay_in_flight = self.last
        return Outcome(replay=Replay(self.last))

    def _drain(self) -> Outcome:
        out = Outcome()
        assert self.last is not None
        while (nxt := self._buffer.pop(self.last + 1, None)) is not None:
            self._accept(nxt)
            out.deliver.append(nxt)
        # Anything at or below last (a late duplicate) is dead weight.
        for seq in [s for s in self._buffer if s <= self.last]:
            del self._buffer[seq]
        return out

    def _flush(self) -> list[CallEvent]:
        calls = [self._buffer[s] for s in sorted(self._buffer)]
        self._buffer.clear()
        for call in calls:
            self._accept(call)
        return calls

    def _give_up(self, out: Outcome) -> Outcome:
        self.gaps_given_up += 1
        self.replay_in_flight = None
        out.deliver += self._flush()
        return out

    def _accept(self, call: CallEvent) -> None:
        self.last = call.seq
        self._seen[call.seq] = (call.ticket, call.window, call.ts)
        self._seen.move_to_end(call.seq)
        while len(self._seen) > REMEMBER:
            self._seen.popitem(last=False)
        self._newest_ts = max(self._newest_ts, call.ts)

    def _is_new_series(self, call: CallEvent) -> bool:
        if self._newest_ts <= 0 or call.ts <= self._newest_ts:
            return False  # an old call (a duplicate or a late redelivery), or nothing to compare with
        known = self._seen.get(call.seq)
        return known is None or known != (call.ticket, call.window, call.ts)

    def _rebase(self, last: int) -> None:
        self.rebased += 1
        self.last = last
        self._buffer.clear()
        self._seen.clear()
        self.replay_in_flight = None


def seqs(calls: Iterable[CallEvent]) -> list[int]:
    return [c.seq for c in calls]
