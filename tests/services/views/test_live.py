"""The live hub: numbered events per hall, replay after a reconnect, resync after a restart or an
overflow, and closing every stream at once. Announcements come from other threads, as in the server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from harness.waiting import scaled
from queue_server.protocol.messages import CallEvent, CallKind, HallState, WindowState, WindowStatus
from queue_server.services.views.live import Closed, Item, LiveEvent, LiveHub, Resync

CALL = CallEvent(
    seq=1, kind=CallKind.CALL, ticket="A001", window="1", window_name="1号窗口", say="请A001号到1号窗口办理",
    ts=1.0, ticket_id="tok-1", service="A",
)  # fmt: skip
WAIT_S = scaled(5)  # for an item that must come: get() gives None only when it runs out

WINDOW = WindowState(
    window="1", name="1号窗口", status=WindowStatus.CALLING, ticket="A001", ticket_id="tok-1", ts=1.0
)


def _from_thread(*calls: Callable[[], None]) -> None:
    """Run the calls, in order, on another thread (as the services announce)."""

    def run() -> None:
        for call in calls:
            call()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_events_reach_a_subscriber_from_another_thread() -> None:
    hub = LiveHub()

    async def scenario() -> list[LiveEvent]:
        opened = hub.subscribe("h1", None)
        assert opened.replay is None and opened.head_id == f"{hub.boot}-0"
        _from_thread(
            lambda: hub.call_made("h1", CALL),
            lambda: hub.window_changed("h1", WINDOW),
            lambda: hub.call_made("h2", CALL),
            lambda: hub.notify("h1", "marker", {}),  # after the other hall's call, on the same thread
        )
        got = [await opened.subscription.get(WAIT_S) for _ in range(3)]
        marker = got.pop()
        # The other hall's call is not ours: the marker sent after it comes right after our two events.
        assert isinstance(marker, LiveEvent) and (marker.seq, marker.kind) == (3, "marker")
        return [g for g in got if isinstance(g, LiveEvent)]

    events = asyncio.run(scenario())
    assert [(e.seq, e.kind, e.window, e.tokens) for e in events] == [
        (1, "call", "1", frozenset({"tok-1"})),
        (2, "window", "1", frozenset({"tok-1"})),
    ]
    assert events[0].sse(hub.boot).startswith(f"id: {hub.boot}-1\nevent: call\ndata: {{")


def test_reconnect_replays_what_was_missed_and_a_restart_resyncs() -> None:
    hub = LiveHub(history=3)
    for _ in range(4):
        hub.hall_changed("h1", HallState(seq=0, open=True, extended=False))

    async def scenario() -> None:
        assert [e.seq for e in hub.subscribe("h1", f"{hub.boot}-2").replay or []] == [3, 4]
        assert hub.subscribe("h1", f"{hub.boot}-4").replay == []
        assert hub.subscribe("h1", f"{hub.boot}-0").replay is None  # 1 fell out of the history
        assert hub.subscribe("h1", "0000beef-3").replay is None  # another boot: a restarted server
        assert hub.subscribe("h1", f"{hub.boot}-9").replay is None
        assert hub.subscribe("h1", "garbage").replay is None

    asyncio.run(scenario())
    assert LiveHub().boot != hub.boot


def test_a_subscriber_that_falls_behind_is_told_to_resync_and_close_ends_all() -> None:
    hub = LiveHub(queue_size=2)

    async def scenario() -> list[Item | None]:
        opened = hub.subscribe("h1", None)
        _from_thread(*(lambda i=i: hub.notify("h1", "case", {"n": i}) for i in range(5)))
        await asyncio.sleep(0)  # one turn of the loop: it takes in all five, overflowing the queue
        items = [await opened.subscription.get(WAIT_S) for _ in range(3)]
        _from_thread(hub.close)
        items.append(await opened.subscription.get(WAIT_S))
        late = hub.subscribe("h1", None)  # a stream opened while closing ends at once
        items.append(await late.subscription.get(WAIT_S))
        hub.unsubscribe(opened.subscription)
        hub.unsubscribe(late.subscription)
        assert hub.subscribers("h1") == 0
        return items

    items = asyncio.run(scenario())
    assert [type(i) for i in items] == [LiveEvent, LiveEvent, Resync, Closed, Closed]


def test_a_subscriber_whose_loop_is_gone_is_dropped() -> None:
    hub = LiveHub()

    async def subscribe() -> None:
        hub.subscribe("h1", None)

    asyncio.run(subscribe())  # the loop closes with the subscription still registered
    assert hub.subscribers("h1") == 1
    hub.notify("h1", "case", {})
    assert hub.subscribers("h1") == 0


def test_drain_takes_a_burst_at_once_and_head_id_names_the_newest_event() -> None:
    hub = LiveHub()

    async def scenario() -> list[Item]:
        opened = hub.subscribe("h1", None)
        _from_thread(*(lambda i=i: hub.notify("h1", "case", {"n": i}) for i in range(3)))
        first = await opened.subscription.get(WAIT_S)
        assert first is not None
        return [first, *opened.subscription.drain()]

    burst = asyncio.run(scenario())
    assert [e.seq for e in burst if isinstance(e, LiveEvent)] == [1, 2, 3]
    assert hub.head_id("h1") == f"{hub.boot}-3" and hub.head_id("other") == f"{hub.boot}-0"
