"""What a window lives through: broker outages, agent restarts, unplugged cables — with nothing lost
and nothing done twice."""

from __future__ import annotations

import time
from pathlib import Path

from devices.agent import SimulatedWindow, WindowAgent
from devices.agent.outbox import EntryKind
from devices.keypad import Key
from harness.waiting import eventually, scaled
from queue_server.protocol import topics
from queue_server.protocol.messages import DeviceConfig, Op, WindowState, WindowStatus
from tests.conftest import MosquittoBroker

from .conftest import AgentFactory, ResponderFactory, StatusWatch, agent_config
from .responder import WindowResponder


def _served_and_prompted(sims: SimulatedWindow, server: WindowResponder) -> str:
    """Call, serve and finish the first waiting ticket; return its id once the pad asks for a rating."""
    _, ticket_id = server.waiting[0]
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    for key in (Key.NEXT, Key.START, Key.FINISH):
        sims.keypad.press(key)
    sims.pad.wait_for(lambda: sims.pad.prompted == ticket_id and sims.pad.lights_on)
    return ticket_id


def test_presses_in_a_broker_outage_are_sent_once_after_it(
    fresh_broker: MosquittoBroker, sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders(fresh_broker.address)
    server.issue(2)
    agent = agents(fresh_broker.address)
    visit = _served_and_prompted(sims, server)
    assert agent.wait_sent()

    fresh_broker.stop()
    eventually(lambda: not agent.device.link.connected, what="the agent off the broker")
    sims.pad.press(5)
    eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
    sims.keypad.press(Key.NEXT)
    eventually(lambda: len(agent.outbox) == 2, what="2 requests kept in the outbox")
    sims.keypad.wait_for(lambda: sims.keypad.display == "离线已存 叫号")
    pending = agent.outbox.entries()
    assert [(e.kind, e.name) for e in pending] == [
        (EntryKind.REQUEST, "rating.submit"),
        (EntryKind.REQUEST, "window.next"),
    ]
    rating_id, next_id = (e.id for e in pending)

    fresh_broker.start()
    sims.sign.wait_for(lambda: sims.sign.text == "请A002号到1号窗口办理", timeout=15)
    server.wait_for(lambda: server.recorded.get(visit))
    assert agent.wait_sent()
    # On the wire: each exactly once, with the id it was given offline.
    assert [r.id for r in server.ratings] == [rating_id]
    assert server.recorded[visit].score == 5
    assert [r.id for r in server.requests if r.op == Op.WINDOW_NEXT][-1] == next_id
    assert [rid for op, rid in server.done if op == Op.WINDOW_NEXT] == [server.done[0][1], next_id]
    assert sum(1 for r in server.requests if r.id == next_id) == 1


def test_nothing_is_sent_while_no_server_is_online(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory, broker: MosquittoBroker
) -> None:
    # The broker is up but the server is not: a rating published now would be acknowledged by the
    # broker and delivered to nobody. The agent waits for the server's birth.
    agent = agents()
    eventually(lambda: agent.device.link.connected, what="the agent back on the broker")
    sims.keypad.press(Key.PAUSE)
    eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
    sims.keypad.wait_for(lambda: sims.keypad.display == "离线已存 暂停")
    assert not agent.server_online
    server = responders()
    server.wait_for(lambda: server.ops() == [Op.WINDOW_PAUSE])
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 暂停服务：临时离开")
    assert agent.wait_sent()
    server.stop()  # it says offline: the agent holds presses again
    eventually(lambda: not agent.server_online, what="the agent seeing the server gone")
    sims.keypad.press(Key.RESUME)
    eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
    sims.keypad.wait_for(lambda: sims.keypad.display == "离线已存 恢复")
    assert [e.name for e in agent.outbox.entries()] == [Op.WINDOW_RESUME]


def test_an_agent_restart_sends_the_pending_press_once_with_its_id(
    fresh_broker: MosquittoBroker,
    sims: SimulatedWindow,
    agents: AgentFactory,
    responders: ResponderFactory,
    tmp_path: Path,
) -> None:
    server = responders(fresh_broker.address)
    server.issue(1)
    first = agents(fresh_broker.address)
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    fresh_broker.stop()
    eventually(lambda: not first.device.link.connected, what="the agent off the broker")
    sims.keypad.press(Key.NEXT)
    eventually(lambda: len(first.outbox) == 1, what="1 request kept in the outbox")
    (pending,) = first.outbox.entries()
    first.stop()  # power cut at the window: the press is only on disk now

    fresh_broker.start()
    second = agents(fresh_broker.address)
    assert second.boot == first.boot + 1
    sims.sign.wait_for(lambda: sims.sign.text == "请A001号到1号窗口办理", timeout=15)
    assert second.wait_sent()
    assert [r.id for r in server.requests] == [pending.id]
    assert server.done == [(Op.WINDOW_NEXT, pending.id)]


def test_an_open_rating_prompt_survives_an_agent_restart(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()
    server.issue(1)
    first = agents()
    visit = _served_and_prompted(sims, server)
    first.stop()
    sims.pad.unplug()  # the pad loses power with the agent's machine
    sims.pad.plug()
    second = agents()
    sims.pad.wait_for(lambda: sims.pad.prompted == visit and sims.pad.lights_on)
    sims.pad.press(4)
    assert server.wait_for(lambda: server.recorded.get(visit)).score == 4
    assert second.wait_sent()
    assert len(server.ratings) == 1


def test_unplugged_devices_come_back_without_a_restart(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory, status_watch: StatusWatch
) -> None:
    server = responders()
    server.issue(2)
    agent = agents()
    all_ok = {"keypad": "ok", "rating_pad": "ok", "sign": "ok"}
    status_watch.wait(lambda s: s.state == "online" and s.health == all_ok)
    visit = _served_and_prompted(sims, server)

    unplugged = status_watch.mark()
    for device in sims.devices().values():
        device.unplug()
    status_watch.wait(lambda s: set(s.health.values()) == {"disconnected"}, after=unplugged)
    replugged = status_watch.mark()
    for device in sims.devices().values():
        device.plug()
    status_watch.wait(lambda s: s.state == "online" and s.health == all_ok, after=replugged)

    # The sign powers up blank and is shown the window again; the pad lights up for the same visit.
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    sims.pad.wait_for(lambda: sims.pad.prompted == visit and sims.pad.lights_on)
    sims.keypad.wait_for(lambda: sims.keypad.display != "")
    sims.pad.press(5)
    sims.keypad.press(Key.NEXT)
    sims.sign.wait_for(lambda: sims.sign.text == "请A002号到1号窗口办理")
    server.wait_for(lambda: server.recorded.get(visit))
    assert agent.keypad is not None and agent.keypad.link.connects == 2


def test_status_carries_the_boot_counter_and_says_offline_at_stop(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory, status_watch: StatusWatch
) -> None:
    responders()
    first = agents()
    status_watch.wait(lambda s: s.state == "online" and s.boot == first.boot and s.kind == "window_agent")
    first.stop()
    status_watch.wait(lambda s: s.state == "offline" and s.boot == first.boot)
    second = agents()
    assert second.boot == first.boot + 1
    status_watch.wait(lambda s: s.state == "online" and s.boot == second.boot)


def test_a_press_too_old_to_matter_is_dropped_not_sent(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    now = [1_000_000.0]
    agent = agents(clock=lambda: now[0], max_age_s=600)
    eventually(lambda: agent.device.link.connected, what="the agent back on the broker")
    sims.keypad.press(Key.NEXT)  # no server online: it waits in the outbox
    eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
    now[0] += 601  # ten minutes later the server comes back
    server = responders()
    server.issue(1)
    sims.keypad.wait_for(lambda: sims.keypad.display == "叫号已过期 未发送")
    assert len(agent.outbox) == 0
    sims.keypad.press(Key.NEXT)  # a fresh press works
    sims.sign.wait_for(lambda: sims.sign.text == "请A001号到1号窗口办理")
    assert len(server.requests) == 1


def test_the_config_topic_moves_the_agent_to_another_window(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory, hall_code: str
) -> None:
    server = responders(window="2")  # the server has bound agent-1 to window 2 meanwhile
    window_one = WindowState(window="1", name="1号窗口", status=WindowStatus.CLOSED, ts=time.time())
    server.link.publish(topics.window_state(hall_code, "1"), window_one, retain=True)
    agent: WindowAgent = agents()  # its file still says window 1
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 已停止服务")

    config = DeviceConfig(version=2, kind="window_agent", window="2")
    server.link.publish(topics.dev_config(hall_code, agent.device_id), config, retain=True)
    sims.sign.wait_for(lambda: sims.sign.text == "2号窗口 欢迎您")
    assert agent.window == "2"
    server.issue(1)
    sims.keypad.press(Key.NEXT)
    sims.sign.wait_for(lambda: sims.sign.text == "请A001号到2号窗口办理")


def test_after_a_broker_restart_a_rating_waits_for_the_server_to_be_back(
    fresh_broker: MosquittoBroker, sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    # No Last Will: whether a broker that shuts down delivers the server's Will to the agent before it
    # drops the agent too is a race; here the agent surely never hears that the server went away.
    server = responders(fresh_broker.address, last_will=False)
    server.issue(1)
    agent = agents(fresh_broker.address)
    visit = _served_and_prompted(sims, server)
    assert agent.wait_sent()

    # The broker restarts empty; the server does not come back with it (yet).
    fresh_broker.stop()
    server.link.stop()
    eventually(lambda: not agent.device.link.connected, what="the agent off the broker")
    fresh_broker.start()
    assert agent.device.link.wait_connected(scaled(15))
    sims.pad.press(5)
    eventually(lambda: len(agent.outbox) == 1, what="1 request kept in the outbox")
    # Published now, the broker would acknowledge it and deliver it to nobody: it must wait.
    assert not agent.ready()

    back = responders(fresh_broker.address)
    rating = back.wait_for(lambda: back.ratings[0] if back.ratings else None)
    assert (rating.visit, rating.score) == (visit, 5)
    assert agent.wait_sent()


def test_a_sign_that_does_not_answer_shows_in_the_health(
    broker: MosquittoBroker,
    hall_code: str,
    sims: SimulatedWindow,
    responders: ResponderFactory,
    status_watch: StatusWatch,
    tmp_path: Path,
) -> None:
    responders()
    config = agent_config(broker.address, hall_code, tmp_path / "agent", sims)
    assert config.sign is not None
    # Address 9 on the bus: the sign (address 1) ignores the frames, as a sign with the wrong DIP
    # switches or a dead RS-485 pair would; the port itself is open.
    agent = WindowAgent(config.model_copy(update={"sign": config.sign.model_copy(update={"address": 9})}))
    agent.start()
    try:
        status = status_watch.wait(lambda s: s.health.get("sign") == "no_reply")
        assert (status.health["keypad"], status.health["rating_pad"]) == ("ok", "ok")
        assert sims.sign.text == ""
    finally:
        agent.stop()
