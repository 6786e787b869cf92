"""The agent at a window: keypad → window ops, state → sign, finish → pad → rating, over a real broker.

The server here is the stand-in of ``responder.py``; ``test_agent_e2e.py`` runs the real one.
"""

from __future__ import annotations

from devices.agent import SimulatedWindow
from devices.keypad import Key
from queue_server.protocol.messages import Op, WindowStatus

from .conftest import AgentFactory, ResponderFactory


def test_a_visit_from_the_keypad_to_the_rating(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()
    (number, ticket_id), (number2, ticket_id2) = server.issue(2)
    agent = agents()
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")  # the retained idle state

    sims.keypad.press(Key.NEXT)
    sims.sign.wait_for(lambda: sims.sign.text == f"请{number}号到1号窗口办理")
    sims.keypad.wait_for(lambda: sims.keypad.display == f"呼叫中 {number}")

    sims.keypad.press(Key.START)
    sims.sign.wait_for(lambda: sims.sign.text == f"1号窗口 正在办理{number}号")
    assert not sims.pad.lights_on

    sims.keypad.press(Key.FINISH)
    assert sims.pad.wait_for(lambda: sims.pad.prompted) == ticket_id
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")

    sims.pad.press(5)
    rating = server.wait_for(lambda: server.recorded.get(ticket_id))
    assert (rating.score, rating.visit) == (5, ticket_id)
    assert sims.pad.wait_for(lambda: sims.pad.lit) == 5
    sims.pad.press(4)  # the same citizen presses again: no second rating for the visit

    # The next visit, rated 3. The pad's lines are read in order, so by the time the 3 is taken the 4
    # was read too; a rating made from it would have been queued, and sent, before this one.
    for key in (Key.NEXT, Key.START, Key.FINISH):
        sims.keypad.press(key)
    assert sims.pad.wait_for(lambda: sims.pad.prompted if sims.pad.lights_on else None) == ticket_id2
    sims.pad.press(3)
    server.wait_for(lambda: server.recorded.get(ticket_id2))
    assert agent.wait_sent()
    assert [(r.visit, r.score) for r in server.ratings] == [(ticket_id, 5), (ticket_id2, 3)]
    assert server.ops() == [Op.WINDOW_NEXT, Op.WINDOW_START, Op.WINDOW_FINISH] * 2
    # Each press and each rating sent once (ratings are requests: rating.submit).
    assert len({r.id for r in server.requests}) == len(server.requests) == 8
    assert number2 == "A002"


def test_pause_sends_the_default_reason_and_the_sign_shows_it(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()
    agents()
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")

    sims.keypad.press(Key.PAUSE)
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 暂停服务：临时离开")
    sims.keypad.wait_for(lambda: sims.keypad.display == "暂停 临时离开")
    sims.keypad.press(Key.RESUME)
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    sims.keypad.press(Key.PAUSE, 2)  # a reason chosen with the number keys
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 暂停服务：业务咨询")
    pauses = [r.args for r in server.requests if r.op == Op.WINDOW_PAUSE]
    assert pauses == [{"reason": "临时离开"}, {"reason": "业务咨询"}]

    server.set_status(WindowStatus.CLOSED)  # closed at the counter console
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 已停止服务")
    sims.keypad.wait_for(lambda: sims.keypad.display == "窗口已关闭")


def test_a_refusal_is_shown_on_the_keypad_and_not_sent_again(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()  # nobody is waiting
    agent = agents()
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    sims.keypad.press(Key.NEXT)
    line = sims.keypad.wait_for(lambda: sims.keypad.display if "失败" in sims.keypad.display else None)
    assert line.startswith("叫号失败 当前没有等候")  # the server's Chinese message, cut to the display
    assert agent.wait_sent()
    assert [r.op for r in server.requests] == [Op.WINDOW_NEXT]
    assert server.done == []


def test_a_code_with_no_meaning_is_refused_at_the_window(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()
    server.issue(1)
    agents()
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    sims.keypad.press(Key.FINISH, 9)  # no case type 9: nothing may be finished with a guess
    sims.keypad.wait_for(lambda: sims.keypad.display == "未知办结类型9")
    sims.keypad.press(Key.NEXT)  # read after the F9 line on the same port: proves F9 sent nothing
    sims.sign.wait_for(lambda: sims.sign.text == "请A001号到1号窗口办理")
    assert [r.op for r in server.requests] == [Op.WINDOW_NEXT]


def test_a_visit_finished_at_the_counter_still_prompts_the_pad_once(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()
    ((number, ticket_id),) = server.issue(1)
    agents()
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    sims.keypad.press(Key.NEXT)
    sims.keypad.press(Key.START)
    sims.sign.wait_for(lambda: sims.sign.text == f"1号窗口 正在办理{number}号")

    server.finish_at_counter()  # no reply reaches the agent: only the window state moves
    assert sims.pad.wait_for(lambda: sims.pad.prompted) == ticket_id
    sims.pad.press(2)
    rating = server.wait_for(lambda: server.recorded.get(ticket_id))
    assert rating.score == 2
    assert sims.pad.commands.count("P") == 1


def test_the_next_citizen_cannot_rate_the_previous_visit(
    sims: SimulatedWindow, agents: AgentFactory, responders: ResponderFactory
) -> None:
    server = responders()
    (_, first), (second_number, _) = server.issue(2)
    agent = agents()
    sims.sign.wait_for(lambda: sims.sign.text == "1号窗口 欢迎您")
    for key in (Key.NEXT, Key.START, Key.FINISH):
        sims.keypad.press(key)
    sims.pad.wait_for(lambda: sims.pad.prompted == first)
    # Not rated; the next citizen is called and served: the old prompt is withdrawn.
    sims.keypad.press(Key.NEXT)
    sims.keypad.press(Key.START)
    sims.sign.wait_for(lambda: sims.sign.text == f"1号窗口 正在办理{second_number}号")
    sims.pad.wait_for(lambda: not sims.pad.lights_on and sims.pad.commands[-1] == "C")
    sims.pad.press(5)
    sims.keypad.press(Key.FINISH)  # read after the 5: had the 5 made a rating, it would be sent first
    server.wait_for(lambda: server.ops().count(Op.WINDOW_FINISH) == 2)
    assert agent.wait_sent()
    assert server.ratings == []
