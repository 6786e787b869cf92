"""End to end over a real Mosquitto: a stand-in for the server's bridge (tests/display/helpers.py,
behaving as docs/design/PROTOCOL.md says) calls tickets; the display shows and announces every call
exactly once, in order, through a cut connection and through a broker restart, while the calls go on."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from display.runtime import window_runtime
from display.voice.pack import VoicePack
from harness.proxy import CuttableProxy
from harness.waiting import eventually, eventually_equal, scaled
from queue_server.protocol import topics
from queue_server.protocol.client import PAHO_LOG, MqttLink, next_boot
from queue_server.protocol.codec import decode
from queue_server.protocol.messages import (
    CallKind,
    DeviceConfig,
    DeviceKind,
    DeviceStatus,
    WindowState,
    WindowStatus,
)
from tests.conftest import MosquittoBroker
from tests.display.helpers import FakeBridge, make_hall_display


@pytest.fixture
def proxy(broker: MosquittoBroker) -> Iterator[CuttableProxy]:
    p = CuttableProxy(broker.port)
    yield p
    p.close()


def test_paints_from_the_retained_state_at_once_without_announcing_history(
    broker: MosquittoBroker, hall_code: str, voice_pack: VoicePack
) -> None:
    bridge = FakeBridge(hall_code, broker.address).start()
    for ticket, window in (("A001", "1"), ("B001", "6"), ("A002", "2")):
        bridge.call(ticket, window)
    display = make_hall_display(hall_code, broker.address, voice_pack)
    display.start()
    try:
        eventually(lambda: len(display.view().recent) == 3, what="retained state painted")
        v = display.view()
        assert [line.ticket for line in v.recent] == ["A002", "B001", "A001"]
        assert v.spotlight is not None and v.spotlight.sentence == "请 A002 号 到 2 号窗口"
        assert {t.window for t in v.windows} == {"1", "2", "6"}
        assert v.hall_name == "测试市民大厅" and v.online
        # History is shown, not announced again. The marker: a live call after it, on the same
        # connection; once it is delivered, any replayed history would have been delivered before it.
        marker = bridge.call("A003", "1").seq
        eventually(lambda: marker in display.delivered, what="the marker call")
        assert list(display.delivered) == [marker]
        assert display.announcer is not None and display.announcer.wait_idle(scaled(10))
        assert list(display.announcer.played) == [marker]
    finally:
        display.stop()
        bridge.stop()


def test_every_call_once_in_order_through_a_cut_connection(
    broker: MosquittoBroker, proxy: CuttableProxy, hall_code: str, voice_pack: VoicePack
) -> None:
    bridge = FakeBridge(hall_code, broker.address).start()
    bridge.call("A001", "1")
    display = make_hall_display(hall_code, proxy.address, voice_pack)
    display.start()
    try:
        eventually(lambda: display.sequencer.last == 1, what="baseline from the retained state")
        for i in range(2, 6):
            bridge.call(f"A{i:03d}", str(i % 3 + 1))
        eventually_equal(lambda: list(display.delivered), [2, 3, 4, 5], what="live calls")

        proxy.cut()  # the display's cable is pulled; the hall goes on calling
        eventually(lambda: not display.view().online, what="display notices it is offline")
        assert display.view().alert
        for i in range(6, 12):
            bridge.call(f"B{i:03d}", "6", kind=CallKind.RECALL if i == 9 else CallKind.CALL)
            time.sleep(0.05)
        proxy.resume()
        for i in range(12, 15):  # and more while it reconnects
            bridge.call(f"C{i:03d}", "8")
            time.sleep(0.05)

        expected = list(range(2, 15))
        eventually_equal(lambda: list(display.delivered), expected, 20, what="all calls after reconnect")
        assert display.replays >= 1, "the missed calls must have come from calls.since"
        assert any(dev == "hall-screen-1" for dev, _ in bridge.answered)
        assert display.announcer is not None
        assert display.announcer.wait_idle(scaled(20))
        assert list(display.announcer.played) == expected
        v = display.view()
        assert [line.seq for line in v.recent] == list(range(14, 4, -1))
        assert v.online
        # Late duplicates, if any, must not sneak in: they would be delivered before this marker call.
        marker = bridge.call("D015", "8").seq
        eventually(lambda: marker in display.delivered, what="the marker call")
        assert list(display.delivered) == [*expected, marker]
    finally:
        display.stop()
        bridge.stop()


def test_every_call_once_in_order_through_a_broker_restart(
    fresh_broker: MosquittoBroker, hall_code: str, voice_pack: VoicePack
) -> None:
    bridge = FakeBridge(hall_code, fresh_broker.address).start()
    bridge.call()
    display = make_hall_display(hall_code, fresh_broker.address, voice_pack)
    display.start()
    stop = threading.Event()

    def keep_calling() -> None:  # the windows keep calling, broker or not
        while not stop.is_set():
            bridge.call(settle=False)
            time.sleep(0.1)

    caller = threading.Thread(target=keep_calling)
    try:
        eventually(lambda: display.sequencer.last == 1, what="baseline")
        caller.start()
        eventually(lambda: len(display.delivered) >= 3, what="live calls before the restart")
        fresh_broker.restart(down_for=0.5)
        eventually(lambda: not display.view().online or display.replays > 0, what="outage noticed")
        eventually(lambda: display.view().online, timeout=20, what="reconnected")
        called_before = bridge.seq  # the calls go on after the reconnect, and arrive live
        eventually(
            lambda: any(seq > called_before for seq in display.delivered), what="calls after the restart"
        )
        stop.set()
        caller.join(scaled(5))
        expected = list(range(2, bridge.seq + 1))
        eventually_equal(lambda: list(display.delivered), expected, 30, what="all calls after the restart")
        assert display.announcer is not None and display.announcer.wait_idle(scaled(30))
        assert list(display.announcer.played) == expected
    finally:
        stop.set()
        display.stop()
        bridge.stop()


def test_status_with_boot_counter_and_last_will(
    broker: MosquittoBroker,
    proxy: CuttableProxy,
    hall_code: str,
    voice_pack: VoicePack,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=PAHO_LOG.name)  # paho's packet trace, shown if this fails
    boot = next_boot(tmp_path / "hall-screen-1.boot")
    boot = next_boot(tmp_path / "hall-screen-1.boot")  # a second start of this screen
    assert boot == 2
    seen: list[DeviceStatus] = []
    watcher = MqttLink("status-watcher-" + hall_code, broker.address)
    watcher.subscribe(
        topics.dev_status(hall_code, "hall-screen-1"),
        lambda m: seen.append(decode(DeviceStatus, m.payload)) if m.payload else None,
    )
    watcher.start()
    assert watcher.wait_connected(scaled(5))
    display = make_hall_display(hall_code, proxy.address, voice_pack, boot=boot)
    display.start()
    try:
        eventually(lambda: [s.state for s in seen] == ["online"], what="online status")
        assert seen[0].boot == 2 and seen[0].kind == DeviceKind.HALL_DISPLAY.value
        assert seen[0].health.get("voice") == "ok"
        proxy.cut()  # an unclean loss: the broker publishes the Last Will
        eventually(lambda: [s.state for s in seen] == ["online", "offline"], what="last will")
        assert seen[1].boot == 2
        proxy.resume()
        # Back at the next retry (1 s here). 40 s also covers a connection attempt whose CONNECT got no
        # answer: paho gives up on it after the keepalive (15 s) and retries after at most 8 s.
        states = ["online", "offline", "online"]
        eventually_equal(lambda: [s.state for s in seen], states, 40, what="back online")
    finally:
        display.stop()
    eventually(lambda: seen[-1].state == "offline", what="clean goodbye")
    watcher.stop()


def test_window_display_follows_its_window(broker: MosquittoBroker, hall_code: str) -> None:
    bridge = FakeBridge(hall_code, broker.address).start()
    bridge.call("A001", "5")
    display = window_runtime(hall_code, "win5-screen", "5", boot=1, broker=broker.address)
    display.start()
    try:
        # The call and the retained window state are two messages: wait for the view that has both.
        def shown() -> tuple[str, str, str, str]:
            v = display.view()
            return (v.ticket, v.title, v.staff, v.staff_id)

        eventually_equal(shown, ("A001", "5号窗口", "张*", "工号 0005"), what="retained window state")
        bridge.call("B001", "6")  # another window: not ours
        bridge.call("A002", "5")
        eventually(lambda: display.view().ticket == "A002", what="our next call")
        assert display.view().flash
        paused = WindowState(
            window="5", name="综合受理", status=WindowStatus.PAUSED, pause_reason="午餐", ts=time.time() + 1
        )
        bridge.link.publish(topics.window_state(hall_code, "5"), paused, retain=True)
        eventually(lambda: display.view().status_text == "暂停服务：午餐", what="paused")
    finally:
        display.stop()
        bridge.stop()


def test_config_moves_a_window_display_and_sets_the_voice(
    broker: MosquittoBroker, hall_code: str, voice_pack: VoicePack
) -> None:
    bridge = FakeBridge(hall_code, broker.address).start()
    bridge.call("A001", "5")
    bridge.call("B007", "6")
    display = window_runtime(
        hall_code, "moving-screen", "5", boot=1, broker=broker.address, follow_config_window=True
    )
    hall = make_hall_display(hall_code, broker.address, voice_pack, device_id="hall-screen-2")
    display.start()
    hall.start()
    try:
        eventually(lambda: display.view().ticket == "A001", what="window 5")
        config = DeviceConfig(version=3, kind="window_display", window="6", hall_name="测试市民大厅")
        bridge.link.publish(topics.dev_config(hall_code, "moving-screen"), config, retain=True)
        eventually(lambda: display.view().ticket == "B007", what="moved to window 6")
        hall_config = DeviceConfig(version=1, kind="hall_display", extra={"voice_repeat": 2})
        bridge.link.publish(topics.dev_config(hall_code, "hall-screen-2"), hall_config, retain=True)
        assert hall.announcer is not None
        announcer = hall.announcer
        eventually(lambda: announcer.builder.settings.repeat == 2, what="voice settings from config")
    finally:
        display.stop()
        hall.stop()
        bridge.stop()
