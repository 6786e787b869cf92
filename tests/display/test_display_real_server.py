"""End to end against the real queue server: the services on SQLite, the MQTT bridge and announcer,
a real Mosquitto. Windows call tickets; the display's connection is cut while they go on calling;
after reconnect every call appears exactly once, in order, and was announced in order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from display.voice.pack import VoicePack
from harness.factories import HallFixture, build_hall
from harness.proxy import CuttableProxy
from harness.waiting import eventually, eventually_equal, scaled
from queue_server.protocol import topics
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import HallState
from queue_server.services.ports import Actor
from tests.conftest import MosquittoBroker
from tests.display.helpers import make_hall_display
from tests.mqtt.conftest import Probe, start_bridge


@pytest.fixture
def hall(shared_sqlite_url: str, hall_code: str) -> Iterator[HallFixture]:
    """The small hall on SQLite alone: this is about the display, not the database."""
    h = build_hall(shared_sqlite_url, code=hall_code, migrate=False)
    yield h
    h.close()


def serve(hall: HallFixture, window: str, actor: Actor, *, recall: bool = False) -> list[int]:
    """One visit at a window, as the staff's keypad drives it; returns the seqs of its calls."""
    code = hall.code
    seqs = []
    called = hall.services.call_next(code, window, actor=actor, request_id=hall.rid())
    assert called.call is not None
    seqs.append(called.call.seq)
    if recall:
        again = hall.services.recall(code, window, actor=actor, request_id=hall.rid())
        assert again.call is not None
        seqs.append(again.call.seq)
    hall.services.start(code, window, actor=actor, request_id=hall.rid())
    hall.services.finish(code, window, None, actor=actor, request_id=hall.rid())
    hall.clock.advance(seconds=40)
    return seqs


def retained_state_reaches(broker: MosquittoBroker, hall: str, seq: int) -> None:
    probe = Probe(broker.address)
    try:
        probe.listen(topics.state(hall))
        while decode(HallState, probe.next_on(topics.state(hall)).payload).seq < seq:
            pass
    finally:
        probe.close()


def test_real_server_calls_reach_the_display_once_in_order_through_a_cut(
    broker: MosquittoBroker, hall: HallFixture, voice_pack: VoicePack
) -> None:
    served = start_bridge(broker.address, hall.services, hall.code, attach=hall.services.add_announcer)
    proxy = CuttableProxy(broker.port)
    display = make_hall_display(hall.code, proxy.address, voice_pack)
    try:
        for _ in range(20):
            hall.issue("A")
        zhang = hall.open_window("1", "zhang")
        zhao = hall.open_window("3", "zhao")
        history = serve(hall, "1", zhang)  # before the screen starts: painted, not announced
        # The server publishes the hall state coalesced, a moment after the calls; the screen boots
        # once the retained state holds that visit (booting within that moment, it would announce it).
        retained_state_reaches(broker, hall.code, history[-1])
        display.start()
        eventually(lambda: display.sequencer.last == history[-1], what="baseline from the retained state")
        assert [line.ticket for line in display.view().recent] == ["A001"]

        expected = serve(hall, "3", zhao) + serve(hall, "1", zhang, recall=True)
        eventually_equal(lambda: list(display.delivered), expected, what="live calls")

        proxy.cut()
        eventually(lambda: not display.view().online, what="offline")
        for i in range(4):
            expected += serve(hall, "3" if i % 2 else "1", zhao if i % 2 else zhang, recall=i == 2)
        proxy.resume()
        expected += serve(hall, "1", zhang)

        eventually_equal(
            lambda: list(display.delivered), expected, timeout=20, what="every call after reconnect"
        )
        assert expected == list(range(history[-1] + 1, expected[-1] + 1))  # the server's numbering
        assert display.replays >= 1
        assert display.announcer is not None and display.announcer.wait_idle(scaled(20))
        assert list(display.announcer.played) == expected
        # What the list shows is what the server recorded, newest first.
        record = hall.services.calls_since(hall.code, 0, 100).calls
        view = display.view()
        assert [(line.seq, line.ticket, line.window) for line in view.recent] == [
            (c.seq, c.ticket, c.window) for c in reversed(record)
        ][: len(view.recent)]
        assert view.hall_name == "测试市民大厅"
    finally:
        display.stop()
        proxy.close()
        served.bridge.stop()
